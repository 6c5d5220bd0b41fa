package ordering

import (
	"context"
	"sort"
	"strconv"
	"time"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/ident"
)

// Cart statuses and lifetime.
const (
	CartActive  = "Active"
	CartOrdered = "Ordered"
	CartTTL     = 7 * 24 * time.Hour
	// CodeCartInProgress answers a checkout that lost a race with another.
	CodeCartInProgress = 800064
)

// CartLine is a line of a cart. A bad line carries its error instead of
// failing the whole cart, as Partner Center does.
type CartLine struct {
	ID                  int               `json:"id"`
	CatalogItemID       string            `json:"catalogItemId"`
	FriendlyName        string            `json:"friendlyName,omitempty"`
	Quantity            int               `json:"quantity"`
	CurrencyCode        string            `json:"currencyCode,omitempty"`
	BillingCycle        string            `json:"billingCycle"`
	TermDuration        string            `json:"termDuration,omitempty"`
	ProvisioningContext map[string]string `json:"provisioningContext,omitempty"`
	PartnerIDOnRecord   string            `json:"partnerIdOnRecord,omitempty"`
	// AdditionalPartnerIDsOnRecord are up to five more tier partners, which
	// the subscription shows once the cart is checked out.
	AdditionalPartnerIDsOnRecord []string   `json:"additionalPartnerIdsOnRecord,omitempty"`
	OrderGroup                   string     `json:"orderGroup"`
	Error                        *LineError `json:"error,omitempty"`
}

// Cart is a Partner Center cart.
type Cart struct {
	ID                    string     `json:"id"`
	CustomerID            string     `json:"-"`
	CreationTimestamp     time.Time  `json:"creationTimestamp"`
	LastModifiedTimestamp time.Time  `json:"lastModifiedTimestamp"`
	ExpirationTimestamp   time.Time  `json:"expirationTimestamp"`
	Status                string     `json:"status"`
	LineItems             []CartLine `json:"lineItems"`
}

// CartInput is the body of POST and PUT carts.
type CartInput struct {
	LineItems []LineInput `json:"lineItems"`
}

// CheckoutResult is what a checkout answers: the orders it placed, and the
// groups it could not.
type CheckoutResult struct {
	Orders      []Order      `json:"orders"`
	OrderErrors []OrderError `json:"orderErrors"`
}

// OrderError is a group of lines that did not become an order.
type OrderError struct {
	OrderGroupID string `json:"orderGroupId"`
	Code         int    `json:"code"`
	Description  string `json:"description"`
}

type storedCart struct {
	Cart
	Checkout *CheckoutResult `json:"checkout,omitempty"`
}

func cartKey(customerID, cartID string) dynamo.Key {
	return dynamo.Key{PK: customerPK(customerID), SK: "CART#" + cartID}
}

// validateLines checks each line as an order would, and records the error
// on the line. Lines are grouped by billing cycle for checkout.
func (s *Service) validateLines(ctx context.Context, actor account.Principal, c Customer, in []LineInput, now time.Time) ([]CartLine, error) {
	if len(in) > MaxLines {
		return nil, fault.Invalidf("a cart holds at most %d lines (got %d)", MaxLines, len(in)).WithPartnerCode(CodeInvalidInput)
	}
	rv := s.resolver(actor, c, nil)
	rv.cart = true
	out := make([]CartLine, 0, len(in))
	for i, li := range in {
		cl := CartLine{ID: i, CatalogItemID: li.offer(), FriendlyName: li.FriendlyName, Quantity: li.Quantity,
			BillingCycle: li.BillingCycle, TermDuration: li.TermDuration, ProvisioningContext: li.ProvisioningContext,
			PartnerIDOnRecord: li.PartnerIDOnRecord, AdditionalPartnerIDsOnRecord: li.AdditionalPartnerIDsOnRecord}
		r, lerr, err := rv.resolve(ctx, i, li, now)
		if err != nil {
			return nil, err
		}
		cl.Error = lerr
		if lerr == nil {
			cl.CurrencyCode, cl.BillingCycle, cl.TermDuration = r.curr, r.cycle, r.line.TermDuration
		}
		cl.OrderGroup = cl.BillingCycle
		out = append(out, cl)
	}
	return out, nil
}

// CreateCart adds a cart for a customer.
func (s *Service) CreateCart(ctx context.Context, actor account.Principal, customerID string, in CartInput, claim *Claim) (Cart, error) {
	c, err := s.Customer(ctx, actor, customerID)
	if err != nil {
		return Cart{}, err
	}
	now := s.now().UTC()
	lines, err := s.validateLines(ctx, actor, c, in.LineItems, now)
	if err != nil {
		return Cart{}, err
	}
	cart := Cart{ID: ident.UUID(), CustomerID: c.ID, CreationTimestamp: now, LastModifiedTimestamp: now,
		ExpirationTimestamp: now.Add(CartTTL), Status: CartActive, LineItems: lines}
	tx := s.table.Tx().Create("cart", cartRow(actor.AccountID, storedCart{Cart: cart}, 1))
	claim.attach(tx, cart, now)
	return cart, tx.Commit(ctx)
}

func cartRow(owner string, sc storedCart, rev int) row {
	k := cartKey(sc.CustomerID, sc.ID)
	r := docRow(k.PK, k.SK, "cart", owner, sc)
	r.Rev = rev
	r.ExpiresAt = sc.ExpirationTimestamp.Add(24 * time.Hour).Unix()
	return r
}

func (s *Service) cart(ctx context.Context, actor account.Principal, customerID, cartID string) (storedCart, int, error) {
	r, err := s.owned(ctx, actor, cartKey(customerID, cartID), fault.NotFoundf("cart %s not found", cartID))
	if err != nil {
		return storedCart{}, 0, err
	}
	sc, err := dynamo.Decode[storedCart](r)
	sc.CustomerID = customerID
	return sc, r.Rev, err
}

// Cart reads a cart.
func (s *Service) Cart(ctx context.Context, actor account.Principal, customerID, cartID string) (Cart, error) {
	sc, _, err := s.cart(ctx, actor, customerID, cartID)
	return sc.Cart, err
}

// UpdateCart replaces the lines of an active cart.
func (s *Service) UpdateCart(ctx context.Context, actor account.Principal, customerID, cartID string, in CartInput) (Cart, error) {
	sc, rev, err := s.cart(ctx, actor, customerID, cartID)
	if err != nil {
		return Cart{}, err
	}
	now := s.now().UTC()
	if err := sc.open(now); err != nil {
		return Cart{}, err
	}
	c, err := s.Customer(ctx, actor, customerID)
	if err != nil {
		return Cart{}, err
	}
	if sc.LineItems, err = s.validateLines(ctx, actor, c, in.LineItems, now); err != nil {
		return Cart{}, err
	}
	sc.LastModifiedTimestamp = now
	cond := revIs(rev)
	err = s.table.Tx().Put("cart", cartRow(actor.AccountID, sc, rev+1), &cond).Commit(ctx)
	if fault.Is(err, fault.Conflict) {
		return Cart{}, fault.Conflictf("cart %s changed meanwhile; read it and retry", cartID).WithPartnerCode(CodeCartInProgress)
	}
	return sc.Cart, err
}

func (sc storedCart) open(now time.Time) error {
	if sc.Status != CartActive {
		return fault.Transitionf("cart %s is %s", sc.ID, sc.Status).WithPartnerCode(800065)
	}
	if now.After(sc.ExpirationTimestamp) {
		return fault.Transitionf("cart %s expired at %s", sc.ID, sc.ExpirationTimestamp.Format(time.RFC3339)).WithPartnerCode(CodeInvalidInput)
	}
	return nil
}

// Checkout places one order per billing cycle of the cart's valid lines,
// in one transaction with the cart's change to Ordered. A cart checked out
// already answers its first result; a checkout that loses a race with a
// concurrent one answers 409.
func (s *Service) Checkout(ctx context.Context, actor account.Principal, customerID, cartID string) (CheckoutResult, error) {
	sc, rev, err := s.cart(ctx, actor, customerID, cartID)
	if err != nil {
		return CheckoutResult{}, err
	}
	if sc.Status == CartOrdered && sc.Checkout != nil {
		return *sc.Checkout, nil
	}
	now := s.now().UTC()
	if err := sc.open(now); err != nil {
		return CheckoutResult{}, err
	}
	c, err := s.Customer(ctx, actor, customerID)
	if err != nil {
		return CheckoutResult{}, err
	}
	res, tx, err := s.checkoutTx(ctx, actor, c, sc, now)
	if err != nil {
		return CheckoutResult{}, err
	}
	sc.Status, sc.Checkout, sc.LastModifiedTimestamp = CartOrdered, &res, now
	cond := revIs(rev)
	tx.Put("cart", cartRow(actor.AccountID, sc, rev+1), &cond)
	if err := tx.Commit(ctx); err != nil {
		if cf, ok := dynamo.AsConditionFailed(err); ok && cf.Failed("cart") {
			return CheckoutResult{}, fault.Conflictf("cart %s is being checked out by another request", cartID).WithPartnerCode(CodeCartInProgress)
		}
		return CheckoutResult{}, err
	}
	s.countPlaced(ctx, len(res.Orders), nil)
	for _, oe := range res.OrderErrors {
		s.countRefused(ctx, strconv.Itoa(oe.Code))
	}
	return res, nil
}

// checkoutCode is a line error's code in a checkout's orderErrors: Partner
// Center reports the cart line's 10015 as 800009 there, as an order does.
func checkoutCode(lineCode int) int {
	if lineCode == CodeCartQuantity {
		return CodeQuantity
	}
	return lineCode
}

func (s *Service) checkoutTx(ctx context.Context, actor account.Principal, c Customer, sc storedCart, now time.Time) (CheckoutResult, *dynamo.Tx, error) {
	groups := map[string][]LineInput{}
	res := CheckoutResult{Orders: []Order{}, OrderErrors: []OrderError{}}
	for _, l := range sc.LineItems {
		if l.Error != nil {
			res.OrderErrors = append(res.OrderErrors, OrderError{OrderGroupID: l.OrderGroup, Code: checkoutCode(l.Error.Code), Description: l.Error.Description})
			continue
		}
		n := l.ID
		groups[l.OrderGroup] = append(groups[l.OrderGroup], LineInput{LineItemNumber: &n, CatalogItemID: l.CatalogItemID,
			Quantity: l.Quantity, FriendlyName: l.FriendlyName, TermDuration: l.TermDuration, BillingCycle: l.BillingCycle,
			PartnerIDOnRecord: l.PartnerIDOnRecord, AdditionalPartnerIDsOnRecord: l.AdditionalPartnerIDsOnRecord,
			ProvisioningContext: l.ProvisioningContext})
	}
	names := make([]string, 0, len(groups))
	for g := range groups {
		names = append(names, g)
	}
	sort.Strings(names)
	tx := s.table.Tx()
	for _, g := range names {
		o := newOrder(actor, c, now)
		lines, err := s.resolveLines(ctx, actor, c, o.ID, groups[g], now, nil)
		if err == nil {
			err = o.fill(lines, g, "")
		}
		if fe, ok := fault.As(err); ok && fe.Kind == fault.Invalid {
			// The catalog changed since the line was added.
			res.OrderErrors = append(res.OrderErrors, OrderError{OrderGroupID: g, Code: fe.PartnerCode, Description: fe.Messages[0]})
			continue
		}
		if err != nil {
			return CheckoutResult{}, nil, err
		}
		if err := s.addOrder(tx, o, lines, now); err != nil {
			return CheckoutResult{}, nil, err
		}
		res.Orders = append(res.Orders, o)
	}
	if tx.Len() > dynamo.MaxTxItems-1 {
		return CheckoutResult{}, nil, fault.Invalidf("the cart is too large to check out at once; split it").WithPartnerCode(CodeInvalidInput)
	}
	return res, tx, nil
}
