package scale

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/mercato-dev/mercato/infra/chaos"
)

// The catalog's lists grow with catalog work (products, listing requests,
// marketplaces), not with orders. The catalog is seeded the same way the
// orders are: newCatalogModel makes one catalog unit through the API (a
// marketplace, a published product, its listing request, approved, which
// lists it) and learns that unit's items, before the orders are copied,
// while a scan of the table reads the write path's orders only (after
// them it read tens of thousands of items, twice: minutes on the
// emulator); measure copies the unit's items with fresh ids, to H and
// then 10·H units, and reads every catalog list's first page at each size.
type catalogModel struct {
	c     *Cloner
	p     *chaos.Platform
	lists []listEndpoint
}

// newCatalogModel makes the catalog unit; shared are the ids the table
// held before it, which its copies keep.
func newCatalogModel(ctx context.Context, cfg Config, rec *Recorder, raw *dynamodb.Client, schema Schema, ttl string, p *chaos.Platform, w *chaos.World,
	shared map[string]bool) (*catalogModel, error) {
	seed, err := catalogUnit(ctx, p, w)
	if err != nil {
		return nil, fmt.Errorf("scale: the catalog unit: %w", err)
	}
	if err := settle(ctx, rec, cfg); err != nil {
		return nil, fmt.Errorf("scale: the catalog unit: %w", err)
	}
	_, items, err := ScanIDs(ctx, raw, schema.Table)
	if err != nil {
		return nil, err
	}
	c := &Cloner{Raw: raw, Schema: schema, TTL: ttl}
	c.Learn(items, seed, shared)
	return &catalogModel{c: c, p: p, lists: catalogEndpoints(w)}, nil
}

// measure seeds the catalog to H and 10·H units and reads its lists.
func (cm *catalogModel) measure(ctx context.Context, cfg Config, rec *Recorder) ([]Measure, error) {
	out := make([]Measure, len(cm.lists))
	err := atSizes(ctx, cm.c, rec, cfg, catalogH(cfg), 1, func(i, _ int) error {
		for j, l := range cm.lists {
			if err := l.measure(ctx, cm.p, rec, &out[j], i); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// catalogUnit makes one marketplace, product, listing request and listing
// and returns the product's id, the seed of the unit's items.
func catalogUnit(ctx context.Context, p *chaos.Platform, w *chaos.World) (string, error) {
	c, v, pr := p.API, w.Vendor.Token.Value, w.Provider.Token.Value
	var mp, prd, lr struct {
		ID string `json:"id"`
	}
	var items []struct {
		ID string `json:"id"`
	}
	steps := []func() error{
		func() error {
			return c.Call(ctx, http.MethodPost, "/public/v1/marketplaces", pr, map[string]any{"name": "Scale EU", "currency": "USD", "countries": []string{"US"}}, 201, &mp)
		},
		func() error {
			return c.Call(ctx, http.MethodPost, "/public/v1/products", v, map[string]any{"name": "Scale Catalog"}, 201, &prd)
		},
		func() error {
			return c.Call(ctx, http.MethodGet, "/public/v1/products/"+prd.ID+"/items", v, nil, 200, &items)
		},
		func() error {
			return c.Call(ctx, http.MethodPost, "/public/v1/products/"+prd.ID+"/templates", v, map[string]any{"type": "fulfillment",
				"scope": "asset", "title": "Activation", "body": "Welcome."}, 201, nil)
		},
		func() error {
			return c.Call(ctx, http.MethodPost, "/public/v1/products/"+prd.ID+"/publish", v, nil, 201, nil)
		},
		func() error {
			return c.Call(ctx, http.MethodPost, "/public/v1/listing-requests", v, map[string]any{"product": prd.ID, "marketplace": mp.ID,
				"prices": []map[string]any{{"item": items[0].ID, "price": "10", "terms": []string{"P1M"}}}}, 201, &lr)
		},
		func() error {
			return c.Call(ctx, http.MethodPost, "/public/v1/listing-requests/"+lr.ID+"/approve", pr, nil, 200, nil)
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return "", err
		}
	}
	return prd.ID, nil
}

// catalogEndpoints are the catalog's lists, as each side calls them, first
// page.
func catalogEndpoints(w *chaos.World) []listEndpoint {
	v, p := w.Vendor.Token.Value, w.Provider.Token.Value
	return []listEndpoint{
		{"vendor GET /public/v1/products?limit=10", "/public/v1/products?limit=10", v, maxLimit},
		{"vendor GET /public/v1/listing-requests?limit=10", "/public/v1/listing-requests?limit=10", v, maxLimit},
		{"provider GET /public/v1/listing-requests?limit=10", "/public/v1/listing-requests?limit=10", p, maxLimit},
		{"vendor GET /public/v1/listings?limit=10", "/public/v1/listings?limit=10", v, maxLimit},
		{"provider GET /public/v1/listings?limit=10", "/public/v1/listings?limit=10", p, maxLimit},
		{"provider GET /public/v1/marketplaces?limit=10", "/public/v1/marketplaces?limit=10", p, maxLimit},
		{"vendor GET /public/v1/marketplaces?limit=10", "/public/v1/marketplaces?limit=10", v, maxLimit},
	}
}

// catalogH is the catalog's H: units of 26 items each, against an
// order's 7, so the catalog is seeded at a size of its own.
func catalogH(cfg Config) int { return cmp.Or(cfg.CatalogH, cfg.ReadsH) }

// settle waits for the pipeline to drain after a copy or a job: the relay
// reads every copied item from the stream (and counts the lists), and a
// recovery's units follow each other through it, which at 10·H takes
// longer than cfg.Drain allows a workload's own writes.
func settle(ctx context.Context, rec *Recorder, cfg Config) error {
	cfg.Drain = max(cfg.Drain, 20*time.Minute)
	return drain(ctx, rec, cfg)
}
