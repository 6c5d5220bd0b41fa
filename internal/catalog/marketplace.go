// Package catalog holds what vendors sell and where: marketplaces (a
// provider's storefront, with its currency and countries), and, as the
// catalog grows, products, items, parameters, templates, versions and
// listings.
package catalog

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/currency"
	"golang.org/x/text/language"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/ident"
)

// Marketplace is a provider's storefront: products listed on it are sold in
// its currency to customers in its countries.
type Marketplace struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Currency    string    `json:"currency"`
	Countries   Codes     `json:"countries"`
	Owner       Ref       `json:"owner"`
	Created     time.Time `json:"created"`
}

// Ref is a reference to another object, as Connect nests them.
type Ref struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// MarketplaceInput is the body of POST /public/v1/marketplaces.
type MarketplaceInput struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Currency    string `json:"currency"`
	Countries   Codes  `json:"countries"`
}

// normalize upper-cases codes, drops duplicate countries, and reports every
// broken rule at once.
func (in *MarketplaceInput) normalize() error {
	var msgs []string
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > 200 {
		msgs = append(msgs, "name is required and must be at most 200 characters")
	}
	in.Currency = strings.ToUpper(strings.TrimSpace(in.Currency))
	if _, err := currency.ParseISO(in.Currency); err != nil || len(in.Currency) != 3 {
		msgs = append(msgs, fmt.Sprintf("currency must be an ISO 4217 code such as USD (got %q)", in.Currency))
	}
	if len(in.Countries) == 0 {
		msgs = append(msgs, "countries must list at least one ISO 3166-1 alpha-2 code, such as US")
	}
	seen := map[string]bool{}
	countries := make([]string, 0, len(in.Countries))
	for _, c := range in.Countries {
		c = strings.ToUpper(strings.TrimSpace(c))
		if !validCountry(c) {
			msgs = append(msgs, fmt.Sprintf("country %q is not an ISO 3166-1 alpha-2 code", c))
			continue
		}
		if !seen[c] {
			seen[c] = true
			countries = append(countries, c)
		}
	}
	slices.Sort(countries)
	in.Countries = countries
	if len(msgs) > 0 {
		return fault.InvalidList(msgs...)
	}
	return nil
}

// validCountry accepts the two-letter codes of real countries.
func validCountry(c string) bool {
	if len(c) != 2 {
		return false
	}
	r, err := language.ParseRegion(c)
	return err == nil && r.IsCountry() && r.String() == c
}

type marketplaceItem struct {
	dynamo.Row
	ID          string    `dynamodbav:"id"`
	Name        string    `dynamodbav:"name"`
	Description string    `dynamodbav:"description,omitempty"`
	Currency    string    `dynamodbav:"currency"`
	Countries   []string  `dynamodbav:"countries"`
	OwnerID     string    `dynamodbav:"owner_id"`
	OwnerName   string    `dynamodbav:"owner_name"`
	Created     time.Time `dynamodbav:"created"`
}

func marketplaceKey(id string) dynamo.Key {
	return dynamo.Key{PK: "MARKETPLACE#" + id, SK: "MARKETPLACE"}
}

func (it marketplaceItem) marketplace() Marketplace {
	return Marketplace{ID: it.ID, Name: it.Name, Description: it.Description, Currency: it.Currency,
		Countries: it.Countries, Owner: Ref{ID: it.OwnerID, Name: it.OwnerName}, Created: it.Created}
}

// Service manages the catalog.
type Service struct {
	table         *dynamo.Table
	now           func() time.Time
	retentionDays int
	caches
}

// NewService returns a catalog service on table.
func NewService(table *dynamo.Table, now func() time.Time, retentionDays int) *Service {
	return &Service{table: table, now: now, retentionDays: retentionDays, caches: newCaches(now)}
}

// CreateMarketplace creates a marketplace owned by the calling provider.
func (s *Service) CreateMarketplace(ctx context.Context, actor account.Principal, in MarketplaceInput) (Marketplace, error) {
	if !actor.Is(account.Provider) {
		return Marketplace{}, fault.Forbiddenf("only provider accounts create marketplaces")
	}
	if err := in.normalize(); err != nil {
		return Marketplace{}, err
	}
	now := s.now().UTC()
	mp := Marketplace{ID: ident.Digits("MP", 5), Name: in.Name, Description: in.Description, Currency: in.Currency,
		Countries: in.Countries, Owner: Ref{ID: actor.AccountID, Name: actor.AccountName}, Created: now}
	ev, err := event.New(event.MarketplaceCreated, actor.AccountID, mp, now)
	if err != nil {
		return Marketplace{}, err
	}
	k := marketplaceKey(mp.ID)
	it := marketplaceItem{Row: dynamo.Row{Key: k, Entity: "marketplace", Indexes: dynamo.Indexes{
		GSI1PK: "MARKETPLACES#" + actor.AccountID, GSI1SK: mp.ID, GSI2PK: "MARKETPLACES", GSI2SK: mp.ID}},
		ID: mp.ID, Name: mp.Name, Description: mp.Description, Currency: mp.Currency, Countries: mp.Countries,
		OwnerID: actor.AccountID, OwnerName: actor.AccountName, Created: now}
	if err := s.table.Tx().Create("marketplace", it).Emit(ev, s.retentionDays).Commit(ctx); err != nil {
		return Marketplace{}, fmt.Errorf("catalog: create marketplace: %w", err)
	}
	return mp, nil
}

// GetMarketplace reads a marketplace. Providers see only their own; vendors
// and admins see every marketplace, because vendors choose where to list.
func (s *Service) GetMarketplace(ctx context.Context, actor account.Principal, id string) (Marketplace, error) {
	mp, err := s.marketplace(ctx, id)
	if err == nil && actor.Is(account.Provider) && mp.Owner.ID != actor.AccountID {
		return Marketplace{}, fault.NotFoundf("marketplace %s not found", id)
	}
	return mp, err
}

// marketplace reads a marketplace without an access check.
func (s *Service) marketplace(ctx context.Context, id string) (Marketplace, error) {
	it, err := dynamo.GetAs[marketplaceItem](ctx, s.table, marketplaceKey(id), fault.NotFoundf("marketplace %s not found", id))
	if err != nil {
		return Marketplace{}, err
	}
	return it.marketplace(), nil
}

// ListMarketplaces lists the marketplaces the caller can see, by id.
func (s *Service) ListMarketplaces(ctx context.Context, actor account.Principal) ([]Marketplace, error) {
	part := dynamo.Partition{Index: dynamo.GSI2, PK: "MARKETPLACES"}
	if actor.Is(account.Provider) {
		part = dynamo.Partition{Index: dynamo.GSI1, PK: "MARKETPLACES#" + actor.AccountID}
	}
	items, err := dynamo.QueryAll[marketplaceItem](ctx, s.table, part)
	if err != nil {
		return nil, fmt.Errorf("catalog: list marketplaces: %w", err)
	}
	out := make([]Marketplace, 0, len(items))
	for _, it := range items {
		out = append(out, it.marketplace())
	}
	return out, nil
}

// CurrencySymbol returns the narrow symbol of an ISO 4217 code ("$" for
// USD, "€" for EUR), which Partner Center shows as currencySymbol.
func CurrencySymbol(code string) string {
	unit, err := currency.ParseISO(code)
	if err != nil {
		return code
	}
	return fmt.Sprint(currency.NarrowSymbol(unit))
}
