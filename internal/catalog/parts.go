package catalog

import (
	"context"
	"fmt"
	"slices"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/ident"
)

// Items, parameters and templates are changed through change(), so each
// write also bumps the product's revision and emits product.updated in the
// same transaction.

// ListItems returns the product's items in creation order.
func (s *Service) ListItems(ctx context.Context, actor account.Principal, productID string) ([]Item, error) {
	st, err := s.load(ctx, actor, productID)
	if err != nil {
		return nil, err
	}
	return st.sortedItems(), nil
}

// GetItem returns one item.
func (s *Service) GetItem(ctx context.Context, actor account.Principal, productID, itemID string) (Item, error) {
	st, err := s.load(ctx, actor, productID)
	if err != nil {
		return Item{}, err
	}
	return st.item(itemID)
}

func (st *state) item(id string) (Item, error) {
	it, ok := st.items[id]
	if !ok {
		return Item{}, fault.NotFoundf("item %s not found in product %s", id, st.head.p.ID)
	}
	return st.view(it), nil
}

// CreateItem adds an item.
func (s *Service) CreateItem(ctx context.Context, actor account.Principal, productID string, in ItemInput) (Item, error) {
	var out Item
	_, err := s.change(ctx, actor, productID, func(st *state, tx *dynamo.Tx) error {
		it, msgs := newItem(in)
		if len(msgs) > 0 {
			return fault.InvalidList(msgs...)
		}
		now := s.now().UTC()
		n := st.head.NextItem
		st.head.NextItem++
		it.ID, it.LocalID, it.Created, it.Updated = itemID(productID, n), localID(n), now, now
		it.ProductVersion = st.head.p.Version + 1
		tx.Create("item", newItemRow(productID, it)).Create("mpn", uniqueRow(productID, "MPN#", it.MPN, it.ID))
		out = it
		return nil
	})
	return out, err
}

// UpdateItem changes an item. After the first publish the type and period
// are fixed.
func (s *Service) UpdateItem(ctx context.Context, actor account.Principal, productID, itemID string, in ItemInput) (Item, error) {
	var out Item
	_, err := s.change(ctx, actor, productID, func(st *state, tx *dynamo.Tx) error {
		it, err := st.item(itemID)
		if err != nil {
			return err
		}
		oldMPN := it.MPN
		if msgs := in.apply(&it, st.head.p.Version > 0); len(msgs) > 0 {
			return fault.InvalidList(msgs...)
		}
		it.Updated, it.ProductVersion = s.now().UTC(), st.head.p.Version+1
		tx.Put("item", newItemRow(productID, it), nil)
		// The uniqueness row is keyed by the lowercased MPN: a change of case
		// keeps the same row (deleting and re-creating one key in a single
		// transaction is refused), while the item stores the new spelling.
		if !sameUniqueKey(it.MPN, oldMPN) {
			tx.Delete("old mpn", uniqueRow(productID, "MPN#", oldMPN, "").Key, nil).
				Create("mpn", uniqueRow(productID, "MPN#", it.MPN, it.ID))
		}
		out = it
		return nil
	})
	return out, err
}

// DeleteItem removes an item of a product that was never published; after
// that, orders may refer to it, so it can only be marked endofsale.
func (s *Service) DeleteItem(ctx context.Context, actor account.Principal, productID, itemID string) error {
	_, err := s.change(ctx, actor, productID, func(st *state, tx *dynamo.Tx) error {
		it, err := st.item(itemID)
		if err != nil {
			return err
		}
		if st.head.p.Version > 0 {
			return fault.Invalidf("items of a published product cannot be deleted; set its status to endofsale instead")
		}
		tx.Delete("item", newItemRow(productID, it).Key, nil).
			Delete("mpn", uniqueRow(productID, "MPN#", it.MPN, "").Key, nil)
		return nil
	})
	return err
}

// ListParameters returns the product's parameters.
func (s *Service) ListParameters(ctx context.Context, actor account.Principal, productID string) ([]Parameter, error) {
	st, err := s.load(ctx, actor, productID)
	if err != nil {
		return nil, err
	}
	return sortedByID(st.params), nil
}

func sortedByID[T interface{ id() string }](m map[string]T) []T {
	out := make([]T, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b T) int {
		switch {
		case a.id() < b.id():
			return -1
		case a.id() > b.id():
			return 1
		}
		return 0
	})
	return out
}

func (p Parameter) id() string { return p.ID }
func (t Template) id() string  { return t.ID }

func (st *state) param(id string) (Parameter, error) {
	p, ok := st.params[id]
	if !ok {
		return Parameter{}, fault.NotFoundf("parameter %s not found in product %s", id, st.head.p.ID)
	}
	return p, nil
}

// GetParameter returns one parameter.
func (s *Service) GetParameter(ctx context.Context, actor account.Principal, productID, paramID string) (Parameter, error) {
	st, err := s.load(ctx, actor, productID)
	if err != nil {
		return Parameter{}, err
	}
	return st.param(paramID)
}

// CreateParameter adds a parameter.
func (s *Service) CreateParameter(ctx context.Context, actor account.Principal, productID string, in ParameterInput) (Parameter, error) {
	var out Parameter
	_, err := s.change(ctx, actor, productID, func(st *state, tx *dynamo.Tx) error {
		p, msgs := newParameter(in)
		if len(msgs) > 0 {
			return fault.InvalidList(msgs...)
		}
		now := s.now().UTC()
		n := st.head.NextParam
		st.head.NextParam++
		p.ID, p.Created, p.Updated = paramID(productID, n), now, now
		tx.Create("parameter", newParamRow(productID, p)).Create("parameter name", uniqueRow(productID, "PNAME#", p.Name, p.ID))
		out = p
		return nil
	})
	return out, err
}

// UpdateParameter changes a parameter; type, scope and phase are fixed.
func (s *Service) UpdateParameter(ctx context.Context, actor account.Principal, productID, paramID string, in ParameterInput) (Parameter, error) {
	var out Parameter
	_, err := s.change(ctx, actor, productID, func(st *state, tx *dynamo.Tx) error {
		p, err := st.param(paramID)
		if err != nil {
			return err
		}
		oldName := p.Name
		if msgs := in.apply(&p, false); len(msgs) > 0 {
			return fault.InvalidList(msgs...)
		}
		if p.Name != oldName {
			if users := st.templatesUsing(oldName); len(users) > 0 {
				return fault.Invalidf("name cannot change while templates %v use {{ %s }}", users, oldName)
			}
		}
		// As for MPNs, only a change beyond letter case moves the uniqueness row.
		if !sameUniqueKey(p.Name, oldName) {
			tx.Delete("old parameter name", uniqueRow(productID, "PNAME#", oldName, "").Key, nil).
				Create("parameter name", uniqueRow(productID, "PNAME#", p.Name, p.ID))
		}
		p.Updated = s.now().UTC()
		tx.Put("parameter", newParamRow(productID, p), nil)
		out = p
		return nil
	})
	return out, err
}

// DeleteParameter removes a parameter no template uses.
func (s *Service) DeleteParameter(ctx context.Context, actor account.Principal, productID, paramID string) error {
	_, err := s.change(ctx, actor, productID, func(st *state, tx *dynamo.Tx) error {
		p, err := st.param(paramID)
		if err != nil {
			return err
		}
		if users := st.templatesUsing(p.Name); len(users) > 0 {
			return fault.Invalidf("parameter %s is used by templates %v; change them first", p.Name, users)
		}
		tx.Delete("parameter", newParamRow(productID, p).Key, nil).
			Delete("parameter name", uniqueRow(productID, "PNAME#", p.Name, "").Key, nil)
		return nil
	})
	return err
}

func (st *state) templatesUsing(name string) []string {
	var ids []string
	for _, t := range sortedByID(st.templates) {
		if slices.Contains(Placeholders(t.Body), name) {
			ids = append(ids, t.ID)
		}
	}
	return ids
}

// ListTemplates returns the product's templates.
func (s *Service) ListTemplates(ctx context.Context, actor account.Principal, productID string) ([]Template, error) {
	st, err := s.load(ctx, actor, productID)
	if err != nil {
		return nil, err
	}
	return sortedByID(st.templates), nil
}

func (st *state) template(id string) (Template, error) {
	t, ok := st.templates[id]
	if !ok {
		return Template{}, fault.NotFoundf("template %s not found in product %s", id, st.head.p.ID)
	}
	return t, nil
}

// GetTemplate returns one template.
func (s *Service) GetTemplate(ctx context.Context, actor account.Principal, productID, templateID string) (Template, error) {
	st, err := s.load(ctx, actor, productID)
	if err != nil {
		return Template{}, err
	}
	return st.template(templateID)
}

func (st *state) checkPlaceholders(t Template) error {
	if missing := unknownPlaceholders(t.Body, st.params); len(missing) > 0 {
		return &fault.Error{Kind: fault.Invalid, Messages: append(
			[]string{fmt.Sprintf("the template names parameters the product does not have: %v", missing)},
			missingDetail(missing)...)}
	}
	return nil
}

func missingDetail(missing []string) []string {
	out := make([]string, 0, len(missing))
	for _, m := range missing {
		out = append(out, "unknown placeholder {{ "+m+" }}")
	}
	return out
}

// CreateTemplate adds a template whose placeholders all name parameters of
// the product (or builtins).
func (s *Service) CreateTemplate(ctx context.Context, actor account.Principal, productID string, in TemplateInput) (Template, error) {
	var out Template
	_, err := s.change(ctx, actor, productID, func(st *state, tx *dynamo.Tx) error {
		t, msgs := newTemplate(in)
		if len(msgs) > 0 {
			return fault.InvalidList(msgs...)
		}
		if err := st.checkPlaceholders(t); err != nil {
			return err
		}
		now := s.now().UTC()
		t.ID, t.Created, t.Updated = templateID(), now, now
		tx.Create("template", newTemplateRow(productID, t))
		out = t
		return nil
	})
	return out, err
}

func templateID() string { return ident.Digits("TL", 3, 3, 3) }

// UpdateTemplate changes a template.
func (s *Service) UpdateTemplate(ctx context.Context, actor account.Principal, productID, templateID string, in TemplateInput) (Template, error) {
	var out Template
	_, err := s.change(ctx, actor, productID, func(st *state, tx *dynamo.Tx) error {
		t, err := st.template(templateID)
		if err != nil {
			return err
		}
		if msgs := in.apply(&t); len(msgs) > 0 {
			return fault.InvalidList(msgs...)
		}
		if err := st.checkPlaceholders(t); err != nil {
			return err
		}
		if aa := st.head.p.Capabilities.AutoApprove; aa.Enabled && aa.TemplateID == t.ID && (t.Type != TemplateFulfillment || t.Scope != ScopeAsset) {
			return fault.Invalidf("template %s is the product's auto_approve template and must stay an asset fulfillment template", t.ID)
		}
		t.Updated = s.now().UTC()
		tx.Put("template", newTemplateRow(productID, t), nil)
		out = t
		return nil
	})
	return out, err
}

// DeleteTemplate removes a template that auto-approval does not use.
func (s *Service) DeleteTemplate(ctx context.Context, actor account.Principal, productID, templateID string) error {
	_, err := s.change(ctx, actor, productID, func(st *state, tx *dynamo.Tx) error {
		t, err := st.template(templateID)
		if err != nil {
			return err
		}
		if aa := st.head.p.Capabilities.AutoApprove; aa.Enabled && aa.TemplateID == t.ID {
			return fault.Invalidf("template %s is the product's auto_approve template; disable auto_approve first", t.ID)
		}
		tx.Delete("template", newTemplateRow(productID, t).Key, nil)
		return nil
	})
	return err
}

// PreviewTemplate renders a template with the supplied values and samples
// for the rest.
func (s *Service) PreviewTemplate(ctx context.Context, actor account.Principal, productID, templateID string, values map[string]string) (Preview, error) {
	st, err := s.load(ctx, actor, productID)
	if err != nil {
		return Preview{}, err
	}
	t, err := st.template(templateID)
	if err != nil {
		return Preview{}, err
	}
	return preview(t, st.params, values), nil
}
