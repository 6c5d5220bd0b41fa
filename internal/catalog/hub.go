package catalog

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/ident"
)

// Hubs and connections, as Connect has them, minimal but real: a hub is a
// provider's named ordering system; a connection links a vendor's product
// to a provider's hub, and names it on the assets bought through it
// (asset.connection). Mercato keeps neither credentials nor endpoints of a
// hub: orders come through the API with the provider's token.
//
//	HUB#<id> / HUB                    a hub; gsi1 HUBS#<provider> / <created>#<id>
//	PRODUCT#<id> / CONNECTION#<id>    a connection of the product

// Hub is a provider's ordering system.
type Hub struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Owner       Ref       `json:"owner"`
	Created     time.Time `json:"created"`
	Updated     time.Time `json:"updated"`
}

// HubInput is the body of POST and PUT /hubs: on PUT, fields left out keep
// their value.
type HubInput struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

func (in HubInput) apply(h *Hub) error {
	var msgs []string
	if in.Name != nil {
		if n := strings.TrimSpace(*in.Name); n == "" || len(n) > 256 {
			msgs = append(msgs, "name is required and must be at most 256 characters")
		} else {
			h.Name = n
		}
	}
	if in.Description != nil {
		if len(*in.Description) > maxShort {
			msgs = append(msgs, fmt.Sprintf("description must be at most %d characters", maxShort))
		} else {
			h.Description = *in.Description
		}
	}
	if h.Name == "" && len(msgs) == 0 {
		msgs = append(msgs, "name is required and must be at most 256 characters")
	}
	if len(msgs) > 0 {
		return fault.InvalidList(msgs...)
	}
	return nil
}

func hubKey(id string) dynamo.Key { return dynamo.Key{PK: "HUB#" + id, SK: "HUB"} }

func hubRow(h Hub, rev int) row {
	k := hubKey(h.ID)
	r := docRow(k.PK, k.SK, "hub", h)
	r.GSI1PK, r.GSI1SK = "HUBS#"+h.Owner.ID, h.Created.Format(time.RFC3339Nano)+"#"+h.ID
	r.Rev = rev
	return r
}

// CreateHub registers a hub of the calling provider.
func (s *Service) CreateHub(ctx context.Context, actor account.Principal, in HubInput) (Hub, error) {
	if !actor.Is(account.Provider) {
		return Hub{}, fault.Forbiddenf("only provider accounts have hubs")
	}
	now := s.now().UTC()
	h := Hub{ID: ident.Digits("HB", 4, 4), Owner: Ref{ID: actor.AccountID, Name: actor.AccountName}, Created: now, Updated: now}
	if err := in.apply(&h); err != nil {
		return Hub{}, err
	}
	ev, err := event.New(event.HubUpdated, actor.AccountID, h, now)
	if err != nil {
		return Hub{}, err
	}
	if err := s.table.Tx().Create("hub", hubRow(h, 1)).Emit(ev, s.retentionDays).Commit(ctx); err != nil {
		return Hub{}, fmt.Errorf("catalog: create hub: %w", err)
	}
	return h, nil
}

// GetHub reads a hub: its provider's, or any for an admin or a vendor (a
// vendor connects its products to providers' hubs by id).
func (s *Service) GetHub(ctx context.Context, actor account.Principal, id string) (Hub, error) {
	h, _, err := s.readHub(ctx, actor, id)
	return h, err
}

func (s *Service) readHub(ctx context.Context, actor account.Principal, id string) (Hub, int, error) {
	h, rev, err := readRow[Hub](ctx, s.table, hubKey(id), fault.NotFoundf("hub %s not found", id))
	if err != nil {
		return Hub{}, 0, err
	}
	if actor.Is(account.Provider) && h.Owner.ID != actor.AccountID {
		return Hub{}, 0, fault.NotFoundf("hub %s not found", id)
	}
	return h, rev, nil
}

// UpdateHub renames a hub of the caller or changes its description.
func (s *Service) UpdateHub(ctx context.Context, actor account.Principal, id string, in HubInput) (Hub, error) {
	if !actor.Is(account.Provider) {
		return Hub{}, fault.Forbiddenf("only the hub's provider changes it")
	}
	h, rev, err := s.readHub(ctx, actor, id)
	if err != nil {
		return Hub{}, err
	}
	if err := in.apply(&h); err != nil {
		return Hub{}, err
	}
	h.Updated = s.now().UTC()
	ev, err := event.New(event.HubUpdated, actor.AccountID, h, h.Updated)
	if err != nil {
		return Hub{}, err
	}
	cond := expression.Name("rev").Equal(expression.Value(rev))
	err = s.table.Tx().Put("hub", hubRow(h, rev+1), &cond).Emit(ev, s.retentionDays).Commit(ctx)
	if fault.Is(err, fault.Conflict) {
		return Hub{}, fault.Conflictf("hub %s was changed by another request; reload it and retry", id)
	}
	return h, err
}

// ListHubs lists the calling provider's hubs.
func (s *Service) ListHubs(ctx context.Context, actor account.Principal) ([]Hub, error) {
	if !actor.Is(account.Provider) {
		return nil, fault.Forbiddenf("only provider accounts have hubs")
	}
	return queryDocs[Hub](ctx, s, dynamo.Partition{Index: dynamo.GSI1, PK: "HUBS#" + actor.AccountID})
}

// Connection types.
const (
	ConnectionProduction = "production"
	ConnectionTest       = "test"
)

// Connection links a vendor's product to a provider's hub. It is active
// from its creation: Mercato's listing requests are the provider's say on
// what it sells.
type Connection struct {
	ID       string    `json:"id"`
	Type     string    `json:"type"`
	Status   string    `json:"status"`
	Product  Ref       `json:"product"`
	Provider Ref       `json:"provider"`
	Vendor   Ref       `json:"vendor"`
	Hub      Ref       `json:"hub"`
	Note     string    `json:"note,omitempty"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
}

// ConnectionInput is the body of POST and PUT /products/{id}/connections:
// the hub (and its provider) only on POST; type and note on either.
type ConnectionInput struct {
	Hub      *RefInput `json:"hub"`
	Provider *RefInput `json:"provider"`
	Vendor   *RefInput `json:"vendor"`
	Type     *string   `json:"type"`
	Note     *string   `json:"note"`
}

func connectionSK(id string) string { return "CONNECTION#" + id }

func connectionRow(c Connection) row {
	return docRow(productPK(c.Product.ID), connectionSK(c.ID), "connection", c)
}

func (in ConnectionInput) apply(c *Connection) []string {
	var msgs []string
	if in.Type != nil {
		switch t := strings.ToLower(*in.Type); t {
		case ConnectionProduction, ConnectionTest:
			c.Type = t
		default:
			msgs = append(msgs, fmt.Sprintf("type must be production or test (got %q)", *in.Type))
		}
	}
	if in.Note != nil {
		if len(*in.Note) > maxShort {
			msgs = append(msgs, fmt.Sprintf("note must be at most %d characters", maxShort))
		} else {
			c.Note = *in.Note
		}
	}
	return msgs
}

// CreateConnection connects the vendor's product to a provider's hub.
func (s *Service) CreateConnection(ctx context.Context, actor account.Principal, productID string, in ConnectionInput) (Connection, error) {
	var c Connection
	_, err := s.change(ctx, actor, productID, func(st *state, tx *dynamo.Tx) error {
		now := s.now().UTC()
		c = Connection{ID: ident.Digits("CT", 4, 4, 4), Type: ConnectionProduction, Status: "active",
			Product: Ref{ID: st.head.p.ID, Name: st.head.p.Name}, Vendor: st.head.p.Owner, Created: now, Updated: now}
		msgs := in.apply(&c)
		if in.Hub == nil || in.Hub.ID == "" {
			msgs = append(msgs, "hub.id is required")
		}
		if in.Vendor != nil && in.Vendor.ID != "" && in.Vendor.ID != c.Vendor.ID {
			msgs = append(msgs, fmt.Sprintf("vendor.id is the product's vendor, %s", c.Vendor.ID))
		}
		if len(msgs) > 0 {
			return fault.InvalidList(msgs...)
		}
		h, _, err := s.readHub(ctx, actor, in.Hub.ID)
		if err != nil {
			return err
		}
		if in.Provider != nil && in.Provider.ID != "" && in.Provider.ID != h.Owner.ID {
			return fault.Invalidf("provider.id %s is not the provider of hub %s", in.Provider.ID, h.ID)
		}
		for _, other := range st.connections {
			if other.Hub.ID == h.ID && other.Type == c.Type {
				return fault.Conflictf("product %s already has a %s connection %s to hub %s", productID, c.Type, other.ID, h.ID)
			}
		}
		c.Hub, c.Provider = Ref{ID: h.ID, Name: h.Name}, h.Owner
		tx.Create("connection", connectionRow(c))
		return emitBoth(tx, event.ConnectionUpdated, c, c.Vendor.ID, c.Provider.ID, now, s.retentionDays)
	})
	return c, err
}

// Connections lists the product's connections, to its vendor.
func (s *Service) Connections(ctx context.Context, actor account.Principal, productID string) ([]Connection, error) {
	st, err := s.load(ctx, actor, productID)
	if err != nil {
		return nil, err
	}
	return st.sortedConnections(), nil
}

// GetConnection reads a connection of the product, to its vendor.
func (s *Service) GetConnection(ctx context.Context, actor account.Principal, productID, id string) (Connection, error) {
	st, err := s.load(ctx, actor, productID)
	if err != nil {
		return Connection{}, err
	}
	return st.connection(id)
}

func (st *state) connection(id string) (Connection, error) {
	c, ok := st.connections[id]
	if !ok {
		return Connection{}, fault.NotFoundf("connection %s not found", id)
	}
	return c, nil
}

// UpdateConnection changes a connection's type or note.
func (s *Service) UpdateConnection(ctx context.Context, actor account.Principal, productID, id string, in ConnectionInput) (Connection, error) {
	var c Connection
	_, err := s.change(ctx, actor, productID, func(st *state, tx *dynamo.Tx) error {
		var err error
		if c, err = st.connection(id); err != nil {
			return err
		}
		msgs := in.apply(&c)
		if in.Hub != nil && in.Hub.ID != "" && in.Hub.ID != c.Hub.ID {
			msgs = append(msgs, "hub cannot change; create another connection")
		}
		if len(msgs) > 0 {
			return fault.InvalidList(msgs...)
		}
		c.Updated = s.now().UTC()
		tx.Put("connection", connectionRow(c), nil)
		return emitBoth(tx, event.ConnectionUpdated, c, c.Vendor.ID, c.Provider.ID, c.Updated, s.retentionDays)
	})
	return c, err
}

// PurchaseConnection reads the connection a provider names on a purchase:
// one of the product's, to one of the provider's hubs.
func (s *Service) PurchaseConnection(ctx context.Context, actor account.Principal, productID, id string) (Connection, error) {
	notOurs := fault.Invalidf("asset.connection %s is not a connection of product %s", id, productID)
	c, _, err := readRow[Connection](ctx, s.table, dynamo.Key{PK: productPK(productID), SK: connectionSK(id)}, notOurs)
	if err == nil && c.Provider.ID != actor.AccountID {
		return Connection{}, notOurs
	}
	return c, err
}
