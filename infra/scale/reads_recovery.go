package scale

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/mercato-dev/mercato/infra/chaos"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/layout"
	"github.com/mercato-dev/mercato/internal/webhook"
)

// recoveryJob observes a webhook recovery's jobs with H and then 10·H
// failed deliveries behind the webhook, and measures the webhook's
// failed-deliveries list page at each size. It makes one failed
// delivery for real (a webhook of the vendor's whose endpoint always
// answers 503, and one event that exhausts its retries), copies that
// delivery's items with fresh ids (deliveries carry the TTL attribute,
// which the order copies skip) over every shard of the webhook's failed
// index (spreadFailed), and requests a recovery at each size
// (requestRecovery says how).
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
		ID      string    `json:"id"`
		Updated time.Time `json:"updated"`
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
	cl, err := failedFamily(ctx, raw, schema, w.Vendor.ID, wh.ID, failed[0].ID)
	if err != nil {
		return m, err
	}
	h := recoveryH(cfg)
	cl.Vary = spreadFailed(w.Vendor.ID, wh.ID, failed[0].ID)
	list := listEndpoint{"vendor GET /public/v1/webhooks/{id}/deliveries?status=failed&limit=10", "/public/v1/webhooks/" + wh.ID + "/deliveries?status=failed&limit=10", v, maxLimit}
	err = atSizes(ctx, cl, rec, cfg, h, 1, func(i, _ int) error {
		lap := cfg.stopwatch()
		if err := list.measure(ctx, p, rec, &m, i); err != nil {
			return err
		}
		lap("the failed deliveries' list")
		defer lap("the webhook recovery")
		rec.Start()
		err := requestRecovery(ctx, cfg, w.Vendor.ID, wh.ID, failed[0].Updated)
		derr := settle(ctx, rec, cfg)
		calls, invs, rerr := rec.Stop()
		if err = cmpErr(err, derr, rerr); err != nil {
			return fmt.Errorf("scale: webhook recovery: %w", err)
		}
		js.observe(i, calls, invs)
		return nil
	})
	// The list asks each of the webhook's shards for limit+1 keys: its
	// read grows with the deliveries until every shard holds that many.
	if least := slices.Min(failedPlaced(h, webhook.DefaultDeliveryShards, dynamo.ShardOf(failed[0].ID, webhook.DefaultDeliveryShards))); least < 11 {
		m.Grows = fmt.Sprintf("it reads up to 11 keys from each of %d shards, and a shard held %d at H", webhook.DefaultDeliveryShards, least)
	}
	return m, err
}

// requestRecovery sends the dispatcher the command the API commits for
// POST /webhooks/{id}/recover, dated at the deliveries' last attempt,
// which the API cannot do. A unit skips a delivery attempted at or after
// the recovery was requested, so every unit reads its page, as it would,
// and queues no manual attempt: 10·H attempts against the emulator would
// take longer than the rest of the model, and an attempt costs what the
// write path's dispatcher batches measure, whatever the tenant.
func requestRecovery(ctx context.Context, cfg Config, account, webhookID string, attempted time.Time) error {
	ev, err := event.New(event.WebhookRecoveryRequested, account, map[string]any{"webhook_id": webhookID,
		"since": attempted.Add(-time.Hour).Format(time.RFC3339Nano)}, attempted)
	if err != nil {
		return err
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	url, err := cfg.Stack.QueueURL(ctx, "WebhookQueue")
	if err != nil {
		return err
	}
	_, err = sqs.NewFromConfig(cfg.AWS).SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(string(body))})
	return err
}

// failedFamily is a Cloner of the failed delivery's items: the delivery
// and its attempts (which a list page reads with it), one partition,
// read with one Query rather than found by a scan of a table that holds
// 10·H orders by then.
func failedFamily(ctx context.Context, raw *dynamodb.Client, schema Schema, account, webhookID, id string) (*Cloner, error) {
	cl := &Cloner{Raw: raw, Schema: schema, ids: []string{id}}
	p := dynamodb.NewQueryPaginator(raw, &dynamodb.QueryInput{TableName: aws.String(schema.Table),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": schema.Hash},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: layout.DeliveryKey(account, webhookID, id).PK}}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("scale: the failed delivery's items: %w", err)
		}
		cl.family = append(cl.family, page.Items...)
	}
	if len(cl.family) == 0 {
		return nil, fmt.Errorf("scale: the failed delivery %s has no items", id)
	}
	return cl, nil
}

// failedToReal is how often a copy of the failed delivery goes to the
// real one's shard; the others go to every shard in turn. At H = 2,000
// that puts 14 or 15 in every shard, more than a list page's 11 keys and
// the model's recovery page (RecoveryPage), and 140 in the real one's: so
// the list, the plan and every unit the plan commits read at H what they
// read at 10·H, and at 10·H (about 1,400 in the real one's shard, 146 in
// the others) a recovery is a chain of 140 units beside 15 in every other
// shard, not one chain of 2,000.
const failedToReal = 16

// failedShard is the failed-index shard of copy k, real being the real
// delivery's.
func failedShard(k, real, shards int) int {
	if k%failedToReal == 0 {
		return real
	}
	return (k - k/failedToReal - 1) % shards
}

// failedPlaced counts the failed deliveries of each shard at h: the real
// one and h-1 copies.
func failedPlaced(h, shards, real int) []int {
	out := make([]int, shards)
	out[real]++
	for k := range h - 1 {
		out[failedShard(k, real, shards)]++
	}
	return out
}

// spreadFailed places every copy of the failed delivery id in its shard
// (failedShard): it draws the copy's id until the id's own shard is that
// one, so that the copy's index key is the one the dispatcher would have
// written for it.
func spreadFailed(account, webhookID, id string) func(int, func() []string) []string {
	n := webhook.DefaultDeliveryShards
	idx := layout.Deliveries(account, webhookID, true, n)
	real := dynamo.ShardOf(id, n)
	return func(k int, fresh func() []string) []string {
		want := failedShard(k, real, n)
		for {
			p := fresh()
			if dynamo.ShardOf(p[1], n) == want {
				return append(p, idx.Key(id), dynamo.ShardKey(idx.Prefix, want))
			}
		}
	}
}

// RecoveryPage is a recovery unit's page in the model
// (config.Config.RecoveryPage): at the default H every failed-index shard
// holds 14 or 15 failed deliveries, short of webhook.RecoveryPage; at 10
// every unit the plan commits reads a full page at both sizes.
const RecoveryPage = 10

// boundRecovery sets what bounds a recovery's invocations at the stated
// limits. A unit reads up to page failed deliveries of one shard, two
// items each (its Query's keys and its BatchGetItem's rows), and the plan
// commits a unit for every shard that holds failures at once: the
// dispatcher runs side by side the units of its batch (batch, the queue's
// batch size), as many as were queued when it polled. At the limits an
// invocation is a full batch of webhook.RecoveryPage pages: the measured
// invocation times that over what it read. When the shard that holds the
// fewest at H (least) holds less than a page, a unit at H reads less than
// one at 10·H: the ratio is reported, not held. The plan probes each of the
// webhook's shards, a bounded number, and is held to the ratio.
func boundRecovery(jobs []Measure, batch, page, least int) {
	if page <= 0 {
		page = webhook.RecoveryPage
	}
	for k := range jobs {
		switch j := &jobs[k]; {
		case strings.Contains(j.Name, "job.webhook_recovery"):
			read := max(j.Items[1]/2, 1)
			j.Scale = float64(batch*webhook.RecoveryPage) / float64(read)
			// The dispatcher runs a batch's messages side by side
			// (Dispatcher.Handle), so the batch's units' calls overlap.
			j.InFlight = batch
			j.Bound = fmt.Sprintf("a batch of %d units of %d deliveries (%d measured, pages of %d)", batch, webhook.RecoveryPage, read, page)
			if least < page {
				j.Grows = fmt.Sprintf("a unit reads up to %d of its shard's failed deliveries, and the fewest a shard held at H was %d", page, least)
			}
		case strings.Contains(j.Name, "webhook.recovery_requested"):
			j.Bound = fmt.Sprintf("a probe of each of %d shards", webhook.DefaultDeliveryShards)
		}
	}
}

// recoveryH is the failed deliveries behind the webhook at H: each is
// attempted again at both sizes, the endpoint still down.
func recoveryH(cfg Config) int { return cmp.Or(cfg.RecoveryH, cfg.ReadsH) }
