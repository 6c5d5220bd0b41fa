package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/fulfillment/timeline"
	"github.com/mercato-dev/mercato/internal/layout"
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
	err = b.Run(ctx, f.Provider.ID)
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

// Scheduled runs every provider's billing: the daily schedule. Providers
// come from the account index, never a Scan; one provider's failure does
// not stop the others.
func (b *Biller) Scheduled(ctx context.Context) error {
	type acct struct {
		ID string `dynamodbav:"id"`
	}
	providers, err := dynamo.QueryAll[acct](ctx, b.cfg.Table, dynamo.Partition{Index: dynamo.GSI1, PK: "ACCOUNTS#provider"})
	if err != nil {
		return fmt.Errorf("billing: list providers: %w", err)
	}
	var errs []error
	for _, p := range providers {
		err := b.Run(ctx, p.ID)
		b.countRun(ctx, "schedule", err)
		if err != nil {
			b.cfg.Logger.ErrorContext(ctx, "billing: provider run failed", slog.String("provider", p.ID), slog.String("error", err.Error()))
			errs = append(errs, err)
		}
	}
	b.cfg.Logger.InfoContext(ctx, "billing: scheduled run done", slog.Int("providers", len(providers)), slog.Int("failed", len(errs)))
	return errors.Join(errs...)
}

// Run brings one provider's invoices up to date: it claims any accepted
// file not claimed yet, then rates every period from the first one not
// closed through the current one. Periods that ended (CloseGrace ago) are
// closed; the current one stays open and is rated again next time. Running
// it twice writes the same invoices.
func (b *Biller) Run(ctx context.Context, provider string) error {
	now := b.cfg.Now().UTC()
	unclaimed, err := b.cfg.Usage.Query(ctx, dynamo.Partition{Index: dynamo.GSI3, PK: usage.BillingIndex(provider, usage.UnclaimedPeriod)})
	if err != nil {
		return err
	}
	for _, f := range unclaimed {
		if err := b.claim(ctx, f); err != nil {
			return err
		}
	}
	subs, err := b.subscriptions(ctx, provider)
	if err != nil {
		return err
	}
	first, err := b.firstOpen(ctx, provider, subs, now)
	if err != nil {
		return err
	}
	for p := first; !PeriodOf(now).Before(p); p = p.Next() {
		closing := !now.Before(p.End.Add(CloseGrace))
		if err := b.bill(ctx, provider, p, subs, closing, now); err != nil {
			return fmt.Errorf("billing: %s %s: %w", provider, p.Key(), err)
		}
		if closing {
			if err := b.store.setClosedThrough(ctx, provider, p.Key()); err != nil {
				return err
			}
		}
	}
	return nil
}

// subscription is an asset with its timeline.
type subscription struct {
	asset    fulfillment.Asset
	timeline timeline.Timeline
}

// subscriptions reads the provider's assets (one index Query) and, for
// those ever activated, their requests (one Query each).
func (b *Biller) subscriptions(ctx context.Context, provider string) (map[string]subscription, error) {
	assets, err := fulfillment.Docs[fulfillment.Asset](ctx, b.cfg.Assets, layout.ProviderAssets(provider))
	if err != nil {
		return nil, err
	}
	out := make(map[string]subscription, len(assets))
	for _, a := range assets {
		if a.ActivatedAt == nil {
			out[a.ID] = subscription{asset: a}
			continue
		}
		st, reqs, err := b.cfg.Assets.AssetWithRequests(ctx, a.ID)
		if err != nil {
			return nil, err
		}
		rs := make([]fulfillment.Request, len(reqs))
		for i, r := range reqs {
			rs[i] = r.Request
		}
		out[a.ID] = subscription{asset: st.Asset, timeline: timeline.Of(st.Asset, rs)}
	}
	return out, nil
}

// firstOpen is the first period not closed yet: after the last closed one,
// or, on a provider's first run, the period of its first activation (at
// most maxBacklog periods back).
func (b *Biller) firstOpen(ctx context.Context, provider string, subs map[string]subscription, now time.Time) (Period, error) {
	closed, err := b.store.closedThrough(ctx, provider)
	if err != nil {
		return Period{}, err
	}
	if closed != "" {
		p, err := ParsePeriod(closed)
		return p.Next(), err
	}
	first := PeriodOf(now)
	for _, s := range subs {
		if len(s.timeline) > 0 && s.timeline[0].At.Before(first.Start) {
			first = PeriodOf(s.timeline[0].At)
		}
	}
	if oldest := PeriodOf(now.AddDate(0, -maxBacklog, 0)); first.Before(oldest) {
		first = oldest
	}
	return first, nil
}

// bill rates period p into one invoice per currency.
func (b *Biller) bill(ctx context.Context, provider string, p Period, subs map[string]subscription, closing bool, now time.Time) error {
	files, err := b.cfg.Usage.Query(ctx, dynamo.Partition{Index: dynamo.GSI3, PK: usage.BillingIndex(provider, p.Key())})
	if err != nil {
		return err
	}
	invoices := map[string]*draft{}
	get := func(currency string) *draft {
		if invoices[currency] == nil {
			invoices[currency] = &draft{inv: Invoice{ID: InvoiceID(provider, p, currency), Provider: catalog.Ref{ID: provider},
				Period: p.Key(), Start: p.Start, End: p.End, Currency: currency, Status: InvoiceOpen, Created: now, Updated: now}}
		}
		return invoices[currency]
	}
	for _, id := range slices.Sorted(maps.Keys(subs)) {
		s := subs[id]
		for _, l := range Recurring(s.asset, s.timeline, p) {
			get(l.Currency).add(l)
		}
	}
	for _, f := range files {
		get(f.Currency)
	}
	for _, currency := range slices.Sorted(maps.Keys(invoices)) {
		d := invoices[currency]
		if closing {
			d.inv.Status = InvoiceClosed
		}
		if err := b.write(ctx, d, files, subs); err != nil {
			return err
		}
	}
	return nil
}

// draft is an invoice being rated.
type draft struct {
	inv   Invoice
	lines []Line // license lines; usage lines are streamed
}

func (d *draft) add(l Line) {
	d.lines = append(d.lines, l)
	d.inv.OneTimeTotal = d.inv.OneTimeTotal.Add(l.Amount)
	d.inv.OneTimeLines++
}

// write stores an invoice: its license lines (deleting any an earlier run
// wrote that this one did not), the usage lines of its files, page by
// page, then the invoice with its totals, unless it is closed already.
func (b *Biller) write(ctx context.Context, d *draft, files []usage.Stored, subs map[string]subscription) error {
	existing, err := b.store.Invoice(ctx, d.inv.ID)
	switch {
	case err == nil && existing.Status == InvoiceClosed:
		return nil
	case err == nil:
		d.inv.Created = existing.Created
	case !errors.Is(err, ErrNotFound):
		return err
	}
	w := usage.NewBatchWriter(ctx, b.cfg.Table, b.cfg.Workers)
	err = b.writeLines(ctx, w, d, files, subs)
	if _, cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if d.inv.OneTimeLines+d.inv.UsageLines == 0 && existing.ID == "" {
		return nil // nothing to bill: no invoice
	}
	d.inv.Total = d.inv.OneTimeTotal.Add(d.inv.UsageTotal)
	err = b.store.putInvoice(ctx, d.inv)
	if _, lost := dynamo.AsConditionFailed(err); lost {
		return nil // closed by a concurrent run, with the same lines
	}
	return err
}

func (b *Biller) writeLines(ctx context.Context, w *usage.BatchWriter, d *draft, files []usage.Stored, subs map[string]subscription) error {
	keep := map[string]bool{}
	for _, l := range d.lines {
		item, err := lineItem(d.inv.ID, l)
		if err != nil {
			return err
		}
		keep[linePrefix(l.BillingType)+l.Key] = true
		if err := w.Put(item); err != nil {
			return err
		}
	}
	old, err := b.store.lineKeys(ctx, d.inv.ID, ProviderOneTime)
	if err != nil {
		return err
	}
	for _, k := range old {
		if !keep[k.SK] {
			if err := w.Delete(k); err != nil {
				return err
			}
		}
	}
	for _, f := range files {
		if f.Currency != d.inv.Currency {
			continue
		}
		if err := b.usageLines(ctx, w, d, f, subs); err != nil {
			return err
		}
	}
	return nil
}

// usageLines rates a file's records, a page at a time. Records another
// file was accepted with first are not billed.
func (b *Biller) usageLines(ctx context.Context, w *usage.BatchWriter, d *draft, f usage.Stored, subs map[string]subscription) error {
	return b.cfg.Usage.EachRecord(ctx, f, func(recs []usage.Record) error {
		for _, r := range recs {
			if r.DuplicateOf != "" {
				continue
			}
			a := subs[r.Asset.ID].asset
			l, err := Usage(f.File, r, a, assetItem(a, r.Item.ID))
			if err != nil {
				return err
			}
			item, err := lineItem(d.inv.ID, l)
			if err != nil {
				return err
			}
			if err := w.Put(item); err != nil {
				return err
			}
			d.inv.UsageTotal = d.inv.UsageTotal.Add(l.Amount)
			d.inv.UsageLines++
		}
		return nil
	})
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
