package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/shopspring/decimal"
	"golang.org/x/text/currency"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/ident"
	"github.com/mercato-dev/mercato/internal/layout"
)

// Listing request types and statuses, and listing statuses.
const (
	ListingNew    = "new"
	ListingUpdate = "update"
	ListingRemove = "remove"

	RequestDraft    = "draft"
	RequestPending  = "pending"
	RequestApproved = "approved"
	RequestRejected = "rejected"
	RequestCanceled = "canceled"

	Listed   = "listed"
	Unlisted = "unlisted"
)

// Terms a listing can offer: a month or a year of commitment.
const (
	TermMonth = "P1M"
	TermYear  = "P1Y"
)

// Price is what one item costs on a marketplace: per billing period for
// reservation items, per unit for pay-per-use items.
type Price struct {
	Item  Ref      `json:"item"`
	Price string   `json:"price"`
	Terms []string `json:"terms"`
}

// ListingRequest asks a marketplace's provider to list, re-price or remove
// a product.
type ListingRequest struct {
	ID          string    `json:"id"`
	Type        string    `json:"type"`
	Status      string    `json:"status"`
	Product     Ref       `json:"product"`
	Version     int       `json:"version"`
	Marketplace Ref       `json:"marketplace"`
	Vendor      Ref       `json:"vendor"`
	Provider    Ref       `json:"provider"`
	Currency    string    `json:"currency"`
	Prices      []Price   `json:"prices"`
	Note        string    `json:"note,omitempty"`
	Reason      string    `json:"reason,omitempty"`
	Created     time.Time `json:"created"`
	Updated     time.Time `json:"updated"`
}

// Listing is a product on sale on a marketplace.
type Listing struct {
	ID          string   `json:"id"`
	Status      string   `json:"status"`
	Product     Ref      `json:"product"`
	Marketplace Ref      `json:"marketplace"`
	Vendor      Ref      `json:"vendor"`
	Provider    Ref      `json:"provider"`
	Currency    string   `json:"currency"`
	Countries   []string `json:"countries"`
	Prices      []Price  `json:"prices"`
	// EndOfSale is set while the product is at end of sale: the listing
	// stays, for the subscriptions bought on it, and takes no purchases.
	EndOfSale bool      `json:"end_of_sale,omitempty"`
	Request   Ref       `json:"request"`
	Created   time.Time `json:"created"`
	Updated   time.Time `json:"updated"`
}

// PriceOf returns the listed price of an item (by id or local id).
func (l Listing) PriceOf(itemID string) (Price, bool) {
	for _, p := range l.Prices {
		if p.Item.ID == itemID || strings.HasSuffix(p.Item.ID, "-"+itemID) {
			return p, true
		}
	}
	return Price{}, false
}

// RefInput accepts a reference as {"id": "…"} or as the bare id string.
type RefInput struct{ ID string }

// UnmarshalJSON reads either form.
func (r *RefInput) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		r.ID = s
		return nil
	}
	var obj struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return fmt.Errorf("a reference is an id string or {\"id\": \"…\"}")
	}
	r.ID = obj.ID
	return nil
}

// PriceInput is one price of a listing request.
type PriceInput struct {
	Item  RefInput `json:"item"`
	Price string   `json:"price"`
	Terms []string `json:"terms"`
}

// ListingRequestInput is the body of POST /listing-requests.
type ListingRequestInput struct {
	Type        string       `json:"type"`
	Product     RefInput     `json:"product"`
	Marketplace RefInput     `json:"marketplace"`
	Prices      []PriceInput `json:"prices"`
	Note        string       `json:"note"`
	// State "draft" files the request as a draft for the vendor to submit
	// later; left out (or "reviewing"), it goes to the provider at once.
	State string `json:"state"`
}

func listingRequestKey(id string) dynamo.Key {
	return dynamo.Key{PK: "LISTINGREQUEST#" + id, SK: "LISTINGREQUEST"}
}
func listingSK(marketplaceID string) string { return "LISTING#" + marketplaceID }
func pendingSK(marketplaceID string) string { return "PENDINGLR#" + marketplaceID }

// SubmitListingRequest checks the prices against the product's current
// version and the marketplace's currency, and files the request for the
// marketplace's provider, or as the vendor's draft. One request per product
// and marketplace can be open (draft or pending) at a time.
func (s *Service) SubmitListingRequest(ctx context.Context, actor account.Principal, in ListingRequestInput) (ListingRequest, error) {
	status := RequestPending
	switch in.State {
	case "", "reviewing", RequestPending:
	case RequestDraft:
		status = RequestDraft
	default:
		return ListingRequest{}, fault.Invalidf("state must be draft, or left out to submit the request (got %q)", in.State)
	}
	if in.Product.ID == "" || in.Marketplace.ID == "" {
		return ListingRequest{}, fault.Invalidf("product and marketplace are required")
	}
	now := s.now().UTC()
	lr := ListingRequest{ID: ident.Digits("LSTR", 3, 3, 3, 3), Status: status, Note: in.Note, Created: now, Updated: now}
	st, err := s.checkListingRequest(ctx, actor, &lr, in)
	if err != nil {
		return ListingRequest{}, err
	}
	tx := s.table.Tx().
		Create("pending", row{Row: dynamo.Row{Key: dynamo.Key{PK: productPK(lr.Product.ID), SK: pendingSK(lr.Marketplace.ID)}, Entity: "lock", Doc: lr.ID}}).
		Create("listing request", listingRequestRow(lr, 1))
	if err := s.commitListingRequest(ctx, tx, st, lr, now); err != nil {
		if cf, ok := dynamo.AsConditionFailed(err); ok && cf.Failed("pending") {
			return ListingRequest{}, fault.Conflictf("a listing request for %s on %s is already open (draft or pending)", lr.Product.ID, lr.Marketplace.ID)
		}
		return ListingRequest{}, err
	}
	return lr, nil
}

// checkListingRequest checks what in asks of the vendor's product on the
// marketplace as it is now, and sets it on lr: the type, the version being
// listed, the parties and the prices.
func (s *Service) checkListingRequest(ctx context.Context, actor account.Principal, lr *ListingRequest, in ListingRequestInput) (*state, error) {
	if !actor.Is(account.Vendor) {
		return nil, fault.Forbiddenf("only vendor accounts submit listing requests")
	}
	st, err := s.load(ctx, actor, in.Product.ID)
	if err != nil {
		return nil, err
	}
	if st.head.p.Version == 0 {
		return nil, fault.Invalidf("product %s must be published before it is listed", in.Product.ID)
	}
	mp, err := s.GetMarketplace(ctx, actor, in.Marketplace.ID)
	if err != nil {
		return nil, err
	}
	current, listed := st.listings[mp.ID]
	listed = listed && current.Status == Listed
	typ, err := listingType(in.Type, listed)
	if err != nil {
		return nil, err
	}
	if typ != ListingRemove && st.head.p.Status == StatusEndOfSale {
		return nil, fault.Transitionf("product %s is at end of sale; resume its sale before listing it", st.head.p.ID)
	}
	var prices []Price
	if typ != ListingRemove {
		if prices, err = st.checkPrices(in.Prices, mp.Currency); err != nil {
			return nil, err
		}
	} else if len(in.Prices) > 0 {
		return nil, fault.Invalidf("a remove request carries no prices")
	}
	lr.Type, lr.Prices, lr.Version, lr.Currency = typ, prices, st.head.p.Version, mp.Currency
	lr.Product, lr.Marketplace = Ref{ID: st.head.p.ID, Name: st.head.p.Name}, Ref{ID: mp.ID, Name: mp.Name}
	lr.Vendor, lr.Provider = st.head.p.Owner, mp.Owner
	return st, nil
}

// commitListingRequest commits tx with the request's events, on the
// condition that the product is still as checked: an end of sale meanwhile
// refuses the request, since its approval would put the product on sale
// again.
func (s *Service) commitListingRequest(ctx context.Context, tx *dynamo.Tx, st *state, lr ListingRequest, now time.Time) error {
	tx.Check("product", st.head.Key, expression.Name("rev").Equal(expression.Value(st.head.Rev)))
	if err := emitBoth(tx, event.ListingRequestUpdated, lr, lr.Vendor.ID, lr.Provider.ID, now, s.retentionDays); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		if cf, ok := dynamo.AsConditionFailed(err); ok && cf.Failed("pending") {
			return err
		}
		return conflictMessage(err)
	}
	return nil
}

func listingType(typ string, listed bool) (string, error) {
	if typ == "" {
		typ = ListingNew
		if listed {
			typ = ListingUpdate
		}
	}
	switch {
	case typ == ListingNew && listed:
		return "", fault.Invalidf("the product is already listed on this marketplace; submit type update or remove")
	case (typ == ListingUpdate || typ == ListingRemove) && !listed:
		return "", fault.Invalidf("the product is not listed on this marketplace; submit type new")
	case typ != ListingNew && typ != ListingUpdate && typ != ListingRemove:
		return "", fault.Invalidf("type must be one of new, update, remove (got %q)", typ)
	}
	return typ, nil
}

// checkPrices wants one price per item on sale in the version being listed
// (the latest), in the currency's minor units, with terms the item's period
// allows. Items added since that version was published are left out, and a
// price for one is refused: orders bind to the version, so they cannot be
// sold until a new version is published and listed with them.
func (st *state) checkPrices(in []PriceInput, cur string) ([]Price, error) {
	unit, _ := currency.ParseISO(cur)
	scale, _ := currency.Standard.Rounding(unit)
	var msgs []string
	var out []Price
	seen := map[string]bool{}
	for i, p := range in {
		it, ok := st.items[p.Item.ID]
		if !ok {
			msgs = append(msgs, fmt.Sprintf("prices[%d]: item %q is not an item of the product", i, p.Item.ID))
			continue
		}
		if !st.inLatestVersion(it) {
			msgs = append(msgs, fmt.Sprintf("prices[%d]: item %s is not in version %d, the one being listed; publish the product to sell it", i, it.ID, st.head.p.Version))
			continue
		}
		if seen[it.ID] {
			msgs = append(msgs, fmt.Sprintf("prices[%d]: item %s is priced twice", i, it.ID))
			continue
		}
		seen[it.ID] = true
		d, err := decimal.NewFromString(p.Price)
		switch {
		case err != nil:
			msgs = append(msgs, fmt.Sprintf("prices[%d]: price %q is not a decimal number", i, p.Price))
		case d.IsNegative():
			msgs = append(msgs, fmt.Sprintf("prices[%d]: price must not be negative", i))
		case !d.Equal(d.Round(int32(scale))):
			msgs = append(msgs, fmt.Sprintf("prices[%d]: price %s has more than %d decimals for %s", i, p.Price, scale, cur))
		}
		terms, tmsgs := itemTerms(it, p.Terms)
		for _, m := range tmsgs {
			msgs = append(msgs, fmt.Sprintf("prices[%d]: %s", i, m))
		}
		out = append(out, Price{Item: Ref{ID: it.ID, Name: it.Name}, Price: d.StringFixed(int32(scale)), Terms: terms})
	}
	for _, it := range st.sortedItems() {
		if it.Status != StatusEndOfSale && st.inLatestVersion(it) && !seen[it.ID] {
			msgs = append(msgs, fmt.Sprintf("item %s (%s) needs a price", it.ID, it.MPN))
		}
	}
	if len(msgs) > 0 {
		return nil, fault.InvalidList(msgs...)
	}
	return out, nil
}

// itemTerms checks requested terms against the item's period: a monthly
// item may be committed for a month or a year, a yearly one for a year, a
// one-time item has no term, and usage is billed monthly.
func itemTerms(it Item, terms []string) ([]string, []string) {
	allowed := map[string][]string{PeriodMonthly: {TermMonth, TermYear}, PeriodYearly: {TermYear}, PeriodOneTime: {}}[it.Period]
	def := map[string][]string{PeriodMonthly: {TermMonth}, PeriodYearly: {TermYear}, PeriodOneTime: {}}[it.Period]
	if it.Type == ItemPPU {
		allowed, def = []string{TermMonth}, []string{TermMonth}
	}
	if len(terms) == 0 {
		return def, nil
	}
	var msgs []string
	var out []string
	for _, t := range terms {
		if !slices.Contains(allowed, t) {
			msgs = append(msgs, fmt.Sprintf("term %q is not offered for a %s %s item (allowed: %v)", t, it.Period, it.Type, allowed))
		} else if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out, msgs
}

// BillingCycle is Partner Center's name for an item's period.
func BillingCycle(it Item) string {
	switch it.Period {
	case PeriodYearly:
		return "annual"
	case PeriodOneTime:
		return "one_time"
	}
	return "monthly"
}

// listingRequestRow is the request's item at revision rev, which each
// change of its state raises by one.
func listingRequestRow(lr ListingRequest, rev int) row {
	k := listingRequestKey(lr.ID)
	r := docRow(k.PK, k.SK, "listing_request", lr)
	// The list pages by this key, and its created bounds are key
	// conditions: a fixed-width time keeps the key order the time order.
	sk := layout.SortKey(lr.Created, lr.ID)
	r.GSI1PK, r.GSI1SK = "LISTINGREQUESTS#V#"+lr.Vendor.ID, sk
	r.GSI2PK, r.GSI2SK = "LISTINGREQUESTS#P#"+lr.Provider.ID, sk
	r.Rev = rev
	return r
}

func listingRow(l Listing) row {
	r := docRow(productPK(l.Product.ID), listingSK(l.Marketplace.ID), "listing", l)
	r.GSI1PK, r.GSI1SK = "LISTINGS#V#"+l.Vendor.ID, l.Product.ID+"#"+l.Marketplace.ID
	r.GSI2PK, r.GSI2SK = "LISTINGS#P#"+l.Provider.ID, l.Product.ID+"#"+l.Marketplace.ID
	r.GSI3PK, r.GSI3SK = "LISTING#"+l.ID, "LISTING"
	return r
}

// emitBoth tells the vendor and the provider: each account's webhooks see
// the events of their own account only.
func emitBoth(tx *dynamo.Tx, t event.Type, obj any, vendor, provider string, now time.Time, days int) error {
	for _, acct := range []string{vendor, provider} {
		ev, err := event.New(t, acct, obj, now)
		if err != nil {
			return err
		}
		tx.Emit(ev, days)
	}
	return nil
}

// GetListingRequest reads a request its vendor or its marketplace's
// provider may see.
func (s *Service) GetListingRequest(ctx context.Context, actor account.Principal, id string) (ListingRequest, error) {
	lr, _, err := s.readListingRequest(ctx, actor, id)
	return lr, err
}

// readListingRequest reads a request the caller may see, with its
// revision.
func (s *Service) readListingRequest(ctx context.Context, actor account.Principal, id string) (ListingRequest, int, error) {
	lr, rev, err := readRow[ListingRequest](ctx, s.table, listingRequestKey(id), fault.NotFoundf("listing request %s not found", id))
	if err != nil {
		return ListingRequest{}, 0, err
	}
	if !actor.Is(account.Admin) && actor.AccountID != lr.Vendor.ID && actor.AccountID != lr.Provider.ID {
		return ListingRequest{}, 0, fault.NotFoundf("listing request %s not found", id)
	}
	// Requests from before revisions were kept are at their first.
	return lr, max(rev, 1), nil
}

// DecideInput is the body of approve and reject.
type DecideInput struct {
	Note   string `json:"note"`
	Reason string `json:"reason"`
}

// ApproveListingRequest lists, re-prices or unlists the product.
func (s *Service) ApproveListingRequest(ctx context.Context, actor account.Principal, id string, in DecideInput) (ListingRequest, error) {
	return s.decide(ctx, actor, id, RequestApproved, in)
}

// RejectListingRequest turns the request down; a reason is required.
func (s *Service) RejectListingRequest(ctx context.Context, actor account.Principal, id string, in DecideInput) (ListingRequest, error) {
	if strings.TrimSpace(in.Reason) == "" {
		return ListingRequest{}, fault.Invalidf("reason is required to reject a listing request")
	}
	return s.decide(ctx, actor, id, RequestRejected, in)
}

func (s *Service) decide(ctx context.Context, actor account.Principal, id, status string, in DecideInput) (ListingRequest, error) {
	if !actor.Is(account.Provider) {
		return ListingRequest{}, fault.Forbiddenf("only the marketplace's provider decides listing requests")
	}
	lr, rev, err := s.readListingRequest(ctx, actor, id)
	if err != nil {
		return ListingRequest{}, err
	}
	if lr.Provider.ID != actor.AccountID {
		return ListingRequest{}, fault.NotFoundf("listing request %s not found", id)
	}
	if lr.Status != RequestPending {
		return ListingRequest{}, fault.Transitionf("listing request %s is %s; only a pending request can be %s", id, lr.Status, status)
	}
	now := s.now().UTC()
	lr.Status, lr.Updated, lr.Reason = status, now, in.Reason
	if in.Note != "" {
		lr.Note = in.Note
	}
	cond := expression.Name("rev").Equal(expression.Value(rev))
	tx := s.table.Tx().
		Put("listing request", listingRequestRow(lr, rev+1), &cond).
		Delete("pending", dynamo.Key{PK: productPK(lr.Product.ID), SK: pendingSK(lr.Marketplace.ID)}, nil)
	if err := emitBoth(tx, event.ListingRequestUpdated, lr, lr.Vendor.ID, lr.Provider.ID, now, s.retentionDays); err != nil {
		return ListingRequest{}, err
	}
	if status == RequestApproved {
		l, err := s.applyListing(ctx, lr, now)
		if err != nil {
			return ListingRequest{}, err
		}
		tx.Put("listing", listingRow(l), nil)
		// Orders that rely on a cached copy of the listing fail their
		// check from now on, and read it again.
		bumpGuards(tx, l.Product.ID, listingAttr(l.Marketplace.ID), lr.ID)
		if err := emitBoth(tx, event.ListingUpdated, l, l.Vendor.ID, l.Provider.ID, now, s.retentionDays); err != nil {
			return ListingRequest{}, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		if fault.Is(err, fault.Conflict) {
			return ListingRequest{}, fault.Conflictf("listing request %s was decided by another request", id)
		}
		return ListingRequest{}, err
	}
	return lr, nil
}

// applyListing computes the listing after an approved request.
func (s *Service) applyListing(ctx context.Context, lr ListingRequest, now time.Time) (Listing, error) {
	var r row
	l := Listing{ID: ident.Digits("LST", 3, 3, 3), Created: now}
	switch err := s.table.Get(ctx, dynamo.Key{PK: productPK(lr.Product.ID), SK: listingSK(lr.Marketplace.ID)}, &r); {
	case err == nil:
		prev, err := dynamo.Decode[Listing](r)
		if err != nil {
			return Listing{}, err
		}
		l = prev
	case !errors.Is(err, dynamo.ErrNotFound):
		return Listing{}, err
	}
	mp, err := s.marketplace(ctx, lr.Marketplace.ID)
	if err != nil {
		return Listing{}, err
	}
	l.Product, l.Marketplace, l.Vendor, l.Provider = lr.Product, lr.Marketplace, lr.Vendor, lr.Provider
	l.Currency, l.Countries, l.Request, l.Updated = mp.Currency, mp.Countries, Ref{ID: lr.ID}, now
	l.Status = Listed
	if lr.Type == ListingRemove {
		l.Status = Unlisted
	} else {
		l.Prices = lr.Prices
	}
	return l, nil
}

// GetListing reads a listing by id, through the id index.
func (s *Service) GetListing(ctx context.Context, actor account.Principal, id string) (Listing, error) {
	ls, err := queryDocs[Listing](ctx, s, dynamo.Partition{Index: dynamo.GSI3, PK: "LISTING#" + id})
	if err != nil {
		return Listing{}, err
	}
	if len(ls) == 0 || (!actor.Is(account.Admin) && actor.AccountID != ls[0].Vendor.ID && actor.AccountID != ls[0].Provider.ID) {
		return Listing{}, fault.NotFoundf("listing %s not found", id)
	}
	return ls[0], nil
}

func sidePartition(actor account.Principal, prefix string) (dynamo.Partition, error) {
	switch actor.AccountType {
	case account.Vendor:
		return dynamo.Partition{Index: dynamo.GSI1, PK: prefix + "#V#" + actor.AccountID}, nil
	case account.Provider:
		return dynamo.Partition{Index: dynamo.GSI2, PK: prefix + "#P#" + actor.AccountID}, nil
	}
	return dynamo.Partition{}, fault.Forbiddenf("only vendor and provider accounts have listings")
}

func queryDocs[T any](ctx context.Context, s *Service, part dynamo.Partition) ([]T, error) {
	rows, err := dynamo.QueryAll[row](ctx, s.table, part)
	if err != nil {
		return nil, err
	}
	return dynamo.DecodeAll[T](rows)
}
