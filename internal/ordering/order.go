package ordering

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/ident"
)

// Partner Center error codes the ordering rules answer with.
const (
	CodeCurrency     = 10000  // CurrencyIsNotSupported
	CodeCatalogItem  = 10001  // CatalogItemIdIsNotValid
	CodeInvalidInput = 10010  // InvalidInput
	CodeQuantity     = 800009 // quantity not within min and max (orders, checkout)
	CodeCartQuantity = 10015  // MaxAllowedSeatsPerSubscriptionExceeded: the same, on a cart line
)

// MaxLines bounds an order so that it, its assets, requests and events fit
// one DynamoDB transaction (100 items): 4 per line and 3 per order.
const MaxLines = 20

// LineInput is one line of an order or a cart, as Partner Center sends it.
type LineInput struct {
	LineItemNumber               *int              `json:"lineItemNumber"`
	OfferID                      string            `json:"offerId"`
	CatalogItemID                string            `json:"catalogItemId"`
	Quantity                     int               `json:"quantity"`
	FriendlyName                 string            `json:"friendlyName"`
	TermDuration                 string            `json:"termDuration"`
	BillingCycle                 string            `json:"billingCycle"`
	PartnerIDOnRecord            string            `json:"partnerIdOnRecord"`
	AdditionalPartnerIDsOnRecord []string          `json:"additionalPartnerIdsOnRecord"`
	ProvisioningContext          map[string]string `json:"provisioningContext"`
}

// offer returns the catalog item id the line names (orders say offerId,
// carts catalogItemId).
func (l LineInput) offer() string {
	if l.OfferID != "" {
		return l.OfferID
	}
	return l.CatalogItemID
}

// OrderInput is the body of POST /v1/customers/{id}/orders.
type OrderInput struct {
	ReferenceCustomerID                string      `json:"referenceCustomerId"`
	BillingCycle                       string      `json:"billingCycle"`
	CurrencyCode                       string      `json:"currencyCode"`
	LineItems                          []LineInput `json:"lineItems"`
	PartnerOnRecordAttestationAccepted bool        `json:"partnerOnRecordAttestationAccepted"`
}

// Order is a Partner Center order.
type Order struct {
	ID                  string      `json:"id"`
	ReferenceCustomerID string      `json:"referenceCustomerId"`
	BillingCycle        string      `json:"billingCycle"`
	CurrencyCode        string      `json:"currencyCode"`
	CurrencySymbol      string      `json:"currencySymbol"`
	LineItems           []OrderLine `json:"lineItems"`
	CreationDate        time.Time   `json:"creationDate"`
	Status              string      `json:"status"`
	TransactionType     string      `json:"transactionType"`
	ProviderID          string      `json:"providerId"`
	// Country is the customer's billing country, which the catalog links
	// of the order's resource carry.
	Country string `json:"country,omitempty"`
}

// OrderLine is a line of an order, with the asset (subscription) and the
// purchase request it became.
type OrderLine struct {
	LineItemNumber               int               `json:"lineItemNumber"`
	OfferID                      string            `json:"offerId"`
	SubscriptionID               string            `json:"subscriptionId"`
	RequestID                    string            `json:"requestId"`
	ProductID                    string            `json:"productId"`
	SkuID                        string            `json:"skuId"`
	AvailabilityID               string            `json:"availabilityId"`
	TermDuration                 string            `json:"termDuration"`
	TransactionType              string            `json:"transactionType"`
	FriendlyName                 string            `json:"friendlyName"`
	Quantity                     int               `json:"quantity"`
	PartnerIDOnRecord            string            `json:"partnerIdOnRecord,omitempty"`
	AdditionalPartnerIDsOnRecord []string          `json:"additionalPartnerIdsOnRecord,omitempty"`
	ProvisioningContext          map[string]string `json:"provisioningContext,omitempty"`
}

// Order statuses.
const (
	OrderPending   = "pending"
	OrderCompleted = "completed"
	OrderCancelled = "cancelled"
)

// LineError is why a line cannot be bought, with its Partner Center code.
type LineError struct {
	Code        int    `json:"errorCode"`
	Description string `json:"errorDescription"`
}

func lineErr(code int, format string, args ...any) *LineError {
	return &LineError{Code: code, Description: fmt.Sprintf(format, args...)}
}

// resolved is a valid line with the asset and request it makes.
type resolved struct {
	line    OrderLine
	asset   fulfillment.Asset
	request fulfillment.Request
	cycle   string
	curr    string
}

// resolver keeps product versions and listings across the lines of one
// order, so that three lines of one product use the same ones.
type resolver struct {
	s        *Service
	actor    account.Principal
	customer Customer
	versions map[string]catalog.Version
	listings map[string]catalog.Listing
	// guard, when set, lets the catalog answer from its cache and records
	// what it answered so, for the order's transaction to check; without
	// it every fact is read from the table.
	guard *catalog.Guard
	// cart says the lines are a cart's, whose quantity errors have their
	// own code.
	cart bool
}

func (s *Service) resolver(actor account.Principal, c Customer, guard *catalog.Guard) *resolver {
	return &resolver{s: s, actor: actor, customer: c, guard: guard, versions: map[string]catalog.Version{}, listings: map[string]catalog.Listing{}}
}

// resolve checks one line and builds its asset and purchase request.
func (rv *resolver) resolve(ctx context.Context, n int, in LineInput, now time.Time) (resolved, *LineError, error) {
	parts := strings.Split(in.offer(), ":")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return resolved{}, lineErr(CodeCatalogItem, "line %d: offerId %q is not a catalog item id (product:sku:availability)", n, in.offer()), nil
	}
	productID, skuID, mpID := parts[0], parts[1], parts[2]
	l, err := rv.listing(ctx, productID, mpID)
	if fault.Is(err, fault.NotFound) {
		return resolved{}, lineErr(CodeCatalogItem, "line %d: offer %s is not listed on one of your marketplaces", n, in.offer()), nil
	}
	if err != nil {
		return resolved{}, nil, err
	}
	v, err := rv.version(ctx, productID)
	if err != nil {
		return resolved{}, nil, err
	}
	it, ok := v.Item(skuID)
	price, priced := l.PriceOf(skuID)
	if !ok || !priced {
		return resolved{}, lineErr(CodeCatalogItem, "line %d: sku %s is not on sale in offer %s", n, skuID, in.offer()), nil
	}
	term, lerr := lineTerm(n, in.TermDuration, it, price)
	if lerr != nil {
		return resolved{}, lerr, nil
	}
	if len(in.AdditionalPartnerIDsOnRecord) > 5 {
		return resolved{}, lineErr(CodeInvalidInput, "line %d: at most 5 additionalPartnerIdsOnRecord are allowed (got %d)", n, len(in.AdditionalPartnerIDsOnRecord)), nil
	}
	if cycle := catalog.BillingCycle(it); in.BillingCycle != "" && !strings.EqualFold(in.BillingCycle, cycle) {
		return resolved{}, lineErr(CodeInvalidInput, "line %d: sku %s is billed %s, not %s", n, skuID, cycle, in.BillingCycle), nil
	}
	friendly := in.FriendlyName
	if friendly == "" {
		friendly = it.Name
	}
	sub := rv.subscription(n, in, it, term, friendly, now)
	a, r, problems := fulfillment.BuildPurchase(fulfillment.PurchaseInput{
		Version: v, Listing: l, Quantities: map[string]string{it.ID: fmt.Sprint(in.Quantity)},
		Params: in.ProvisioningContext, Tiers: rv.tiers(in), ExternalID: sub.OrderID, Subscription: sub,
	}, now)
	if len(problems) > 0 {
		return resolved{}, problemError(n, problems, rv.cart), nil
	}
	line := OrderLine{LineItemNumber: n, OfferID: in.offer(), SubscriptionID: a.ID, RequestID: r.ID,
		ProductID: productID, SkuID: skuID, AvailabilityID: mpID, TermDuration: term, TransactionType: "New",
		FriendlyName: friendly, Quantity: in.Quantity, PartnerIDOnRecord: in.PartnerIDOnRecord,
		AdditionalPartnerIDsOnRecord: in.AdditionalPartnerIDsOnRecord, ProvisioningContext: in.ProvisioningContext}
	return resolved{line: line, asset: a, request: r, cycle: catalog.BillingCycle(it), curr: l.Currency}, nil, nil
}

func problemError(n int, problems []fulfillment.Problem, cart bool) *LineError {
	code := CodeInvalidInput
	var msgs []string
	for _, p := range problems {
		if p.Kind == fulfillment.ProblemQuantity {
			code = CodeQuantity
			if cart {
				code = CodeCartQuantity
			}
		}
		if p.Kind == fulfillment.ProblemItem {
			code = CodeCatalogItem
		}
		msgs = append(msgs, p.Message)
	}
	return lineErr(code, "line %d: %s", n, strings.Join(msgs, "; "))
}

// lineTerm picks the term: the requested one if the listing offers it, or
// the listing's first.
func lineTerm(n int, requested string, it catalog.Item, price catalog.Price) (string, *LineError) {
	if requested == "" {
		if len(price.Terms) > 0 {
			return price.Terms[0], nil
		}
		return "", nil
	}
	if !slices.Contains(price.Terms, requested) {
		return "", lineErr(CodeInvalidInput, "line %d: termDuration %s is not offered for sku %s (offered: %v)", n, requested, it.LocalID, price.Terms)
	}
	return requested, nil
}

// subscription computes the commercial terms of a new line: the
// commitment runs for the term from today, and cancellation is allowed for
// seven days, as in Partner Center's new commerce. Its friendly name is the
// order line's.
func (rv *resolver) subscription(n int, in LineInput, it catalog.Item, term, friendly string, now time.Time) fulfillment.Subscription {
	end := now.AddDate(0, 1, 0)
	switch term {
	case catalog.TermYear:
		end = now.AddDate(1, 0, 0)
	case "":
		end = now
	}
	return fulfillment.Subscription{
		CustomerID: rv.customer.ID, LineItemNumber: n, OfferID: in.offer(), FriendlyName: friendly,
		BillingCycle: catalog.BillingCycle(it), TermDuration: term, AutoRenew: term != "",
		EffectiveStart: now, CommitmentEnd: end, CancellationAllowedUntil: now.Add(CancellationWindow),
		PartnerIDOnRecord: in.PartnerIDOnRecord, AdditionalPartnerIDs: in.AdditionalPartnerIDsOnRecord,
	}
}

// CancellationWindow is how long after purchase or renewal a subscription
// may be cancelled or reduced.
const CancellationWindow = 7 * 24 * time.Hour

func (rv *resolver) tiers(in LineInput) fulfillment.Tiers {
	c := rv.customer
	addr := c.BillingProfile.DefaultAddress
	t := fulfillment.Tiers{Customer: fulfillment.TierAccount{ID: c.ID, Name: c.CompanyProfile.CompanyName,
		ContactInfo: fulfillment.ContactInfo{
			Contact: fulfillment.Contact{FirstName: addr.FirstName, LastName: addr.LastName, Email: c.BillingProfile.Email,
				PhoneNumber: fulfillment.PhoneNumber{PhoneNumber: addr.PhoneNumber}},
			Address: fulfillment.Address{Line1: addr.AddressLine1, Line2: addr.AddressLine2, City: addr.City,
				State: addr.State, PostalCode: addr.PostalCode, Country: addr.Country}}}}
	if in.PartnerIDOnRecord != "" {
		t.Tier1 = &fulfillment.TierAccount{ExternalID: in.PartnerIDOnRecord, Name: "Partner " + in.PartnerIDOnRecord}
	}
	return t
}

func (rv *resolver) listing(ctx context.Context, productID, mpID string) (catalog.Listing, error) {
	k := productID + "|" + mpID
	if l, ok := rv.listings[k]; ok {
		return l, nil
	}
	l, err := rv.s.catalog.OrderListing(ctx, productID, mpID, rv.guard)
	if err == nil && l.Provider.ID != rv.actor.AccountID {
		err = fault.NotFoundf("not listed")
	}
	if err == nil {
		rv.listings[k] = l
	}
	return l, err
}

func (rv *resolver) version(ctx context.Context, productID string) (catalog.Version, error) {
	if v, ok := rv.versions[productID]; ok {
		return v, nil
	}
	v, err := rv.s.catalog.OrderVersion(ctx, productID, rv.guard)
	if err == nil {
		rv.versions[productID] = v
	}
	return v, err
}

// NewOrderID returns a Partner Center style order id: 12 hex digits.
func NewOrderID() string { return fmt.Sprintf("%x", ident.Bytes(6)) }

// CreateOrder places an order: every line is checked, then the order and
// each line's asset and purchase request are written in one transaction
// with their events, so it is all or nothing.
//
// A warm instance places it with that transaction alone: the customer,
// listings and versions come from its caches, and the transaction checks
// that they are still current (the customer's revision and owner, the
// products' guards). If a check fails, or the cached facts reject the
// order, it is placed again from facts read afresh, so a cache can cost a
// retry but never change an answer.
func (s *Service) CreateOrder(ctx context.Context, actor account.Principal, customerID string, in OrderInput, claim *Claim) (Order, error) {
	o, cached, err := s.placeOrder(ctx, actor, customerID, in, claim, true)
	if cached && err != nil && retryUncached(err) {
		o, _, err = s.placeOrder(ctx, actor, customerID, in, claim, false)
	}
	s.countPlaced(ctx, 1, err)
	return o, err
}

// errTooManyChecks says a warm order's checks would not fit its
// transaction; read afresh, it needs none.
var errTooManyChecks = errors.New("ordering: the order's cache checks exceed a transaction")

// retryUncached reports whether a warm attempt's error may come from a
// stale cache: a failed check, a conflict on a checked item, or a line the
// cached catalog rejected. A claim conflict is the idempotency key's and
// is answered from its record instead.
func retryUncached(err error) bool {
	if errors.Is(err, errTooManyChecks) {
		return true
	}
	if IsClaimConflict(err) {
		return false
	}
	return fault.Is(err, fault.Conflict) || fault.Is(err, fault.Invalid)
}

// placeOrder is one attempt at CreateOrder; warm lets it use the caches,
// and cached reports that it did.
func (s *Service) placeOrder(ctx context.Context, actor account.Principal, customerID string, in OrderInput, claim *Claim, warm bool) (Order, bool, error) {
	c, rev, cachedCustomer, err := s.orderCustomer(ctx, actor, customerID, warm)
	if err != nil {
		return Order{}, false, err
	}
	if len(in.LineItems) == 0 {
		return Order{}, false, fault.Invalidf("lineItems must hold at least one line").WithPartnerCode(CodeInvalidInput)
	}
	if len(in.LineItems) > MaxLines {
		return Order{}, false, fault.Invalidf("an order holds at most %d lines (got %d)", MaxLines, len(in.LineItems)).WithPartnerCode(CodeInvalidInput)
	}
	var guard *catalog.Guard
	if warm {
		guard = &catalog.Guard{}
	}
	now := s.now().UTC()
	o := newOrder(actor, c, now)
	lines, err := s.resolveLines(ctx, actor, c, o.ID, in.LineItems, now, guard)
	cached := cachedCustomer || (guard != nil && guard.Len() > 0)
	if err != nil {
		return Order{}, cached, err
	}
	if err := o.fill(lines, in.BillingCycle, in.CurrencyCode); err != nil {
		return Order{}, cached, err
	}
	tx := s.table.Tx()
	if err := s.addOrder(tx, o, lines, now); err != nil {
		return Order{}, cached, err
	}
	claim.attach(tx, o, now)
	if cachedCustomer {
		tx.Check("customer", customerKey(c.ID), expression.Name("owner").Equal(expression.Value(actor.AccountID)).And(revIs(rev)))
	}
	if guard != nil {
		guard.Check(tx, o.ID)
	}
	if cached && tx.Len() > dynamo.MaxTxItems {
		return Order{}, cached, errTooManyChecks
	}
	if err := tx.Commit(ctx); err != nil {
		return Order{}, cached, fmt.Errorf("ordering: create order: %w", err)
	}
	return o, cached, nil
}

func newOrder(actor account.Principal, c Customer, now time.Time) Order {
	return Order{ID: NewOrderID(), ReferenceCustomerID: c.ID, CreationDate: now, Status: OrderPending,
		TransactionType: "UserPurchase", ProviderID: actor.AccountID, Country: c.BillingProfile.DefaultAddress.Country}
}

// resolveLines checks every line and reports the first bad one as the
// order's error, with its Partner Center code.
func (s *Service) resolveLines(ctx context.Context, actor account.Principal, c Customer, orderID string, in []LineInput, now time.Time, guard *catalog.Guard) ([]resolved, error) {
	rv := s.resolver(actor, c, guard)
	var out []resolved
	seen := map[int]bool{}
	for i, li := range in {
		n := i
		if li.LineItemNumber != nil {
			n = *li.LineItemNumber
		}
		// Line numbers name the lines in errors, provisioning status and
		// subscriptions, so they must tell them apart.
		if n < 0 || seen[n] {
			return nil, fault.Invalidf("lineItemNumber %d is negative or used by another line; number the lines 0, 1, 2…", n).WithPartnerCode(CodeInvalidInput)
		}
		seen[n] = true
		r, lerr, err := rv.resolve(ctx, n, li, now)
		if err != nil {
			return nil, err
		}
		if lerr != nil {
			return nil, fault.Invalidf("%s", lerr.Description).WithPartnerCode(lerr.Code)
		}
		r.asset.Subscription.OrderID, r.request.Asset.Subscription.OrderID = orderID, orderID
		r.asset.ExternalID, r.request.Asset.ExternalID = orderID, orderID
		out = append(out, r)
	}
	return out, nil
}

// fill sets the order's lines, billing cycle and currency, which must agree
// across lines and with what the caller asked for.
func (o *Order) fill(lines []resolved, cycle, currency string) error {
	o.BillingCycle, o.CurrencyCode = strings.ToLower(cycle), strings.ToUpper(currency)
	for _, r := range lines {
		if o.CurrencyCode == "" {
			o.CurrencyCode = r.curr
		}
		if r.curr != o.CurrencyCode {
			return fault.Invalidf("line %d is sold in %s, not %s", r.line.LineItemNumber, r.curr, o.CurrencyCode).WithPartnerCode(CodeCurrency)
		}
		if o.BillingCycle == "" {
			o.BillingCycle = r.cycle
		}
		if r.cycle != o.BillingCycle {
			return fault.Invalidf("line %d is billed %s, not %s; order lines of other billing cycles separately (or use a cart)", r.line.LineItemNumber, r.cycle, o.BillingCycle).WithPartnerCode(CodeInvalidInput)
		}
		o.LineItems = append(o.LineItems, r.line)
	}
	o.CurrencySymbol = catalog.CurrencySymbol(o.CurrencyCode)
	return nil
}

func (s *Service) addOrder(tx *dynamo.Tx, o Order, lines []resolved, now time.Time) error {
	tx.Create("order", docRow(customerPK(o.ReferenceCustomerID), "ORDER#"+o.ID, "order", o.ProviderID, o))
	for _, r := range lines {
		if err := s.store.AddPurchase(tx, r.asset, r.request, now); err != nil {
			return err
		}
	}
	ev, err := event.New(event.OrderCreated, o.ProviderID, NewOrderResource(o), now)
	if err != nil {
		return err
	}
	if len(ev.Data) > MaxEventData {
		return fault.Invalidf("the order is too large to record (%d KB of order data, at most %d KB); use shorter friendly names and parameter values, or fewer lines", len(ev.Data)/1024, MaxEventData/1024).WithPartnerCode(CodeInvalidInput)
	}
	tx.Emit(ev, s.retentionDays)
	return nil
}

// MaxEventData bounds the data of an order event, which carries the whole
// order resource: it must fit an SQS message (256 KB) with its envelope,
// and so a DynamoDB item (400 KB) too. Ordinary orders are far below it
// (about 1 KB a line); only huge friendly names or parameter values reach
// it.
const MaxEventData = 200 << 10

// Order reads one of the caller's orders.
func (s *Service) Order(ctx context.Context, actor account.Principal, customerID, orderID string) (Order, error) {
	r, err := s.owned(ctx, actor, dynamo.Key{PK: customerPK(customerID), SK: "ORDER#" + orderID}, fault.NotFoundf("order %s not found", orderID))
	if err != nil {
		return Order{}, err
	}
	return dynamo.Decode[Order](r)
}

// Orders reads a page of up to size of a customer's orders, readable the
// moment they are placed, after the sort key after; next continues it.
func (s *Service) Orders(ctx context.Context, actor account.Principal, customerID string, size int, after string) (os []Order, next string, err error) {
	if _, err := s.Customer(ctx, actor, customerID); err != nil {
		return nil, "", err
	}
	rows, next, err := dynamo.PageItems[row](ctx, s.table, dynamo.Partition{PK: customerPK(customerID), SKPrefix: "ORDER#"}, after, size)
	if err != nil {
		return nil, "", err
	}
	os, err = dynamo.DecodeAll[Order](rows)
	return os, next, err
}
