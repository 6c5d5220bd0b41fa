package catalog

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/ident"
)

// Product statuses.
const (
	StatusDraft     = "draft"
	StatusPublished = "published"
	StatusEndOfSale = "endofsale"
)

// Product is a vendor's product as the API shows it.
type Product struct {
	ID                  string       `json:"id"`
	Name                string       `json:"name"`
	ShortDescription    string       `json:"short_description"`
	DetailedDescription string       `json:"detailed_description"`
	Category            Code         `json:"category"`
	Icon                string       `json:"icon"`
	Status              string       `json:"status"`
	Version             int          `json:"version"`
	PublishedAt         *time.Time   `json:"published_at,omitempty"`
	EndOfSaleNotes      string       `json:"end_of_sale_notes,omitempty"`
	Capabilities        Capabilities `json:"capabilities"`
	Owner               Ref          `json:"owner"`
	Created             time.Time    `json:"created"`
	Updated             time.Time    `json:"updated"`
}

// Capabilities are the product's switches.
type Capabilities struct {
	SuspendResumeSupported      bool        `json:"suspend_resume_supported" dynamodbav:"suspend_resume_supported"`
	RequiresResellerInformation bool        `json:"requires_reseller_information" dynamodbav:"requires_reseller_information"`
	AutoApprove                 AutoApprove `json:"auto_approve" dynamodbav:"auto_approve"`
}

// AutoApprove lets the fulfillment worker approve purchases of digital
// goods that need no manual step, with TemplateID.
type AutoApprove struct {
	Enabled    bool   `json:"enabled" dynamodbav:"enabled"`
	TemplateID string `json:"template_id,omitempty" dynamodbav:"template_id,omitempty"`
}

// ProductInput is the body of POST and PUT /products: on PUT, fields left
// out keep their value.
type ProductInput struct {
	Name                *string       `json:"name"`
	ShortDescription    *string       `json:"short_description"`
	DetailedDescription *string       `json:"detailed_description"`
	Category            *string       `json:"category"`
	Icon                *string       `json:"icon"`
	Capabilities        *Capabilities `json:"capabilities"`
}

const (
	maxName        = 200
	maxShort       = 1000
	maxDescription = 100_000
)

// apply sets the given fields on p, checking each, and reports every broken
// rule at once.
func (in ProductInput) apply(p *Product, published bool) []string {
	var msgs []string
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		switch {
		case name == "" || len(name) > maxName:
			msgs = append(msgs, fmt.Sprintf("name is required and must be at most %d characters", maxName))
		case published && name != p.Name:
			msgs = append(msgs, "name cannot change after the product is published")
		default:
			p.Name = name
		}
	}
	set := func(dst *string, src *string, field string, max int) {
		if src == nil {
			return
		}
		if len(*src) > max {
			msgs = append(msgs, fmt.Sprintf("%s must be at most %d characters", field, max))
			return
		}
		*dst = *src
	}
	set(&p.ShortDescription, in.ShortDescription, "short_description", maxShort)
	set(&p.DetailedDescription, in.DetailedDescription, "detailed_description", maxDescription)
	set((*string)(&p.Category), in.Category, "category", maxName)
	if in.Icon != nil {
		if *in.Icon != "" && !isHTTPURL(*in.Icon) {
			msgs = append(msgs, fmt.Sprintf("icon must be an http(s) URL (got %q)", *in.Icon))
		} else {
			p.Icon = *in.Icon
		}
	}
	if in.Capabilities != nil {
		p.Capabilities = *in.Capabilities
	}
	return msgs
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// CreateProduct creates a draft product with one default item, one default
// parameter and a default activation template, as Connect starts the lab,
// for the vendor to adjust or delete.
func (s *Service) CreateProduct(ctx context.Context, actor account.Principal, in ProductInput) (Product, error) {
	if !actor.Is(account.Vendor) {
		return Product{}, fault.Forbiddenf("only vendor accounts create products")
	}
	if in.Name == nil {
		in.Name = new(string)
	}
	now := s.now().UTC()
	p := Product{ID: ident.Digits("PRD", 3, 3, 3), Status: StatusDraft, Owner: Ref{ID: actor.AccountID, Name: actor.AccountName},
		Created: now, Updated: now}
	if msgs := in.apply(&p, false); len(msgs) > 0 {
		return Product{}, fault.InvalidList(msgs...)
	}
	if p.Capabilities.AutoApprove.Enabled {
		return Product{}, fault.Invalidf("auto_approve can be enabled once the product exists, naming one of its fulfillment templates")
	}
	h := &head{row: newHead(p), p: p}
	h.NextItem, h.NextParam = 2, 2
	item := defaultItem(p.ID, now)
	param := defaultParameter(p.ID, now)
	tpl := defaultActivationTemplate(now)
	ev, err := event.New(event.ProductCreated, actor.AccountID, p, now)
	if err != nil {
		return Product{}, err
	}
	tx := s.table.Tx().
		Create("product", h.toRow()).
		Create("item", newItemRow(p.ID, item)).
		Create("mpn", uniqueRow(p.ID, "MPN#", item.MPN, item.ID)).
		Create("parameter", newParamRow(p.ID, param)).
		Create("parameter name", uniqueRow(p.ID, "PNAME#", param.Name, param.ID)).
		Create("template", newTemplateRow(p.ID, tpl)).
		Emit(ev, s.retentionDays)
	if err := tx.Commit(ctx); err != nil {
		return Product{}, fmt.Errorf("catalog: create product: %w", err)
	}
	return p, nil
}

func defaultItem(productID string, now time.Time) Item {
	one := 1
	return Item{ID: itemID(productID, 1), LocalID: localID(1), Name: "Default item", MPN: "MPN-DEFAULT-1",
		Type: ItemReservation, Period: PeriodMonthly, Unit: "unit", Precision: PrecisionInteger,
		MinQuantity: 1, MaxQuantity: &one, Status: StatusDraft, Created: now, Updated: now}
}

func defaultParameter(productID string, now time.Time) Parameter {
	return Parameter{ID: paramID(productID, 1), Name: "param_default", Title: "Default parameter",
		Description: "An example ordering parameter; edit or delete it.", Type: ParamText, Scope: ScopeAsset,
		Phase: PhaseOrdering, Created: now, Updated: now}
}

// defaultActivationTemplate is the asset fulfillment template Connect gives
// a new product and the lab edits. Its body uses builtins only, so that the
// vendor can delete or rename the default parameter first.
func defaultActivationTemplate(now time.Time) Template {
	return Template{ID: templateID(), Name: "Default Activation Template", Title: "Default Activation Template",
		Scope: ScopeAsset, Type: TemplateFulfillment, Body: defaultActivationBody, Created: now, Updated: now}
}

const defaultActivationBody = `# Welcome to {{ product.name }}

Dear {{ customer.name }},

your subscription **{{ asset.id }}** is active.

Edit this template to tell the customer how to sign in and get started. Any parameter of the product can
be used here by its name in double braces.
`

// GetProduct reads a product. Vendors see their own; admins any.
func (s *Service) GetProduct(ctx context.Context, actor account.Principal, id string) (Product, error) {
	st, err := s.load(ctx, actor, id)
	if err != nil {
		return Product{}, err
	}
	return st.head.product(), nil
}

// UpdateProduct changes the given fields.
func (s *Service) UpdateProduct(ctx context.Context, actor account.Principal, id string, in ProductInput) (Product, error) {
	st, err := s.change(ctx, actor, id, func(st *state, tx *dynamo.Tx) error {
		p := st.head.product()
		if msgs := in.apply(&p, st.head.Version > 0); len(msgs) > 0 {
			return fault.InvalidList(msgs...)
		}
		if err := st.checkAutoApprove(p.Capabilities.AutoApprove); err != nil {
			return err
		}
		st.head.setProduct(p)
		return nil
	})
	if err != nil {
		return Product{}, err
	}
	return st.head.product(), nil
}

func (st *state) checkAutoApprove(a AutoApprove) error {
	if !a.Enabled {
		return nil
	}
	t, ok := st.templates[a.TemplateID]
	if !ok || t.Type != TemplateFulfillment || t.Scope != ScopeAsset {
		return fault.Invalidf("auto_approve.template_id must name one of the product's asset fulfillment templates (got %q)", a.TemplateID)
	}
	return nil
}
