package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/webhook"
	"github.com/mercato-dev/mercato/internal/webhook/sqsqueue"
)

// keyWrites records, from the requests a DynamoDB client sends, the items
// written per table partition key and the gsi7 index items written per
// index partition key: a put of an item with gsi7pk writes one; an update
// that sets status writes one on the item's shard; one that moves gsi7pk
// writes two (the old shard's delete, the new one's put).
type keyWrites struct {
	mu    sync.Mutex
	table map[string]int
	index map[string]int
	shard map[string]string // table pk → its gsi7pk
}

func newKeyWrites() *keyWrites {
	return &keyWrites{table: map[string]int{}, index: map[string]int{}, shard: map[string]string{}}
}

func (w *keyWrites) option(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("keyWrites",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleInitialize(ctx, in)
				if err == nil {
					w.record(in.Parameters)
				}
				return out, md, err
			}), middleware.Before)
	})
}

func (w *keyWrites) record(params any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch in := params.(type) {
	case *dynamodb.PutItemInput:
		w.put(in.Item)
	case *dynamodb.UpdateItemInput:
		w.update(in.Key, *in.UpdateExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	case *dynamodb.TransactWriteItemsInput:
		for _, it := range in.TransactItems {
			switch {
			case it.Put != nil:
				w.put(it.Put.Item)
			case it.Update != nil:
				w.update(it.Update.Key, *it.Update.UpdateExpression, it.Update.ExpressionAttributeNames, it.Update.ExpressionAttributeValues)
			}
		}
	}
}

func str(v types.AttributeValue) string {
	s, _ := v.(*types.AttributeValueMemberS)
	if s == nil {
		return ""
	}
	return s.Value
}

func (w *keyWrites) put(item map[string]types.AttributeValue) {
	pk := str(item["pk"])
	w.table[pk]++
	if idx := str(item["gsi7pk"]); idx != "" {
		w.index[idx]++
		w.shard[pk] = idx
	}
}

var setClause = regexp.MustCompile(`(#\w+) = (:\w+)`)

func (w *keyWrites) update(key map[string]types.AttributeValue, expr string, names map[string]string, values map[string]types.AttributeValue) {
	pk := str(key["pk"])
	w.table[pk]++
	set := map[string]types.AttributeValue{}
	for _, m := range setClause.FindAllStringSubmatch(expr, -1) {
		set[names[m[1]]] = values[m[2]]
	}
	cur := w.shard[pk]
	if v, ok := set["gsi7pk"]; ok && str(v) != cur {
		w.index[cur]++
		w.index[str(v)]++
		w.shard[pk] = str(v)
		return
	}
	if _, ok := set["status"]; ok && cur != "" {
		w.index[cur]++
	}
}

// A burst of deliveries to one webhook writes no partition key, of the
// table or of gsi7, in proportion to the burst: each delivery writes its
// own partition, at most twice gsi7 (made, then succeeded or moved to the
// failed shards, whose put is one more), spread over the shards; the
// webhook's counters take one update per batch, not per attempt, on one of
// their copies; and the webhook item, which every batch reads, takes a
// write only while its failure streak moves (once a batch while it fails,
// none while it succeeds).
func TestWebhooks_BurstSpreadsItsWritesOverKeys(t *testing.T) {
	a := running(t)
	env := stacktest.Shared(t)
	writes := newKeyWrites()
	rec := app.New(a.Config, env.AWS, stacktest.Logger(t), app.Options{DynamoOptions: []func(*dynamodb.Options){writes.option}})
	tests := []struct {
		name   string
		answer int
		// index items written per delivery: on the pending shard, on the
		// failed one
		live, failed int
		status       string
	}{
		{"first attempts succeed", http.StatusNoContent, 2, 0, webhook.StatusSucceeded},
		{"first attempts fail for good", http.StatusInternalServerError, 2, 1, webhook.StatusFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const batches, perBatch = 12, 10
			tn := newTenant(t, a)
			rcv := newReceiver(t, status(tt.answer))
			w := tn.register(rcv.URL, nil)
			d := webhook.NewDispatcher(webhook.DispatcherConfig{
				Store:  webhook.NewDynamoStore(rec.Table, a.Config.EventRetentionDays),
				Client: webhook.NewClient(&webhook.Guard{AllowHTTPLoopback: true}),
				Queue:  &sqsqueue.Queue{Client: a.SQS, URL: a.Config.WebhookQueue}, Logger: stacktest.Logger(t),
				// No retry: a failed first attempt fails the delivery.
				Schedule: webhook.Schedule{},
			})
			writes.mu.Lock()
			clear(writes.table)
			clear(writes.index)
			writes.mu.Unlock()
			for b := range batches {
				var batch events.SQSEvent
				for i := range perBatch {
					e, err := event.New(event.OrderCreated, tn.id, json.RawMessage(fmt.Sprintf(`{"id":"ORD-%d-%d"}`, b, i)), time.Now())
					if err != nil {
						t.Fatal(err)
					}
					body, _ := json.Marshal(e)
					batch.Records = append(batch.Records, events.SQSMessage{MessageId: e.ID, Body: string(body)})
				}
				if resp, err := d.Handle(context.Background(), batch); err != nil || len(resp.BatchItemFailures) != 0 {
					t.Fatalf("batch %d: %v, failures %+v", b, err, resp.BatchItemFailures)
				}
			}
			const n = batches * perBatch
			writes.mu.Lock()
			defer writes.mu.Unlock()
			deliveryPartitions, counters := 0, 0
			wantStreak := 0
			if tt.answer >= 300 {
				wantStreak = batches
			}
			if c := writes.table["WEBHOOKS#"+tn.id]; c != wantStreak {
				t.Errorf("the webhook's partition took %d writes for %d batches of %d attempts, want %d", c, batches, perBatch, wantStreak)
			}
			for pk, c := range writes.table {
				switch {
				case pk == "WEBHOOKS#"+tn.id:
				case strings.HasPrefix(pk, "WHSTATS#"+tn.id+"#"+w.ID+"#"):
					counters += c
				case strings.HasPrefix(pk, "WHDELIVERY#"+tn.id+"#"+w.ID+"#"):
					deliveryPartitions++
					if c != 3 { // the delivery, then its update and its attempt
						t.Errorf("delivery partition %s took %d item writes, want 3", pk, c)
					}
				default:
					t.Errorf("unexpected write to %s (%d)", pk, c)
				}
			}
			if deliveryPartitions != n {
				t.Errorf("%d delivery partitions written, want %d", deliveryPartitions, n)
			}
			if counters != batches {
				t.Errorf("the counter copies took %d writes for %d batches, want one a batch", counters, batches)
			}
			live, failed, hottest := 0, 0, 0
			for pk, c := range writes.index {
				switch {
				case strings.HasPrefix(pk, "WHDELIVERIES#"+tn.id+"#"+w.ID+"#"):
					live += c
				case strings.HasPrefix(pk, "WHFAILED#"+tn.id+"#"+w.ID+"#"):
					failed += c
				default:
					t.Errorf("unexpected index write to %q (%d)", pk, c)
				}
				hottest = max(hottest, c)
			}
			if live != tt.live*n || failed != tt.failed*n {
				t.Errorf("index items written: %d on pending shards, %d on failed ones; want %d and %d", live, failed, tt.live*n, tt.failed*n)
			}
			// 120 deliveries over the shards: a few index writes a shard;
			// one key taking a quarter of them would mean no sharding.
			if hottest > n/4 {
				t.Errorf("one index key took %d of %d index writes", hottest, live+failed)
			}
			ds := tn.deliveries(w.ID, "?status="+tt.status+"&limit=1000")
			if len(ds) != n {
				t.Errorf("%d %s deliveries listed, want %d", len(ds), tt.status, n)
			}
			var got webhook.Webhook
			tn.do(http.MethodGet, "/public/v1/webhooks/"+w.ID, nil, http.StatusOK, &got)
			st := got.Stats
			if st.Deliveries != n || st.Successes+st.Failures != n || (tt.answer >= 300) != (st.ConsecutiveFailures == n && st.FailingSince != nil) {
				t.Errorf("stats = %+v after %d deliveries", st, n)
			}
		})
	}
}
