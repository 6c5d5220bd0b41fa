package webhook_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/webhook"
)

// TestWebhooks_RecoveryInPages recovers an outage several pages large on
// the emulator, through the outbox, the relay and the webhook queue: three
// of its failed deliveries share one index shard and the units page one
// delivery at a time, so that shard takes three chained units. Every
// failed delivery is sent exactly once more.
func TestWebhooks_RecoveryInPages(t *testing.T) {
	d := newDownHook(t)
	shards := d.a.Config.WebhookDeliveryShards
	if shards <= 0 {
		shards = webhook.DefaultDeliveryShards
	}
	// Three events whose deliveries share a shard, and two more.
	var evs []event.Event
	shared, same := -1, 0
	for i := 0; len(evs) < 5 && i < 100000; i++ {
		e, err := event.New(event.OrderCreated, d.tn.id, map[string]string{"id": fmt.Sprintf("ORD-%d", i)}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		s := dynamo.ShardOf(webhook.DeliveryID(e.ID, e.Created, d.w.ID), shards)
		switch {
		case shared < 0:
			shared, same = s, 1
		case s == shared && same < 3:
			same++
		case s != shared && len(evs)-same < 2:
		default:
			continue
		}
		evs = append(evs, e)
	}
	for _, e := range evs {
		if err := d.a.Table.Tx().Emit(e, 1).Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	wait(t, "five failed deliveries", func() bool { return len(d.tn.deliveries(d.w.ID, "?status=failed")) == 5 })
	before := len(d.rcv.got())
	d.out.end()

	// The API's request, with each unit's page bounded to one delivery.
	rec, err := event.New(event.WebhookRecoveryRequested, d.tn.id, map[string]any{"webhook_id": d.w.ID, "since": d.since, "page": 1}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := d.a.Table.Tx().Emit(rec, 1).Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	wait(t, "the recovery", func() bool { return len(d.tn.deliveries(d.w.ID, "?status=succeeded")) == 5 })
	time.Sleep(2 * time.Second)
	if n := len(d.rcv.got()) - before; n != 5 {
		t.Errorf("%d requests after the outage, want 5 (one per failed delivery)", n)
	}
	for _, d := range d.tn.deliveries(d.w.ID, "") {
		if d.AttemptCount != 9 || d.Attempts[0].Trigger != webhook.TriggerManual {
			t.Errorf("delivery %s: %d attempts, the last %s; want 9, the last manual", d.ID, d.AttemptCount, d.Attempts[0].Trigger)
		}
	}
}
