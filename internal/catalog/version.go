package catalog

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/fault"
)

// Version is an immutable snapshot of a product as published. Orders bind
// to the version that was current when they were placed.
type Version struct {
	Version     int         `json:"version"`
	Product     Product     `json:"product"`
	Items       []Item      `json:"items"`
	Parameters  []Parameter `json:"parameters"`
	Templates   []Template  `json:"templates"`
	PublishedAt time.Time   `json:"published_at"`
	Notes       string      `json:"notes,omitempty"`
}

// Item returns the snapshot's item with id or local id.
func (v Version) Item(id string) (Item, bool) {
	for _, it := range v.Items {
		if it.ID == id || it.LocalID == id {
			return it, true
		}
	}
	return Item{}, false
}

// Template returns the snapshot's template with id.
func (v Version) Template(id string) (Template, bool) {
	for _, t := range v.Templates {
		if t.ID == id {
			return t, true
		}
	}
	return Template{}, false
}

func versionKey(productID string, n int) dynamo.Key {
	return dynamo.Key{PK: "PRODUCTVERSIONS#" + productID, SK: fmt.Sprintf("V#%06d", n)}
}

// PublishInput is the body of POST /products/{id}/publish.
type PublishInput struct {
	Notes string `json:"notes"`
}

// Publish snapshots the product as version N+1. A product needs an item on
// sale and an asset fulfillment template to be published: without them it
// could be ordered but never fulfilled.
func (s *Service) Publish(ctx context.Context, actor account.Principal, productID string, in PublishInput) (Version, error) {
	var v Version
	_, err := s.change(ctx, actor, productID, func(st *state, tx *dynamo.Tx) error {
		if msgs := st.publishable(); len(msgs) > 0 {
			return fault.InvalidList(msgs...)
		}
		now := s.now().UTC()
		p := st.head.p
		p.Version++
		if p.Status != StatusEndOfSale {
			p.Status = StatusPublished
		}
		p.PublishedAt = &now
		p.Updated = now
		st.head.p = p
		v = Version{Version: p.Version, Product: p, Items: st.itemsAt(p), Parameters: sortedByID(st.params),
			Templates: sortedByID(st.templates), PublishedAt: now, Notes: in.Notes}
		k := versionKey(productID, p.Version)
		ev, err := event.New(event.ProductPublished, p.Owner.ID, v, now)
		if err != nil {
			return err
		}
		tx.Create("version", docRow(k.PK, k.SK, "version", v)).Emit(ev, s.retentionDays)
		// Orders that rely on a cached latest version fail their check
		// from now on, and read this one.
		bumpGuards(tx, productID, "version", p.Version)
		return nil
	})
	return v, err
}

func (st *state) publishable() []string {
	var msgs []string
	onSale := 0
	for _, it := range st.items {
		if it.Status != StatusEndOfSale {
			onSale++
		}
	}
	if onSale == 0 {
		msgs = append(msgs, "the product needs at least one item that is not endofsale to be published")
	}
	hasFulfillment := false
	for _, t := range st.templates {
		hasFulfillment = hasFulfillment || (t.Type == TemplateFulfillment && t.Scope == ScopeAsset)
	}
	if !hasFulfillment {
		msgs = append(msgs, "the product needs a fulfillment template with scope asset to be published")
	}
	return msgs
}

// itemsAt returns the items as version p shows them: every item is
// published once a version includes it.
func (st *state) itemsAt(p Product) []Item {
	items := st.sortedItems()
	for i := range items {
		if items[i].Status == StatusDraft {
			items[i].Status = StatusPublished
		}
	}
	return items
}

// ListVersions returns the published versions, oldest first, to the
// callers loadPublished admits.
func (s *Service) ListVersions(ctx context.Context, actor account.Principal, productID string) ([]Version, error) {
	if _, err := s.loadPublished(ctx, actor, productID); err != nil {
		return nil, err
	}
	rows, err := dynamo.QueryAll[row](ctx, s.table, dynamo.Partition{PK: "PRODUCTVERSIONS#" + productID})
	if err != nil {
		return nil, err
	}
	return dynamo.DecodeAll[Version](rows)
}

// Version reads version n of a product for a caller that may see its
// published versions (see loadPublished).
func (s *Service) Version(ctx context.Context, actor account.Principal, productID string, n int) (Version, error) {
	if _, err := s.loadPublished(ctx, actor, productID); err != nil {
		return Version{}, err
	}
	return s.VersionOf(ctx, productID, n)
}

// VersionOf reads version n of a product, for whoever already holds a
// reference to it (an order, a listing). A published version never
// changes, so it is served from this instance's cache when it is there.
func (s *Service) VersionOf(ctx context.Context, productID string, n int) (Version, error) {
	ref := versionRef{productID, n}
	if v, ok := s.versions.Get(ref); ok {
		return v, nil
	}
	v, _, err := readRow[Version](ctx, s.table, versionKey(productID, n), fault.NotFoundf("product %s has no version %d", productID, n))
	if err == nil {
		s.versions.Add(ref, v)
	}
	return v, err
}

// LatestVersion reads the newest published version of a product with one
// Query, for orders, which bind to the version current when they are placed.
func (s *Service) LatestVersion(ctx context.Context, productID string) (Version, error) {
	in, err := dynamo.Partition{PK: "PRODUCTVERSIONS#" + productID}.Input(1, nil)
	if err != nil {
		return Version{}, err
	}
	in.ScanIndexForward = aws.Bool(false)
	page, err := s.table.Query(ctx, in)
	if err != nil {
		return Version{}, err
	}
	var rows []row
	if err := attributevalue.UnmarshalListOfMaps(page.Items, &rows); err != nil {
		return Version{}, err
	}
	if len(rows) == 0 {
		return Version{}, fault.NotFoundf("product %s has no published version", productID)
	}
	return dynamo.Decode[Version](rows[0])
}
