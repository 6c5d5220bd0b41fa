package relay_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/relay"
)

func TestMain(m *testing.M) { stacktest.Main(m) }

// recorder counts the deliveries each queue consumer sees, by event id,
// without any dedupe: a doubled publish shows up as a count of 2.
type recorder struct {
	mu   sync.Mutex
	seen map[string]map[string]int // function → event id → deliveries
}

func (r *recorder) handler(fn string) app.SQSHandler {
	return func(ctx context.Context, in events.SQSEvent) (events.SQSEventResponse, error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, m := range in.Records {
			var e event.Event
			if err := json.Unmarshal([]byte(m.Body), &e); err != nil {
				return events.SQSEventResponse{}, err
			}
			if r.seen[fn] == nil {
				r.seen[fn] = map[string]int{}
			}
			r.seen[fn][e.ID]++
		}
		return events.SQSEventResponse{}, nil
	}
}

func (r *recorder) count(fn, id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen[fn][id]
}

// stack runs the template's event sources with the given relay handler and
// recording consumers, until the test ends.
func stack(t *testing.T, relayHandler app.StreamHandler) (*app.App, *recorder) {
	t.Helper()
	env := stacktest.Shared(t)
	a := env.App(t, app.Options{})
	rec := &recorder{seen: map[string]map[string]int{}}
	noop := func(context.Context, events.EventBridgeEvent) error { return nil }
	env.Run(t, app.Handlers{
		Stream: map[string]app.StreamHandler{"RelayFunction": relayHandler},
		SQS: map[string]app.SQSHandler{
			"FulfillmentFunction": rec.handler("fulfillment"),
			"DispatcherFunction":  rec.handler("dispatcher"),
			"BillingFunction":     rec.handler("billing"),
			"UsageFunction":       rec.handler("usage"),
		},
		Schedule: map[string]app.ScheduleHandler{"FulfillmentFunction": noop, "BillingFunction": noop},
	})
	return a, rec
}

// commit writes n events, each with an entity, in its own transaction.
func commit(t *testing.T, a *app.App, typ event.Type, n int) []string {
	t.Helper()
	ids := make([]string, 0, n)
	for i := range n {
		key := fmt.Sprintf("TEST#%d-%d", time.Now().UnixNano(), i)
		ev, err := event.New(typ, "VA-123-456", map[string]string{"id": key}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		err = a.Table.Tx().
			Create("entity", map[string]string{"pk": key, "sk": "ENTITY"}).
			Emit(ev, 1).
			Commit(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ev.ID)
	}
	return ids
}

// waitExactlyOnce waits until every id reached fn, then checks that none
// arrived twice after the pipeline settled.
func waitExactlyOnce(t *testing.T, rec *recorder, fn string, ids []string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		missing := 0
		for _, id := range ids {
			if rec.count(fn, id) == 0 {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d events never reached %s", missing, len(ids), fn)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // let any duplicate arrive
	for _, id := range ids {
		if n := rec.count(fn, id); n != 1 {
			t.Errorf("%s received event %s %d times", fn, id, n)
		}
	}
}

func relayOf(t *testing.T, a *app.App, sqsClient relay.SQS) *relay.Relay {
	t.Helper()
	rl, err := relay.New(relay.Config{
		Table: a.Table, SQS: sqsClient, Logger: a.Log,
		Queues: map[event.Route]string{
			event.RouteFulfillment: a.Config.FulfillmentQueue,
			event.RouteWebhook:     a.Config.WebhookQueue,
			event.RouteBilling:     a.Config.BillingQueue,
			event.RouteUsage:       a.Config.UsageQueue,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return rl
}

func TestRelay_EventReachesConsumers(t *testing.T) {
	var rl *relay.Relay
	a, rec := stack(t, func(ctx context.Context, in events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		return rl.Handle(ctx, in)
	})
	rl = relayOf(t, a, a.SQS)
	requests := commit(t, a, event.RequestCreated, 3)
	usage := commit(t, a, event.UsageFileUpdated, 2)
	deletions := commit(t, a, event.JobUsageDelete, 2)
	waitExactlyOnce(t, rec, "fulfillment", requests)
	waitExactlyOnce(t, rec, "dispatcher", append(append([]string{}, requests...), usage...))
	waitExactlyOnce(t, rec, "billing", usage)
	waitExactlyOnce(t, rec, "usage", deletions)
	for _, id := range usage {
		if rec.count("fulfillment", id) != 0 {
			t.Errorf("usage event %s was routed to fulfillment", id)
		}
	}
	for _, id := range deletions {
		if n := rec.count("dispatcher", id) + rec.count("fulfillment", id) + rec.count("billing", id); n != 0 {
			t.Errorf("deletion unit %s reached %d other consumers; it goes to the usage queue alone", id, n)
		}
	}
	// The event's relay mark records where it went.
	var it dynamo.RelayMark
	if err := a.Table.Get(context.Background(), dynamo.RelayMarkKey(requests[0]), &it); err != nil {
		t.Fatal(err)
	}
	if len(it.Relayed) != 2 {
		t.Errorf("relayed = %v, want fulfillment and webhook", it.Relayed)
	}
}

// flakySQS fails the send calls whose numbers are in failOn, after which it
// behaves; the failure is a real error returned to the relay, as a throttled
// or unreachable SQS would give.
type flakySQS struct {
	relay.SQS
	calls  atomic.Int32
	failOn map[int32]bool
}

func (f *flakySQS) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	if f.failOn[f.calls.Add(1)] {
		return nil, errors.New("injected: SQS unavailable")
	}
	return f.SQS.SendMessageBatch(ctx, in, opts...)
}

// batchSizes records how many outbox events each stream batch that went
// wrong held, so that a test can tell it failed partway through a batch
// rather than on a batch of one.
type batchSizes struct {
	mu    sync.Mutex
	sizes []int
}

func (b *batchSizes) add(in events.DynamoDBEvent) {
	n := 0
	for _, r := range in.Records {
		if dynamo.IsEventKey(r.Change.Keys) {
			n++
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sizes = append(b.sizes, n)
}

// requireMultiEvent fails the test unless some recorded batch held more
// than one event.
func (b *batchSizes) requireMultiEvent(t *testing.T, what string) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	t.Logf("events per %s batch: %v", what, b.sizes)
	for _, n := range b.sizes {
		if n > 1 {
			return
		}
	}
	t.Errorf("no %s batch held more than one event: the test did not exercise a failure partway through a batch", what)
}

func TestRelay_PartialSendFailureNeitherLosesNorDoubles(t *testing.T) {
	var rl *relay.Relay
	var failed batchSizes
	a, rec := stack(t, func(ctx context.Context, in events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		resp, err := rl.Handle(ctx, in)
		if err != nil || len(resp.BatchItemFailures) > 0 {
			failed.add(in)
		}
		return resp, err
	})
	// The second and fifth sends fail: some events of a batch go out, some
	// do not, and the batch is retried from the first failed record.
	rl = relayOf(t, a, &flakySQS{SQS: a.SQS, failOn: map[int32]bool{2: true, 5: true}})
	ids := commit(t, a, event.RequestCreated, 25)
	waitExactlyOnce(t, rec, "fulfillment", ids)
	waitExactlyOnce(t, rec, "dispatcher", ids)
	failed.requireMultiEvent(t, "failed")
}

func TestRelay_CrashAfterPublishingIsRetriedWithoutDoubles(t *testing.T) {
	var rl *relay.Relay
	var crashes atomic.Int32
	var crashed batchSizes
	a, rec := stack(t, func(ctx context.Context, in events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		resp, err := rl.Handle(ctx, in)
		// The function dies after it published the batch but before Lambda
		// got the answer, twice: the stream redelivers the whole batch.
		if err == nil && crashes.Add(1) <= 2 {
			crashed.add(in)
			return events.DynamoDBEventResponse{}, errors.New("injected: function crashed")
		}
		return resp, err
	})
	rl = relayOf(t, a, a.SQS)
	ids := commit(t, a, event.AssetUpdated, 12)
	waitExactlyOnce(t, rec, "fulfillment", ids)
	waitExactlyOnce(t, rec, "dispatcher", ids)
	if crashes.Load() < 3 {
		t.Errorf("the crash was injected %d times; the test did not exercise a retry", crashes.Load())
	}
	crashed.requireMultiEvent(t, "crashed")
}
