package scale

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/mercato-dev/mercato/infra/chaos"
)

// recoveryJob observes a webhook recovery's jobs with H and then 10·H
// failed deliveries behind the webhook, and measures the webhook's
// failed-deliveries list page at each size. It makes one failed
// delivery for real (a webhook of the vendor's whose endpoint always
// answers 503, and one event that exhausts its retries), copies that
// delivery's items with fresh ids (deliveries carry the TTL attribute,
// which the order copies skip), and asks for a recovery through the API at
// each size, the endpoint still down: every unit queues its page, and
// every manual attempt fails again, so the next size recovers them all
// once more.
func recoveryJob(ctx context.Context, cfg Config, rec *Recorder, raw *dynamodb.Client, schema Schema, p *chaos.Platform, w *chaos.World, js *jobSet) (Measure, error) {
	var m Measure
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }))
	defer down.Close()
	c, v := p.API, w.Vendor.Token.Value
	var wh struct {
		ID string `json:"id"`
	}
	if err := c.Call(ctx, http.MethodPost, "/public/v1/webhooks", v, map[string]any{"label": "scale recovery", "url": down.URL,
		"events": []string{"product.created"}}, 201, &wh); err != nil {
		return m, err
	}
	defer func() {
		_ = c.Call(context.WithoutCancel(ctx), http.MethodDelete, "/public/v1/webhooks/"+wh.ID, v, nil, 204, nil)
	}()
	if err := c.Call(ctx, http.MethodPost, "/public/v1/products", v, map[string]any{"name": "Scale Recovery"}, 201, nil); err != nil {
		return m, err
	}
	var failed []struct {
		ID string `json:"id"`
	}
	for deadline := time.Now().Add(2 * time.Minute); len(failed) == 0; time.Sleep(time.Second) {
		if time.Now().After(deadline) {
			return m, fmt.Errorf("scale: the recovery's delivery did not fail within 2 minutes")
		}
		if err := c.Call(ctx, http.MethodGet, "/public/v1/webhooks/"+wh.ID+"/deliveries?status=failed", v, nil, 200, &failed); err != nil {
			return m, err
		}
	}
	if err := settle(ctx, rec, cfg); err != nil {
		return m, err
	}
	_, items, err := ScanIDs(ctx, raw, schema.Table)
	if err != nil {
		return m, err
	}
	cl := &Cloner{Raw: raw, Schema: schema, ids: []string{failed[0].ID}}
	for _, it := range items {
		mentions := false
		walkStrings(schema.Key(it), func(s string) { mentions = mentions || strings.Contains(s, failed[0].ID) })
		if mentions {
			cl.family = append(cl.family, it)
		}
	}
	list := listEndpoint{"vendor GET /public/v1/webhooks/{id}/deliveries?status=failed&limit=10", "/public/v1/webhooks/" + wh.ID + "/deliveries?status=failed&limit=10", v, maxLimit}
	err = atSizes(ctx, cl, rec, cfg, recoveryH(cfg), 1, func(i, _ int) error {
		if err := list.measure(ctx, p, rec, &m, i); err != nil {
			return err
		}
		rec.Start()
		err := c.Call(ctx, http.MethodPost, "/public/v1/webhooks/"+wh.ID+"/recover", v, map[string]string{"since": "2000-01-01T00:00:00Z"}, http.StatusAccepted, nil)
		derr := settle(ctx, rec, cfg)
		calls, invs, rerr := rec.Stop()
		if err = cmpErr(err, derr, rerr); err != nil {
			return fmt.Errorf("scale: webhook recovery: %w", err)
		}
		js.observe(i, calls, invs)
		return nil
	})
	return m, err
}

// recoveryH is the failed deliveries behind the webhook at H: each is
// attempted again at both sizes, the endpoint still down.
func recoveryH(cfg Config) int { return cmp.Or(cfg.RecoveryH, cfg.ReadsH) }
