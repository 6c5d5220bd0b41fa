// Package ordering is how provider hubs buy: customers, carts and orders in
// Partner Center's model, Connect's purchase requests, and the subscription
// changes that become fulfillment requests. Every ordered line becomes an
// asset with a pending purchase request, written in the same transaction as
// the order and its events.
package ordering

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/cache"
	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/ident"
	"github.com/mercato-dev/mercato/internal/metrics"
)

// Service runs ordering.
type Service struct {
	table         *dynamo.Table
	catalog       *catalog.Service
	store         *fulfillment.Store
	now           func() time.Time
	retentionDays int
	// customers caches customers for orders, which check the cached
	// revision and owner in their transaction (see CreateOrder).
	customers *cache.Cache[string, storedCustomer]
	metrics   *metrics.Recorder
}

// CustomerCacheSize bounds the customers an instance keeps (about 1 KB
// each). They need no lifetime: an order checks the one it used.
const CustomerCacheSize = 4096

type storedCustomer struct {
	Customer
	rev int
}

// NewService wires the ordering service; m counts orders placed and
// refused (nil counts none).
func NewService(table *dynamo.Table, cat *catalog.Service, store *fulfillment.Store, now func() time.Time, retentionDays int, m *metrics.Recorder) *Service {
	return &Service{table: table, catalog: cat, store: store, now: now, retentionDays: retentionDays,
		customers: cache.New[string, storedCustomer](CustomerCacheSize, 0, now), metrics: m}
}

// Address is Partner Center's address.
type Address struct {
	Country      string `json:"country"`
	Region       string `json:"region,omitempty"`
	City         string `json:"city,omitempty"`
	State        string `json:"state,omitempty"`
	AddressLine1 string `json:"addressLine1,omitempty"`
	AddressLine2 string `json:"addressLine2,omitempty"`
	PostalCode   string `json:"postalCode,omitempty"`
	FirstName    string `json:"firstName,omitempty"`
	LastName     string `json:"lastName,omitempty"`
	PhoneNumber  string `json:"phoneNumber,omitempty"`
}

// CompanyProfile is who the customer is.
type CompanyProfile struct {
	CompanyName string `json:"companyName"`
	Domain      string `json:"domain,omitempty"`
}

// BillingProfile is where the customer is billed.
type BillingProfile struct {
	Email          string  `json:"email"`
	Culture        string  `json:"culture,omitempty"`
	Language       string  `json:"language,omitempty"`
	CompanyName    string  `json:"companyName,omitempty"`
	DefaultAddress Address `json:"defaultAddress"`
}

// Customer is a provider's end customer.
type Customer struct {
	ID             string         `json:"id"`
	CompanyProfile CompanyProfile `json:"companyProfile"`
	BillingProfile BillingProfile `json:"billingProfile"`
	ProviderID     string         `json:"-"`
	Created        time.Time      `json:"creationDate"`
}

// CustomerInput is the body of POST /v1/customers.
type CustomerInput struct {
	CompanyProfile CompanyProfile `json:"companyProfile"`
	BillingProfile BillingProfile `json:"billingProfile"`
}

func (in *CustomerInput) validate() error {
	var msgs []string
	in.CompanyProfile.CompanyName = strings.TrimSpace(in.CompanyProfile.CompanyName)
	if in.CompanyProfile.CompanyName == "" {
		msgs = append(msgs, "companyProfile.companyName is required")
	}
	if a, err := mail.ParseAddress(in.BillingProfile.Email); err != nil || a.Address != in.BillingProfile.Email {
		msgs = append(msgs, fmt.Sprintf("billingProfile.email must be an email address (got %q)", in.BillingProfile.Email))
	}
	c, err := catalog.CheckCountry(in.BillingProfile.DefaultAddress.Country)
	if err != nil {
		msgs = append(msgs, "billingProfile.defaultAddress.country must be an ISO 3166-1 alpha-2 code such as US")
	}
	in.BillingProfile.DefaultAddress.Country = c
	if len(msgs) > 0 {
		return fault.InvalidList(msgs...)
	}
	return nil
}

// customers live in their own partition with their orders and carts:
//
//	CUSTOMER#<id> / CUSTOMER       gsi1 CUSTOMERS#<provider> / <created>#<id>
//	CUSTOMER#<id> / ORDER#<id>     an order
//	CUSTOMER#<id> / CART#<id>      a cart
type row struct {
	dynamo.Row
	Owner string `dynamodbav:"owner"`
	Rev   int    `dynamodbav:"rev"`
	// ExpiresAt lets DynamoDB delete carts and idempotency records.
	ExpiresAt int64 `dynamodbav:"expires_at,omitempty"`
}

func customerPK(id string) string { return "CUSTOMER#" + id }

// owned reads the row at k, which only its owner sees: to anyone else, as
// when there is no row, it is notFound.
func (s *Service) owned(ctx context.Context, actor account.Principal, k dynamo.Key, notFound error) (row, error) {
	var r row
	err := s.table.Get(ctx, k, &r)
	if errors.Is(err, dynamo.ErrNotFound) || (err == nil && r.Owner != actor.AccountID) {
		return row{}, notFound
	}
	return r, err
}

func customerKey(id string) dynamo.Key { return dynamo.Key{PK: customerPK(id), SK: "CUSTOMER"} }

// CreateCustomer adds a customer for the calling provider.
func (s *Service) CreateCustomer(ctx context.Context, actor account.Principal, in CustomerInput, claim *Claim) (Customer, error) {
	if err := in.validate(); err != nil {
		return Customer{}, err
	}
	now := s.now().UTC()
	c := Customer{ID: ident.UUID(), CompanyProfile: in.CompanyProfile, BillingProfile: in.BillingProfile, ProviderID: actor.AccountID, Created: now}
	r := docRow(customerPK(c.ID), "CUSTOMER", "customer", actor.AccountID, c)
	r.GSI1PK, r.GSI1SK = "CUSTOMERS#"+actor.AccountID, now.Format(time.RFC3339Nano)+"#"+c.ID
	tx := s.table.Tx().Create("customer", r)
	claim.attach(tx, c, now)
	return c, tx.Commit(ctx)
}

// Customer reads one of the caller's customers.
func (s *Service) Customer(ctx context.Context, actor account.Principal, id string) (Customer, error) {
	sc, err := s.customer(ctx, actor, id)
	return sc.Customer, err
}

func (s *Service) customer(ctx context.Context, actor account.Principal, id string) (storedCustomer, error) {
	r, err := s.owned(ctx, actor, customerKey(id), fault.NotFoundf("customer %s not found", id).WithPartnerCode(600008))
	if err != nil {
		return storedCustomer{}, err
	}
	c, err := dynamo.Decode[Customer](r)
	c.ProviderID = r.Owner
	return storedCustomer{Customer: c, rev: r.Rev}, err
}

// orderCustomer returns the customer for an order and its revision: when
// warm, from the cache if it holds the caller's customer (cached is then
// true, and the order must check it); otherwise read, and cached.
func (s *Service) orderCustomer(ctx context.Context, actor account.Principal, id string, warm bool) (c Customer, rev int, cached bool, err error) {
	if sc, ok := s.customers.Get(id); warm && ok && sc.ProviderID == actor.AccountID {
		return sc.Customer, sc.rev, true, nil
	}
	sc, err := s.customer(ctx, actor, id)
	if err != nil {
		return Customer{}, 0, false, err
	}
	s.customers.Add(id, sc)
	return sc.Customer, sc.rev, false, nil
}

// Customers reads a page of up to size of the caller's customers, in the
// order they were created, after the sort key after; next continues it.
func (s *Service) Customers(ctx context.Context, actor account.Principal, size int, after string) (cs []Customer, next string, err error) {
	rows, next, err := dynamo.PageItems[row](ctx, s.table, dynamo.Partition{Index: dynamo.GSI1, PK: "CUSTOMERS#" + actor.AccountID}, after, size)
	if err != nil {
		return nil, "", err
	}
	cs, err = dynamo.DecodeAll[Customer](rows)
	return cs, next, err
}
