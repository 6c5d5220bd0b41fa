package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/metrics"
	"github.com/mercato-dev/mercato/internal/usage"
)

// CloseGrace is how long after a period ends a run closes it: files
// accepted just before the end are claimed into it well before.
const CloseGrace = time.Hour

// maxBacklog bounds how many periods back a provider's first run bills.
const maxBacklog = 12

// claimChunk is how many records one claim transaction holds.
const claimChunk = 100

// Config configures a Biller.
type Config struct {
	Table  *dynamo.Table
	Usage  *usage.Store
	Assets *fulfillment.Store
	Logger *slog.Logger
	Now    func() time.Time
	// Workers bounds the BatchWriteItem calls in flight.
	Workers int
	// Page bounds the assets one unit of a run rates: RunPage when zero;
	// tests set it lower to bill a small provider over several pages.
	Page int
	// Exports is where large reconciliation exports are written.
	Exports Exports
	// Metrics counts billing runs by trigger and outcome; nil counts none.
	Metrics *metrics.Recorder
}

// Biller is the billing function: it claims accepted usage, rates it with
// the providers' subscriptions, and writes their invoices.
type Biller struct {
	cfg   Config
	store *Store
}

// NewBiller returns a biller.
func NewBiller(cfg Config) *Biller {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	return &Biller{cfg: cfg, store: NewStore(cfg.Table)}
}

// Store is the biller's invoice store.
func (b *Biller) Store() *Store { return b.store }

// OnUsageFile handles usage_file.updated: when a provider accepts a file,
// its records are claimed and the provider's invoices brought up to date.
// The event is sent to the vendor and to the provider; only the
// provider's copy of an acceptance acts, and an unknown file is logged and
// acknowledged (it never will exist).
func (b *Biller) OnUsageFile(ctx context.Context, e event.Event) error {
	var f usage.File
	if err := json.Unmarshal(e.Data, &f); err != nil {
		return fmt.Errorf("billing: event %s data is not a usage file: %w", e.ID, err)
	}
	if f.Status != usage.StatusAccepted || e.Account != f.Provider.ID {
		return nil
	}
	stored, err := b.cfg.Usage.Get(ctx, f.ID)
	if errors.Is(err, usage.ErrNotFound) {
		b.cfg.Logger.WarnContext(ctx, "billing: accepted usage file not found; event ignored", slog.String("file", f.ID), slog.String("event", e.ID))
		return nil
	}
	if err != nil {
		return err
	}
	if err := b.claim(ctx, stored); err != nil {
		return err
	}
	if err := b.store.requestRun(ctx, f.Provider.ID, b.cfg.Now().UTC().UnixMilli()); err != nil {
		return err
	}
	_, err = b.start(ctx, f.Provider.ID, false, true)
	if errors.Is(err, errRunning) {
		return nil // the run in progress starts over when it ends (requestRun)
	}
	b.countRun(ctx, "file", err)
	return err
}

// countRun counts one provider's billing run.
func (b *Biller) countRun(ctx context.Context, trigger string, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "failed"
	}
	b.cfg.Metrics.Count(ctx, metrics.BillingRuns, 1, metrics.Dimension{Name: "Trigger", Value: trigger}, metrics.Dimension{Name: "Outcome", Value: outcome})
}

// Scheduled is the daily schedule: it starts a run of every provider
// (run.go), whose units the billing queue brings back one step at a time.
// Providers come from the account index, never a Scan; a provider whose
// run is still in progress is left to it, and one provider's failure does
// not stop the others. It costs two calls per provider, whatever the
// providers' size.
func (b *Biller) Scheduled(ctx context.Context) error {
	type acct struct {
		ID string `dynamodbav:"id"`
	}
	providers, err := dynamo.QueryAll[acct](ctx, b.cfg.Table, dynamo.Partition{Index: dynamo.GSI1, PK: "ACCOUNTS#provider"})
	if err != nil {
		return fmt.Errorf("billing: list providers: %w", err)
	}
	var errs []error
	busy := 0
	for _, p := range providers {
		_, err := b.start(ctx, p.ID, false, true)
		if errors.Is(err, errRunning) {
			busy++
			continue
		}
		b.countRun(ctx, "schedule", err)
		if err != nil {
			b.cfg.Logger.ErrorContext(ctx, "billing: provider run not started", slog.String("provider", p.ID), slog.String("error", err.Error()))
			errs = append(errs, err)
		}
	}
	b.cfg.Logger.InfoContext(ctx, "billing: scheduled runs started", slog.Int("providers", len(providers)), slog.Int("in_progress", busy), slog.Int("failed", len(errs)))
	return errors.Join(errs...)
}

func assetItem(a fulfillment.Asset, itemID string) fulfillment.AssetItem {
	for _, it := range a.Items {
		if it.ID == itemID {
			return it
		}
	}
	return fulfillment.AssetItem{}
}

// claim makes an accepted file the holder of its record ids, marks the
// records another file holds already as duplicates, and files it under the
// current billing period. A retry after a crash claims again: a claim the
// file already holds is kept.
func (b *Biller) claim(ctx context.Context, f usage.Stored) error {
	if f.Claimed || !f.Billable() {
		return nil
	}
	var dups []usage.Record
	err := b.cfg.Usage.EachRecord(ctx, f, func(recs []usage.Record) error {
		for chunk := range slices.Chunk(recs, claimChunk) {
			d, err := b.cfg.Usage.Claim(ctx, f, chunk)
			if err != nil {
				return err
			}
			dups = append(dups, d...)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, r := range dups {
		if err := b.cfg.Usage.MarkDuplicate(ctx, f, r); err != nil {
			return err
		}
		b.cfg.Logger.WarnContext(ctx, "billing: record id already accepted in another file; not billed",
			slog.String("file", f.ID), slog.String("record_id", r.RecordID), slog.String("holder", r.DuplicateOf))
	}
	return b.markClaimed(ctx, f.ID)
}

// markClaimed files the file under the period that is open now, so a
// closing run of an earlier period never misses it.
func (b *Biller) markClaimed(ctx context.Context, id string) error {
	for range 3 {
		f, err := b.cfg.Usage.Get(ctx, id)
		if err != nil || f.Claimed {
			return err
		}
		now := b.cfg.Now().UTC()
		f.Claimed, f.BillingPeriod = true, PeriodOf(now).Key()
		_, err = b.cfg.Usage.Save(ctx, f, f.Status, now)
		if !fault.Is(err, fault.Conflict) {
			return err
		}
	}
	return fmt.Errorf("billing: usage file %s kept changing while it was claimed", id)
}
