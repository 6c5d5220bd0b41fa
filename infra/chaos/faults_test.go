//go:build faults

package chaos_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mercato-dev/mercato/infra/chaos"
	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/app"
)

// The fault suite (`make test-faults`) runs each scenario on one running
// platform, in order, and after each one checks every invariant with
// chaos.Settle. Scenarios share the stack, so each must leave it clean.

func TestMain(m *testing.M) { stacktest.Main(m) }

type suite struct {
	t *testing.T
	p *chaos.Platform
	w *chaos.World
	// settleFor bounds how long the platform may take to drain after a
	// scenario (default 150 s).
	settleFor time.Duration
}

func TestFaults(t *testing.T) {
	ctx := context.Background()
	p := chaos.Start(t, stacktest.Shared(t))
	w, err := p.NewWorld(ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	s := &suite{p: p, w: w}
	for _, sc := range []struct {
		name string
		run  func(context.Context, *testing.T) chaos.Expect
	}{
		{"Baseline", s.baseline},
		{"RelayDiesMidBatch", s.relayDies},
		{"WorkerAndDispatcherFailEveryThird", s.failEveryThird},
		{"ReceiverDownThenRecovers", s.receiverDown},
		{"DynamoDBThrottles30PercentForAMinute", s.throttle},
		{"ConnectionResetDuringOrderPosting", s.resets},
		{"UsageFunctionCrashesMidFile", s.usageCrash},
	} {
		ok := t.Run(sc.name, func(t *testing.T) {
			s.t = t
			since := time.Now().UTC()
			exp := sc.run(ctx, t)
			p.Heal()
			s.settle(ctx, t, since, exp, w)
		})
		if !ok {
			// Later scenarios would only report this one's leftovers.
			t.FailNow()
		}
	}
}

// settle approves what is left in the worlds' vendor queues and waits
// until every invariant holds, then reports the counts.
func (s *suite) settle(ctx context.Context, t *testing.T, since time.Time, exp chaos.Expect, worlds ...*chaos.World) {
	t.Helper()
	src := s.p.Sources
	src.Since = since
	exp.Settled = true
	// The emulator serialises DynamoDB, so a backlog left by a fault or by
	// the load drains at its pace, not the platform's.
	settleFor := cmp.Or(s.settleFor, 150*time.Second)
	deadline := time.Now().Add(settleFor)
	// A check scans the whole table, which the emulator does slowly and
	// under the same lock the platform's calls wait on, so checks back off:
	// checking every second would slow the draining it waits for.
	pause := time.Second
	for {
		for _, w := range worlds {
			if _, err := s.p.ApprovePending(ctx, w); err != nil {
				t.Fatalf("approve the rest: %v", err)
			}
		}
		r, err := chaos.Check(ctx, src, exp)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Violations) == 0 {
			t.Logf("invariants hold: %s; receiver %+v", r, s.p.Receiver.Stats())
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("invariants still broken after %s: %s\n%s", settleFor, r, strings.Join(r.Violations, "\n"))
		}
		time.Sleep(pause)
		pause = min(2*pause, 8*time.Second)
	}
	if st := s.p.Receiver.Stats(); len(st.Failures) > 0 {
		t.Fatalf("deliveries that did not verify: %v", st.Failures)
	}
	if len(exp.DLQ) > 0 {
		if err := s.p.PurgeDLQs(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// orders places n orders from the world's customers, conc at a time, each
// with its own idempotency key and retried on transient answers; a second
// copy of every third order is sent as a deliberate duplicate. It returns
// the ids of the accepted orders.
func (s *suite) orders(ctx context.Context, t *testing.T, n, conc int) []string {
	t.Helper()
	var (
		mu  sync.Mutex
		ids []string
		wg  sync.WaitGroup
	)
	sem := make(chan struct{}, conc)
	run := fmt.Sprintf("%s-%d", t.Name(), time.Now().UnixNano())
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			key := fmt.Sprintf("%s-%d", run, i)
			cust := s.w.Customers[i%len(s.w.Customers)]
			got, err := s.p.PlaceOrder(ctx, s.w, cust, key, s.w.OrderBody(1+i%5), 30)
			if err != nil {
				t.Errorf("order %d: %v", i, err)
				return
			}
			if i%3 == 0 {
				again, err := s.p.PlaceOrder(ctx, s.w, cust, key, s.w.OrderBody(1+i%5), 30)
				if err != nil || again.OrderID != got.OrderID {
					t.Errorf("replay of order %d gave %+v, %v; want order %s", i, again, err, got.OrderID)
				}
			}
			mu.Lock()
			ids = append(ids, got.OrderID)
			mu.Unlock()
		})
	}
	wg.Wait()
	return ids
}

// approving approves the vendor's queue in the background until stop.
func (s *suite) approving(ctx context.Context, t *testing.T) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if _, err := s.p.ApprovePending(ctx, s.w); err != nil && ctx.Err() == nil {
				t.Logf("approver: %v (will try again)", err)
			}
			time.Sleep(300 * time.Millisecond)
		}
	}()
	return func() { cancel(); <-done }
}

func (s *suite) baseline(ctx context.Context, t *testing.T) chaos.Expect {
	return chaos.Expect{Accepted: s.orders(ctx, t, 4, 2)}
}

// relayDies: the relay publishes the first half of a stream batch, then
// dies; Lambda retries the whole batch.
func (s *suite) relayDies(ctx context.Context, t *testing.T) chaos.Expect {
	var crashes atomic.Int64
	s.p.HookStream("RelayFunction", func(ctx context.Context, in events.DynamoDBEvent, next app.StreamHandler) (events.DynamoDBEventResponse, error) {
		if len(in.Records) < 2 || crashes.Load() >= 4 {
			return next(ctx, in)
		}
		crashes.Add(1)
		half := in
		half.Records = in.Records[:len(in.Records)/2]
		if _, err := next(ctx, half); err != nil {
			return events.DynamoDBEventResponse{}, err
		}
		return events.DynamoDBEventResponse{}, errors.New("relay died mid-batch (injected)")
	})
	stop := s.approving(ctx, t)
	ids := s.orders(ctx, t, 8, 2)
	waitFor(t, "4 relay crashes", func() bool { return crashes.Load() >= 4 })
	stop()
	return chaos.Expect{Accepted: ids}
}

// failEveryThird: the fulfillment worker and the dispatcher fail every
// third message they see for the first time, half of them after doing the
// work (the side effects happened; the acknowledgement was lost) and half
// before.
func (s *suite) failEveryThird(ctx context.Context, t *testing.T) chaos.Expect {
	var failed atomic.Int64
	for _, fn := range []string{"FulfillmentFunction", "DispatcherFunction"} {
		s.p.HookSQS(fn, everyThird(&failed))
	}
	stop := s.approving(ctx, t)
	ids := s.orders(ctx, t, 8, 2)
	waitFor(t, "10 failed messages", func() bool { return failed.Load() >= 10 })
	stop()
	return chaos.Expect{Accepted: ids}
}

func everyThird(failed *atomic.Int64) chaos.SQSHook {
	var mu sync.Mutex
	seen := map[string]bool{}
	n := 0
	return func(ctx context.Context, in events.SQSEvent, next app.SQSHandler) (events.SQSEventResponse, error) {
		mu.Lock()
		var before, after []string
		pass := in
		pass.Records = nil
		for _, m := range in.Records {
			if seen[m.MessageId] {
				pass.Records = append(pass.Records, m)
				continue
			}
			seen[m.MessageId] = true
			n++
			switch {
			case n%3 != 0:
				pass.Records = append(pass.Records, m)
			case n%2 == 0:
				before = append(before, m.MessageId)
			default:
				after = append(after, m.MessageId)
				pass.Records = append(pass.Records, m)
			}
		}
		mu.Unlock()
		resp, err := next(ctx, pass)
		for _, id := range append(before, after...) {
			failed.Add(1)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
		}
		return resp, err
	}
}

// receiverDown: the webhook endpoints answer 503 for ten seconds while
// orders flow, then recover; every delivery must end succeeded, once.
func (s *suite) receiverDown(ctx context.Context, t *testing.T) chaos.Expect {
	before := s.p.Receiver.Stats().Refused
	s.p.Receiver.Down()
	stop := s.approving(ctx, t)
	ids := s.orders(ctx, t, 4, 2)
	time.Sleep(10 * time.Second)
	s.p.Receiver.Up()
	stop()
	if s.p.Receiver.Stats().Refused == before {
		t.Fatal("no delivery was refused: the receiver was never down for the dispatcher")
	}
	return chaos.Expect{Accepted: ids}
}

// throttle: DynamoDB answers 30% of every function's calls with
// ProvisionedThroughputExceededException for a minute, while hubs order
// and the vendor approves.
func (s *suite) throttle(ctx context.Context, t *testing.T) chaos.Expect {
	rule := &chaos.Rule{Service: "DynamoDB", Rate: 0.3, Fault: chaos.DynamoThrottle}
	s.p.Inject.Set(rule)
	stop := s.approving(ctx, t)
	var ids []string
	for end := time.Now().Add(time.Minute); time.Now().Before(end); {
		ids = append(ids, s.orders(ctx, t, 4, 2)...)
	}
	stop()
	s.p.Inject.Clear()
	t.Logf("throttled %d of %d DynamoDB calls", rule.Injected(), rule.Seen())
	if rule.Injected() == 0 {
		t.Fatal("nothing was throttled")
	}
	return chaos.Expect{Accepted: ids}
}

// resets: a third of the connections to the emulator are reset by the
// peer 30 ms after they carry data (mid-request or mid-answer), while
// hubs post orders.
func (s *suite) resets(ctx context.Context, t *testing.T) chaos.Expect {
	if err := s.p.Proxy.ResetPeer(30, 0.33); err != nil {
		t.Fatal(err)
	}
	stop := s.approving(ctx, t)
	ids := s.orders(ctx, t, 10, 3)
	s.p.Proxy.Heal()
	stop()
	return chaos.Expect{Accepted: ids}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	stacktest.Eventually(t, 60*time.Second, what, cond)
}
