package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/fault"
)

// A product and everything it owns live in one partition, so that reading a
// product with its items, parameters and templates is one Query:
//
//	PRODUCT#<id> / PRODUCT             the head; gsi1 PRODUCTS#<vendor> / <created>#<id>
//	PRODUCT#<id> / ITEM#<item id>      an item
//	PRODUCT#<id> / PARAM#<param id>    a parameter
//	PRODUCT#<id> / TEMPLATE#<id>       a template
//	PRODUCT#<id> / MPN#<mpn>           keeps MPNs unique in the product
//	PRODUCT#<id> / PNAME#<name>        keeps parameter names unique
//	PRODUCT#<id> / LISTING#<mp>        the product's listing on a marketplace
//	PRODUCTVERSIONS#<id> / V#<000001>  published snapshots, apart because they are large
//
// Objects are stored as the JSON the API shows (doc), so that a snapshot, an
// event and an answer are the same bytes; keys and counters sit beside it.
// readRow reads and decodes the row at k, with its revision; missing is
// the error when there is none.
func readRow[T any](ctx context.Context, t *dynamo.Table, k dynamo.Key, missing error) (T, int, error) {
	r, err := dynamo.GetAs[row](ctx, t, k, missing)
	if err != nil {
		var zero T
		return zero, 0, err
	}
	v, err := dynamo.Decode[T](r)
	return v, r.Rev, err
}

type row struct {
	dynamo.Row
	Rev       int `dynamodbav:"rev,omitempty"`
	NextItem  int `dynamodbav:"next_item,omitempty"`
	NextParam int `dynamodbav:"next_param,omitempty"`
	Version   int `dynamodbav:"version,omitempty"`
}

func productPK(id string) string { return "PRODUCT#" + id }

func docRow(pk, sk, entity string, v any) row {
	return row{Row: dynamo.DocRow(dynamo.Key{PK: pk, SK: sk}, entity, v)}
}

// head is the product row with its counters.
type head struct {
	row
	p Product
}

func newHead(p Product) row {
	r := docRow(productPK(p.ID), "PRODUCT", "product", p)
	r.GSI1PK, r.GSI1SK = "PRODUCTS#"+p.Owner.ID, p.Created.Format("2006-01-02T15:04:05.000000Z")+"#"+p.ID
	r.Rev = 1
	return r
}

func (h *head) product() Product { return h.p }

func (h *head) setProduct(p Product) { h.p = p }

func (h *head) toRow() row {
	r := docRow(h.PK, h.SK, "product", h.p)
	r.GSI1PK, r.GSI1SK = h.GSI1PK, h.GSI1SK
	r.Rev, r.NextItem, r.NextParam = h.Rev, h.NextItem, h.NextParam
	r.Version = h.p.Version
	return r
}

func newItemRow(productID string, it Item) row {
	return docRow(productPK(productID), "ITEM#"+it.ID, "item", it)
}

func newParamRow(productID string, p Parameter) row {
	return docRow(productPK(productID), "PARAM#"+p.ID, "parameter", p)
}

func newTemplateRow(productID string, t Template) row {
	return docRow(productPK(productID), "TEMPLATE#"+t.ID, "template", t)
}

// uniqueRow claims value in the product's namespace prefix: creating it
// fails when another object holds the value.
func uniqueRow(productID, prefix, value, owner string) row {
	return row{Row: dynamo.Row{Key: dynamo.Key{PK: productPK(productID), SK: prefix + uniqueKey(value)}, Entity: "unique", Doc: owner}}
}

// uniqueKey is the form of a value its uniqueness row is keyed by: MPNs and
// parameter names are unique whatever their letter case.
func uniqueKey(v string) string { return strings.ToLower(v) }

// sameUniqueKey reports whether two values share a uniqueness row. It
// compares the stored key rather than using strings.EqualFold, which folds
// more pairs (such as ſ and s) than ToLower maps to one key.
func sameUniqueKey(a, b string) bool { return uniqueKey(a) == uniqueKey(b) }

func itemID(productID string, n int) string { return productID + "-" + localID(n) }
func localID(n int) string                  { return fmt.Sprintf("%04d", n) }
func paramID(productID string, n int) string {
	return "PRM-" + strings.TrimPrefix(productID, "PRD-") + "-" + localID(n)
}

// state is a product partition as loaded.
type state struct {
	head      *head
	items     map[string]Item
	itemOrder []string
	params    map[string]Parameter
	templates map[string]Template
	listings  map[string]Listing // by marketplace id
	// openRequests are the marketplaces with a listing request of the
	// product open (draft or in review), each holding the lock row.
	openRequests map[string]bool
	connections  map[string]Connection
}

func (st *state) sortedConnections() []Connection {
	out := make([]Connection, 0, len(st.connections))
	for _, c := range st.connections {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Connection) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func (st *state) sortedItems() []Item {
	out := make([]Item, 0, len(st.itemOrder))
	for _, id := range st.itemOrder {
		out = append(out, st.view(st.items[id]))
	}
	return out
}

// view derives an item's status: a draft item becomes published once a
// published version includes it, without rewriting every item at publish.
func (st *state) view(it Item) Item {
	if it.Status == StatusDraft && st.inLatestVersion(it) {
		it.Status = StatusPublished
	}
	return it
}

// inLatestVersion reports whether the newest published version includes
// the item: every item created up to the last publish is in it, since
// items of a published product are never deleted.
func (st *state) inLatestVersion(it Item) bool {
	at := st.head.p.PublishedAt
	return at != nil && !it.Created.After(*at)
}

// loadPartition reads the whole product partition in one consistent Query
// (more only if the partition passes 1 MB).
func (s *Service) loadPartition(ctx context.Context, id string) (*state, error) {
	rows, err := dynamo.QueryAll[row](ctx, s.table, dynamo.Partition{PK: productPK(id)})
	if err != nil {
		return nil, fmt.Errorf("catalog: load product %s: %w", id, err)
	}
	st := &state{items: map[string]Item{}, params: map[string]Parameter{}, templates: map[string]Template{}, listings: map[string]Listing{}, openRequests: map[string]bool{}, connections: map[string]Connection{}}
	for _, r := range rows {
		if err := st.add(r); err != nil {
			return nil, err
		}
	}
	if st.head == nil {
		return nil, errNoProduct
	}
	return st, nil
}

var errNoProduct = errors.New("catalog: no such product")

func (st *state) add(r row) error {
	var err error
	switch r.Entity {
	case "product":
		var p Product
		if p, err = dynamo.Decode[Product](r); err == nil {
			st.head = &head{row: r, p: p}
		}
	case "item":
		var it Item
		if it, err = dynamo.Decode[Item](r); err == nil {
			st.items[it.ID] = it
			st.itemOrder = append(st.itemOrder, it.ID)
		}
	case "parameter":
		var p Parameter
		if p, err = dynamo.Decode[Parameter](r); err == nil {
			st.params[p.ID] = p
		}
	case "template":
		var t Template
		if t, err = dynamo.Decode[Template](r); err == nil {
			st.templates[t.ID] = t
		}
	case "listing":
		var l Listing
		if l, err = dynamo.Decode[Listing](r); err == nil {
			st.listings[l.Marketplace.ID] = l
		}
	case "connection":
		var c Connection
		if c, err = dynamo.Decode[Connection](r); err == nil {
			st.connections[c.ID] = c
		}
	case "lock":
		if mp, ok := strings.CutPrefix(r.SK, pendingSK("")); ok {
			st.openRequests[mp] = true
		}
	}
	return err
}

// load reads a product the caller may see: its vendor, or an admin. Any
// other caller is told it does not exist.
func (s *Service) load(ctx context.Context, actor account.Principal, id string) (*state, error) {
	return s.loadFor(ctx, actor, id, func(*state) bool { return false })
}

// loadPublished reads a product whose published versions the caller may
// see: its vendor, an admin, or a provider that has it listed on one of its
// marketplaces. A hub reads there the item and parameter ids it orders
// with; the working copy, with changes not yet published, stays the
// vendor's.
func (s *Service) loadPublished(ctx context.Context, actor account.Principal, id string) (*state, error) {
	return s.loadFor(ctx, actor, id, func(st *state) bool {
		if !actor.Is(account.Provider) {
			return false
		}
		for _, l := range st.listings {
			if l.Status == Listed && l.Provider.ID == actor.AccountID {
				return true
			}
		}
		return false
	})
}

// loadFor reads a product for its vendor, an admin, or a caller also
// admits; anyone else is told it does not exist.
func (s *Service) loadFor(ctx context.Context, actor account.Principal, id string, also func(*state) bool) (*state, error) {
	st, err := s.loadPartition(ctx, id)
	if errors.Is(err, errNoProduct) {
		return nil, fault.NotFoundf("product %s not found", id)
	}
	if err != nil {
		return nil, err
	}
	if !actor.Is(account.Admin) && st.head.p.Owner.ID != actor.AccountID && !also(st) {
		return nil, fault.NotFoundf("product %s not found", id)
	}
	return st, nil
}

// change loads the product, lets fn change it and add writes to the
// transaction, then writes the head back under the revision it was read at
// and emits product.updated, all in one transaction. A concurrent change
// loses with 409.
func (s *Service) change(ctx context.Context, actor account.Principal, id string, fn func(st *state, tx *dynamo.Tx) error) (*state, error) {
	if !actor.Is(account.Vendor) {
		return nil, fault.Forbiddenf("only the product's vendor can change it")
	}
	st, err := s.load(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	tx := s.table.Tx()
	if err := fn(st, tx); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	rev := st.head.Rev
	st.head.Rev++
	st.head.p.Updated = now
	ev, err := event.New(event.ProductUpdated, st.head.p.Owner.ID, st.head.p, now)
	if err != nil {
		return nil, err
	}
	cond := expression.Name("rev").Equal(expression.Value(rev))
	tx.Put("product", st.head.toRow(), &cond).Emit(ev, s.retentionDays)
	if err := tx.Commit(ctx); err != nil {
		return nil, conflictMessage(err)
	}
	return st, nil
}

// conflictMessage names what a failed condition means in catalog terms.
func conflictMessage(err error) error {
	cf, ok := dynamo.AsConditionFailed(err)
	if !ok {
		return err
	}
	switch {
	case cf.Failed("mpn"):
		return &fault.Error{Kind: fault.Invalid, Messages: []string{"mpn is already used by another item of this product"}, Err: err}
	case cf.Failed("parameter name"):
		return &fault.Error{Kind: fault.Invalid, Messages: []string{"name is already used by another parameter of this product"}, Err: err}
	case cf.Failed("product"):
		return &fault.Error{Kind: fault.Conflict, Messages: []string{"the product was changed by another request; reload it and retry"}, Err: err}
	}
	return err
}
