package webhook

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/layout"
)

// A recovery fans out, like the renewal run. The API commits
// webhook.recovery_requested; the dispatcher plans it (onRecovery) by
// committing one job.webhook_recovery unit per failed-delivery shard of
// the webhook that holds any since `since` (a one-entry probe each),
// which the relay routes back to the webhook queue alone. A unit
// (onRecoveryUnit) reads at most RecoveryPage failed deliveries of its
// shard since `since`, queues one manual attempt for each, and commits its
// continuation when the shard has more. Every invocation therefore does a
// bounded amount of work whatever the outage's size, and a unit that fails
// is retried alone (its message) while the others go on.
//
// A unit run twice acts once: it skips a delivery last attempted at or
// after the recovery was requested, which is one this recovery attempted
// already (or one that failed after it was asked for); and a task queued
// twice for the same attempt records it once (the attempt-count condition).

// RecoveryPage bounds the deliveries one unit redelivers: one Query, one
// BatchGetItem and ten SendMessageBatch calls. It is the default of the
// dispatcher's page (DispatcherConfig.RecoveryPage, config
// MERCATO_RECOVERY_PAGE).
const RecoveryPage = 100

// RecoveryUnit is one page of one failed-delivery shard of a recovery.
type RecoveryUnit struct {
	WebhookID string    `json:"webhook_id"`
	Since     time.Time `json:"since"`
	// Requested is when the recovery was asked for.
	Requested time.Time `json:"requested"`
	Shard     int       `json:"shard"`
	// After is the sort key of the last delivery the shard's previous
	// unit read.
	After string `json:"after,omitempty"`
	// Limit is the page: the dispatcher's unless the request bounds it
	// tighter.
	Limit int `json:"limit,omitempty"`
}

// onRecovery plans a recovery: one unit per shard with failures.
func (d *Dispatcher) onRecovery(ctx context.Context, e event.Event) error {
	var r recoveryData
	if err := json.Unmarshal(e.Data, &r); err != nil || r.WebhookID == "" {
		return fmt.Errorf("dispatcher: bad %s data: %w", e.Type, err)
	}
	var evs []event.Event
	for shard := range d.store.deliveryShards() {
		// A probe of one entry per shard, so that an empty shard (most,
		// for a short outage) costs no unit.
		_, _, held, err := d.store.failedPage(ctx, e.Account, r.WebhookID, shard, r.Since, "", 0)
		if err != nil {
			return err
		}
		if !held {
			continue
		}
		u := RecoveryUnit{WebhookID: r.WebhookID, Since: r.Since, Requested: e.Created, Shard: shard, Limit: r.Page}
		ev, err := event.New(event.JobWebhookRecovery, e.Account, u, d.cfg.Now().UTC())
		if err != nil {
			return err
		}
		evs = append(evs, ev)
	}
	if err := d.store.emit(ctx, evs...); err != nil {
		return fmt.Errorf("dispatcher: plan recovery of %s: %w", r.WebhookID, err)
	}
	d.log.InfoContext(ctx, "dispatcher: recovery planned", slog.String("webhook_id", r.WebhookID), slog.Int("units", len(evs)))
	return nil
}

// onRecoveryUnit queues a manual attempt for each failed delivery of one
// unit's page, then commits the unit that continues it.
func (d *Dispatcher) onRecoveryUnit(ctx context.Context, e event.Event) error {
	var u RecoveryUnit
	if err := json.Unmarshal(e.Data, &u); err != nil || u.WebhookID == "" || u.Shard < 0 || u.Shard >= d.store.deliveryShards() {
		return fmt.Errorf("dispatcher: event %s is not a recovery unit: %w", e.ID, err)
	}
	limit := u.Limit
	if page := cmp.Or(d.cfg.RecoveryPage, RecoveryPage); limit <= 0 || limit > page {
		limit = page
	}
	failed, last, more, err := d.store.failedPage(ctx, e.Account, u.WebhookID, u.Shard, u.Since, u.After, limit)
	if err != nil {
		return err
	}
	due := slices.DeleteFunc(failed, func(ds deliveryState) bool {
		return ds.Status != StatusFailed || !ds.Updated.Before(u.Requested)
	})
	if err := d.queueManual(ctx, due); err != nil {
		return err
	}
	if len(due) > 0 {
		d.log.InfoContext(ctx, "dispatcher: recovery unit queued", slog.String("webhook_id", u.WebhookID),
			slog.Int("shard", u.Shard), slog.Int("deliveries", len(due)))
	}
	if !more {
		return nil
	}
	u.After = last
	ev, err := event.New(event.JobWebhookRecovery, e.Account, u, d.cfg.Now().UTC())
	if err != nil {
		return err
	}
	return d.store.emit(ctx, ev)
}

// queueManual queues one manual attempt of each delivery, ten tasks per
// SendMessageBatch.
func (d *Dispatcher) queueManual(ctx context.Context, ds []deliveryState) error {
	now := d.cfg.Now().UTC()
	for chunk := range slices.Chunk(ds, 10) {
		ms := make([]QueueMessage, 0, len(chunk))
		for _, s := range chunk {
			tk := taskOf(s, s.Attempts+1, now)
			tk.Manual = true
			body, err := json.Marshal(tk)
			if err != nil {
				return err
			}
			ms = append(ms, QueueMessage{Body: string(body)})
		}
		if err := d.sendBatch(ctx, ms); err != nil {
			return err
		}
	}
	return nil
}

// jobRetentionDays keeps a job event's outbox item a day: a unit is
// consumed in minutes, and its item is never read again.
const jobRetentionDays = 1

// emit commits job events, up to dynamo.MaxTxItems per transaction.
func (s *DynamoStore) emit(ctx context.Context, evs ...event.Event) error {
	for chunk := range slices.Chunk(evs, dynamo.MaxTxItems) {
		tx := s.table.Tx()
		for _, ev := range chunk {
			tx.Emit(ev, jobRetentionDays)
		}
		if err := tx.Commit(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (s *DynamoStore) deliveryShards() int { return s.shards }

// failedPage reads up to n entries of one failed shard of the webhook's
// index, from since on and after after, and then those deliveries,
// consistently, in key order. last is the sort key of the last entry read;
// more reports that the shard may hold more.
func (s *DynamoStore) failedPage(ctx context.Context, account, webhookID string, shard int, since time.Time, after string, n int) (ds []deliveryState, last string, more bool, err error) {
	l := layout.Deliveries(account, webhookID, true, s.shards)
	part := dynamo.Partition{Index: l.Index, PK: dynamo.ShardKey(l.Prefix, shard)}
	entries, more, err := dynamo.PagePartitions(ctx, s.table, []dynamo.Partition{part}, dynamo.Range{From: sinceKey(since), To: "DL-~", After: after}, n)
	if err != nil || len(entries) == 0 {
		return nil, "", more, err
	}
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.SortKey
	}
	found, err := s.deliveries(ctx, account, webhookID, ids, true)
	if err != nil {
		return nil, "", false, err
	}
	slices.SortFunc(found, func(a, b deliveryState) int { return strings.Compare(a.ID, b.ID) })
	return found, entries[len(entries)-1].SortKey, more, nil
}
