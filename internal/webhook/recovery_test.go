package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mercato-dev/mercato/internal/event"
)

// runJobs hands the store's committed job events to the dispatcher, one
// SQS batch per round, until none is left, as the relay and the queue
// would, and returns the rounds' failed message ids.
func (h harness) runJobs(t *testing.T) (rounds int, failed []string) {
	t.Helper()
	for {
		h.store.mu.Lock()
		evs := h.store.events
		h.store.events = nil
		h.store.mu.Unlock()
		if len(evs) == 0 {
			return rounds, failed
		}
		rounds++
		var in events.SQSEvent
		for _, e := range evs {
			body, _ := json.Marshal(e)
			in.Records = append(in.Records, events.SQSMessage{MessageId: e.ID, Body: string(body)})
		}
		resp, err := h.d.Handle(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range resp.BatchItemFailures {
			failed = append(failed, f.ItemIdentifier)
		}
	}
}

// failedDeliveries stores n failed deliveries of ep, last attempted before
// at, and returns their ids.
func (h harness) failedDeliveries(ep endpoint, n int, at time.Time) []string {
	var ids []string
	for i := range n {
		id := DeliveryID(fmt.Sprintf("EV-%d", i), at.Add(-time.Hour), ep.ID)
		h.store.deliveries[id] = deliveryState{ID: id, WebhookID: ep.ID, Account: ep.Account, EventType: event.OrderCreated,
			Body: []byte(`{}`), Status: StatusFailed, Attempts: 8, Created: at.Add(-time.Hour), Updated: at.Add(-time.Minute)}
		ids = append(ids, id)
	}
	return ids
}

func recoveryEvent(t *testing.T, ep endpoint, page int, at time.Time) event.Event {
	t.Helper()
	e, err := event.New(event.WebhookRecoveryRequested, ep.Account, recoveryData{WebhookID: ep.ID, Since: at.Add(-2 * time.Hour), Page: page}, at)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestDispatcher_RecoveryUnits(t *testing.T) {
	ep := testEndpoint("http://127.0.0.1:1")
	h := newHarness(t, ep)
	now := h.clock.Now()
	ids := h.failedDeliveries(ep, 23, now)
	h.store.events = []event.Event{recoveryEvent(t, ep, 2, now)}
	rounds, failed := h.runJobs(t)
	if len(failed) != 0 {
		t.Fatalf("failed messages %v", failed)
	}
	queued := map[string]int{}
	for _, tk := range h.queue.tasks(t) {
		if !tk.Manual || tk.Attempt != 9 {
			t.Errorf("task %+v, want manual attempt 9", tk)
		}
		queued[tk.DeliveryID]++
	}
	for _, id := range ids {
		if queued[id] != 1 {
			t.Errorf("delivery %s queued %d times, want once", id, queued[id])
		}
	}
	// 23 deliveries over 4 shards, 2 a page: some shard needs several
	// pages, each its own unit and invocation.
	if rounds < 4 || h.store.pages < (len(ids)+1)/2 {
		t.Errorf("%d rounds, %d pages read; want several pages per shard", rounds, h.store.pages)
	}

	t.Run("a unit run again queues nothing once the attempts ran", func(t *testing.T) {
		for _, id := range ids {
			d := h.store.deliveries[id]
			d.Attempts, d.Updated = 9, now.Add(time.Second) // the manual attempt failed again
			h.store.deliveries[id] = d
		}
		h.queue.sent = nil
		h.store.events = []event.Event{recoveryEvent(t, ep, 2, now)}
		if _, failed := h.runJobs(t); len(failed) != 0 || len(h.queue.tasks(t)) != 0 {
			t.Errorf("second run: failed %v, %d tasks; want none", failed, len(h.queue.tasks(t)))
		}
	})
}

func TestDispatcher_FailingRecoveryUnitIsRetriedAlone(t *testing.T) {
	good, bad := testEndpoint("http://127.0.0.1:1"), testEndpoint("http://127.0.0.1:1")
	bad.ID = "WH-900-900-900"
	h := newHarness(t, good, bad)
	now := h.clock.Now()
	goodIDs := h.failedDeliveries(good, 6, now)
	h.failedDeliveries(bad, 6, now)
	// Plan both, then run the units of both in one batch.
	var in events.SQSEvent
	for _, e := range []event.Event{recoveryEvent(t, good, 100, now), recoveryEvent(t, bad, 100, now)} {
		body, _ := json.Marshal(e)
		in.Records = append(in.Records, events.SQSMessage{MessageId: e.ID, Body: string(body)})
	}
	if resp, err := h.d.Handle(context.Background(), in); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("plan = %+v, %v", resp, err)
	}
	units := h.store.events
	h.store.events = nil
	h.store.pageErr = map[string]error{bad.ID: errors.New("throttled")}
	in = events.SQSEvent{}
	badUnits := map[string]bool{}
	for _, e := range units {
		body, _ := json.Marshal(e)
		in.Records = append(in.Records, events.SQSMessage{MessageId: e.ID, Body: string(body)})
		var u RecoveryUnit
		_ = json.Unmarshal(e.Data, &u)
		if u.WebhookID == bad.ID {
			badUnits[e.ID] = true
		}
	}
	resp, err := h.d.Handle(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != len(badUnits) {
		t.Errorf("%d failures, want the %d units of the failing webhook", len(resp.BatchItemFailures), len(badUnits))
	}
	for _, f := range resp.BatchItemFailures {
		if !badUnits[f.ItemIdentifier] {
			t.Errorf("unit %s of the healthy webhook failed", f.ItemIdentifier)
		}
	}
	if n := len(h.queue.tasks(t)); n != len(goodIDs) {
		t.Errorf("%d tasks queued, want the healthy webhook's %d", n, len(goodIDs))
	}
	// SQS hands the failed units back; once the store answers, they
	// queue the other webhook's deliveries, and the healthy ones nothing
	// more.
	h.store.pageErr = nil
	retry := events.SQSEvent{}
	for _, r := range in.Records {
		if badUnits[r.MessageId] {
			retry.Records = append(retry.Records, r)
		}
	}
	if resp, err := h.d.Handle(context.Background(), retry); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("retry = %+v, %v", resp, err)
	}
	if n := len(h.queue.tasks(t)); n != 12 {
		t.Errorf("%d tasks after the retry, want 12", n)
	}
}

// TestDispatcher_RecoveryPage: a unit reads the dispatcher's page
// (RecoveryPage unless its config sets one), or the request's when that is
// tighter, and every failed delivery is queued once whatever the page.
func TestDispatcher_RecoveryPage(t *testing.T) {
	tests := []struct {
		name          string
		page, request int
		want          int
	}{
		{"the default page", 0, 0, RecoveryPage},
		{"the dispatcher's page", 3, 0, 3},
		{"the request's tighter page", 3, 2, 2},
		{"a request wider than the page", 3, 100, 3},
		{"a request within the default page", 0, 7, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := testEndpoint("http://127.0.0.1:1")
			h := newHarness(t, ep)
			h.d.cfg.RecoveryPage = tt.page
			now := h.clock.Now()
			ids := h.failedDeliveries(ep, 23, now)
			h.store.events = []event.Event{recoveryEvent(t, ep, tt.request, now)}
			if _, failed := h.runJobs(t); len(failed) != 0 {
				t.Fatalf("failed messages %v", failed)
			}
			if h.store.largest != tt.want {
				t.Errorf("largest page %d, want %d", h.store.largest, tt.want)
			}
			if n := len(h.queue.tasks(t)); n != len(ids) {
				t.Errorf("%d tasks queued, want %d", n, len(ids))
			}
		})
	}
}
