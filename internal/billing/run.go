package billing

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/shopspring/decimal"

	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/fulfillment/timeline"
	"github.com/mercato-dev/mercato/internal/ident"
	"github.com/mercato-dev/mercato/internal/layout"
	"github.com/mercato-dev/mercato/internal/usage"
)

// A provider's billing run is a chain of bounded steps, one job.billing
// event each, consumed by the billing function with partial batch
// failures. The run's cursor and its running totals live in one item,
// BILLING#<provider> / RUN:
//
//	start    claim the accepted files not claimed yet; find the first open period
//	rate     one page (RunPage) of the provider's asset index: rate each
//	         asset's license lines for the period, replace its old ones,
//	         add them to the totals
//	usage    one usage file of the period: rate its records
//	invoice  write the period's invoices from the totals (closed when the
//	         period ended), then the next period's rate, or done
//
// Rating is incremental, page by page: an invocation reads one page of
// assets (each with its own requests) or one file, never the tenant's
// whole history, and closing a period writes its invoices from the totals
// the steps added up, without reading its lines back. We chose this over
// accrual state kept from the asset and request events because it needs no
// new event route, no backfill of the accrual items for the assets that
// exist, and it rates with the same Recurring rules the API documents;
// its cost is that a run still visits every asset of the provider once per
// open period (in bounded pieces).
//
// Every step is exactly once: a unit acts only when the run item holds its
// run id and step number, and its last write is one transaction that moves
// the item to the next step (conditional on the step it read) and emits the
// next unit. A redelivered unit finds the item moved on and does nothing; a
// unit that failed before its commit is redelivered alone by SQS and
// rewrites the same lines (keys derived from what they charge) before it
// adds them to the totals, so nothing is billed twice. One run per
// provider is in progress at a time; a run that stopped advancing (a unit
// in the DLQ) is taken over by the next start after staleRun.

// RunPage bounds the assets one unit rates: one Query of the asset and its
// requests and one of its old lines each, well within the function's
// timeout.
const RunPage = 100

// staleRun is how long a run may go without advancing before a new start
// takes it over.
const staleRun = 6 * time.Hour

// Phases of a run.
const (
	phaseStart   = "start"
	phaseRate    = "rate"
	phaseUsage   = "usage"
	phaseInvoice = "invoice"
	phaseDone    = "done"
)

// jobRetentionDays keeps a unit's outbox item a day: it is consumed in
// minutes and never read again.
const jobRetentionDays = 1

// Unit is one step of a provider's billing run: a job.billing event's data.
type Unit struct {
	Provider string `json:"provider"`
	Run      string `json:"run"`
	Step     int    `json:"step"`
}

// runState is the run item.
type runState struct {
	dynamo.Row
	Run     string `dynamodbav:"run"`
	Step    int    `dynamodbav:"step"`
	Phase   string `dynamodbav:"phase"`
	Period  string `dynamodbav:"period,omitempty"`
	Shard   int    `dynamodbav:"shard,omitempty"` // rate: the asset index shard being read
	After   string `dynamodbav:"after,omitempty"` // rate: the last asset index key done in it; usage: the last file
	Now     int64  `dynamodbav:"now"`             // the run's clock (Unix ms): which periods close
	Updated int64  `dynamodbav:"updated"`         // Unix ms of the last step: a stale run is taken over
	Limit   int    `dynamodbav:"limit,omitempty"` // the page: RunPage unless the starter bounds it tighter
	Sums    string `dynamodbav:"sums,omitempty"`  // the period's totals so far, by currency (JSON)
}

func runKey(provider string) dynamo.Key { return dynamo.Key{PK: "BILLING#" + provider, SK: "RUN"} }

func (st runState) provider() string { return strings.TrimPrefix(st.PK, "BILLING#") }

func (st runState) now() time.Time { return time.UnixMilli(st.Now).UTC() }

func (st runState) page() int {
	if st.Limit <= 0 || st.Limit > RunPage {
		return RunPage
	}
	return st.Limit
}

// sums are an invoice's totals so far.
type sums struct {
	OneTimeTotal decimal.Decimal `json:"onetime_total"`
	OneTimeLines int             `json:"onetime_lines"`
	UsageTotal   decimal.Decimal `json:"usage_total"`
	UsageLines   int             `json:"usage_lines"`
}

type totals map[string]*sums

func (st runState) totals() (totals, error) {
	out := totals{}
	if st.Sums == "" {
		return out, nil
	}
	if err := json.Unmarshal([]byte(st.Sums), &out); err != nil {
		return nil, fmt.Errorf("billing: run item of %s: %w", st.provider(), err)
	}
	return out, nil
}

// periodTotals is the run's period and its totals so far: what each step
// of a period starts from.
func (st runState) periodTotals() (Period, totals, error) {
	p, err := ParsePeriod(st.Period)
	if err != nil {
		return Period{}, nil, err
	}
	sum, err := st.totals()
	return p, sum, err
}

func (t totals) of(currency string) *sums {
	if t[currency] == nil {
		t[currency] = &sums{}
	}
	return t[currency]
}

func (t totals) add(l Line) {
	s := t.of(l.Currency)
	if l.BillingType == ProviderUsage {
		s.UsageTotal, s.UsageLines = s.UsageTotal.Add(l.Amount), s.UsageLines+1
		return
	}
	s.OneTimeTotal, s.OneTimeLines = s.OneTimeTotal.Add(l.Amount), s.OneTimeLines+1
}

// errRunning reports a run of the provider in progress.
var errRunning = errors.New("billing: a run of this provider is in progress")

// start begins a run of the provider and returns its id. Unless force
// (an operator's in-process Run), it starts only when no run is in
// progress; emit commits the first unit with it.
func (b *Biller) start(ctx context.Context, provider string, force, emit bool) (string, error) {
	now := b.cfg.Now().UTC()
	k := runKey(provider)
	st := runState{Row: dynamo.Row{Key: k, Entity: "billing_run"}, Run: fmt.Sprintf("BR-%013x-%s", now.UnixMilli(), strings.ToLower(ident.Secret(6))),
		Phase: phaseStart, Now: now.UnixMilli(), Updated: now.UnixMilli(), Limit: b.cfg.Page}
	tx := b.cfg.Table.Tx()
	if force {
		tx.Put("billing run", st, nil)
	} else {
		cond := expression.AttributeNotExists(expression.Name(dynamo.PK)).Or(expression.Name("phase").Equal(expression.Value(phaseDone)),
			expression.Name("updated").LessThan(expression.Value(now.Add(-staleRun).UnixMilli())))
		tx.Put("billing run", st, &cond)
	}
	if emit {
		if err := b.emitUnit(tx, Unit{Provider: provider, Run: st.Run}, now); err != nil {
			return "", err
		}
	}
	err := tx.Commit(ctx)
	if _, lost := dynamo.AsConditionFailed(err); lost {
		return "", errRunning
	}
	return st.Run, err
}

// Start starts a run of the provider through the billing queue, unless
// one is in progress (then that run bills; not an error).
func (b *Biller) Start(ctx context.Context, provider string) error {
	_, err := b.start(ctx, provider, false, true)
	if errors.Is(err, errRunning) {
		return nil
	}
	return err
}

func (b *Biller) emitUnit(tx *dynamo.Tx, u Unit, now time.Time) error {
	ev, err := event.New(event.JobBilling, event.PlatformAccount, u, now)
	if err != nil {
		return err
	}
	tx.Emit(ev, jobRetentionDays)
	return nil
}

// OnUnit handles a job.billing event: one step of a run. A failure fails
// this message alone; SQS redelivers it.
func (b *Biller) OnUnit(ctx context.Context, e event.Event) error {
	var u Unit
	if err := json.Unmarshal(e.Data, &u); err != nil || u.Provider == "" {
		return fmt.Errorf("billing: event %s data is not a billing unit: %v", e.ID, err)
	}
	return b.RunUnit(ctx, u)
}

// RunUnit runs one step of a run, unless the run has moved past it (a
// redelivery) or another run took over; then it does nothing.
func (b *Biller) RunUnit(ctx context.Context, u Unit) error {
	st, err := b.store.run(ctx, u.Provider)
	if errors.Is(err, ErrNotFound) || (err == nil && (st.Run != u.Run || st.Step != u.Step || st.Phase == phaseDone)) {
		b.cfg.Logger.DebugContext(ctx, "billing: unit already done or superseded; acknowledged",
			slog.String("provider", u.Provider), slog.String("run", u.Run), slog.Int("step", u.Step))
		return nil
	}
	if err != nil {
		return err
	}
	return b.step(ctx, st, true)
}

// Run runs a whole run of the provider in this invocation, step after
// step, exactly as the units do: for tests and an operator's catch-up on a
// small stack. It takes over a run in progress; the schedule never calls
// it.
func (b *Biller) Run(ctx context.Context, provider string) error {
	run, err := b.start(ctx, provider, true, false)
	if err != nil {
		return err
	}
	for {
		st, err := b.store.run(ctx, provider)
		if err != nil {
			return err
		}
		if st.Run != run {
			return fmt.Errorf("billing: run %s of %s was taken over by %s", run, provider, st.Run)
		}
		if st.Phase == phaseDone {
			return nil
		}
		if err := b.step(ctx, st, false); err != nil {
			return err
		}
	}
}

// step does one step of st and commits the next, with its unit if emit.
func (b *Biller) step(ctx context.Context, st runState, emit bool) error {
	var next runState
	var err error
	switch st.Phase {
	case phaseStart:
		next, err = b.stepStart(ctx, st)
	case phaseRate:
		next, err = b.stepRate(ctx, st)
	case phaseUsage:
		next, err = b.stepUsage(ctx, st)
	case phaseInvoice:
		next, err = b.stepInvoice(ctx, st)
	default:
		err = fmt.Errorf("billing: run item of %s in unknown phase %q", st.provider(), st.Phase)
	}
	if err != nil {
		return fmt.Errorf("billing: %s run %s step %d (%s %s): %w", st.provider(), st.Run, st.Step, st.Phase, st.Period, err)
	}
	return b.advance(ctx, st, next, emit)
}

// advance moves the run item from st to next and, if emit, commits the
// unit of the next step with it. A lost condition means a redelivery or a
// takeover got there first: nothing to do.
func (b *Biller) advance(ctx context.Context, st, next runState, emit bool) error {
	now := b.cfg.Now().UTC()
	next.Step, next.Updated = st.Step+1, now.UnixMilli()
	cond := expression.Name("run").Equal(expression.Value(st.Run)).And(expression.Name("step").Equal(expression.Value(st.Step)))
	tx := b.cfg.Table.Tx().Put("billing run", next, &cond)
	if emit && next.Phase != phaseDone {
		if err := b.emitUnit(tx, Unit{Provider: st.provider(), Run: st.Run, Step: next.Step}, now); err != nil {
			return err
		}
	}
	err := tx.Commit(ctx)
	if _, lost := dynamo.AsConditionFailed(err); lost {
		b.cfg.Logger.InfoContext(ctx, "billing: run moved on meanwhile; step not committed", slog.String("provider", st.provider()), slog.String("run", st.Run))
		return nil
	}
	return err
}

// stepStart claims any accepted file not claimed yet and rates from the
// first period not closed.
func (b *Biller) stepStart(ctx context.Context, st runState) (runState, error) {
	provider := st.provider()
	unclaimed, err := b.cfg.Usage.Query(ctx, dynamo.Partition{Index: dynamo.GSI3, PK: usage.BillingIndex(provider, usage.UnclaimedPeriod)})
	if err != nil {
		return st, err
	}
	for _, f := range unclaimed {
		if err := b.claim(ctx, f); err != nil {
			return st, err
		}
	}
	first, err := b.firstOpen(ctx, provider, st.now())
	if err != nil {
		return st, err
	}
	st.Phase, st.Period, st.Shard, st.After, st.Sums = phaseRate, first.Key(), 0, "", ""
	return st, nil
}

// firstOpen is the first period not closed yet: after the last closed one,
// or, on a provider's first run, the period of its oldest asset (the asset
// index is ordered by creation, and no asset is activated before it is
// created), at most maxBacklog periods back. It reads one entry per shard,
// whatever the provider's size.
func (b *Biller) firstOpen(ctx context.Context, provider string, now time.Time) (Period, error) {
	closed, err := b.store.closedThrough(ctx, provider)
	if err != nil {
		return Period{}, err
	}
	if closed != "" {
		p, err := ParsePeriod(closed)
		return p.Next(), err
	}
	first := PeriodOf(now)
	oldest, _, err := dynamo.PageEntries(ctx, b.cfg.Table, []dynamo.Sharded{layout.ProviderAssets(provider)}, dynamo.Range{}, 1)
	if err != nil || len(oldest) == 0 {
		return first, err
	}
	a, err := b.cfg.Assets.Asset(ctx, assetID(oldest[0]))
	if err != nil {
		return Period{}, err
	}
	if PeriodOf(a.Created).Before(first) {
		first = PeriodOf(a.Created)
	}
	if floor := PeriodOf(now.AddDate(0, -maxBacklog, 0)); first.Before(floor) {
		first = floor
	}
	return first, nil
}

func assetID(e dynamo.IndexEntry) string { return strings.TrimPrefix(e.PK, fulfillment.AssetPK("")) }

// stepRate rates one page of the provider's assets for the period.
func (b *Biller) stepRate(ctx context.Context, st runState) (runState, error) {
	p, sum, err := st.periodTotals()
	if err != nil {
		return st, err
	}
	entries, shard, after, err := b.assetPage(ctx, st)
	if err != nil {
		return st, err
	}
	rated, err := b.ratePage(ctx, st.provider(), entries, p)
	if err != nil {
		return st, err
	}
	w := usage.NewBatchWriter(ctx, b.cfg.Table, b.cfg.Workers)
	for _, r := range rated {
		if err = r.write(w, sum); err != nil {
			break
		}
	}
	if _, cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return st, err
	}
	st.Sums, st.Shard, st.After = dynamo.DocJSON(sum), shard, after
	if shard == layout.Shards {
		st.Phase, st.Shard, st.After = phaseUsage, 0, ""
	}
	return st, nil
}

// assetPage reads the next page of the provider's asset index: shard by
// shard, each from its cursor, so that a page reads at most its size in
// entries (and one Query per shard it finishes), whatever the provider's
// size; merging the shards in order, as the API's lists do, would read up
// to a page from every shard. It returns the cursor after the page; shard
// layout.Shards when the index is done.
func (b *Biller) assetPage(ctx context.Context, st runState) ([]dynamo.IndexEntry, int, string, error) {
	parts := layout.ProviderAssets(st.provider()).Partitions()
	var entries []dynamo.IndexEntry
	shard, after := st.Shard, st.After
	for shard < len(parts) && len(entries) < st.page() {
		got, more, err := dynamo.PagePartitions(ctx, b.cfg.Table, parts[shard:shard+1], dynamo.Range{After: after}, st.page()-len(entries))
		if err != nil {
			return nil, 0, "", err
		}
		entries = append(entries, got...)
		if more {
			return entries, shard, got[len(got)-1].SortKey, nil
		}
		shard, after = shard+1, ""
	}
	return entries, shard, after, nil
}

// ratedAsset is an asset's license lines of a period and the keys of the
// lines an earlier run wrote for it.
type ratedAsset struct {
	invoiceID string
	lines     []Line
	old       []dynamo.Key
}

// write puts the lines, deletes the old ones it no longer charges, and
// adds the lines to the totals.
func (r ratedAsset) write(w *usage.BatchWriter, sum totals) error {
	keep := map[string]bool{}
	for _, l := range r.lines {
		item, err := lineItem(r.invoiceID, l)
		if err != nil {
			return err
		}
		keep[linePrefix(l.BillingType)+l.Key] = true
		if err := w.Put(item); err != nil {
			return err
		}
		sum.add(l)
	}
	for _, k := range r.old {
		if !keep[k.SK] {
			if err := w.Delete(k); err != nil {
				return err
			}
		}
	}
	return nil
}

// ratePage rates the page's assets, Workers at a time (two Queries each).
func (b *Biller) ratePage(ctx context.Context, provider string, entries []dynamo.IndexEntry, p Period) ([]ratedAsset, error) {
	out := make([]ratedAsset, len(entries))
	errs := make([]error, len(entries))
	sem := make(chan struct{}, b.cfg.Workers)
	var wg sync.WaitGroup
	for i, e := range entries {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			out[i], errs[i] = b.rateAsset(ctx, provider, assetID(e), p)
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// rateAsset rates an asset's license lines of period p and reads the keys
// of those an earlier run wrote.
func (b *Biller) rateAsset(ctx context.Context, provider, id string, p Period) (ratedAsset, error) {
	a, reqs, err := b.cfg.Assets.AssetWithRequests(ctx, id)
	if errors.Is(err, fulfillment.ErrNotFound) {
		return ratedAsset{}, nil // an index entry ahead of its asset: nothing to charge yet
	}
	if err != nil || a.ActivatedAt == nil {
		return ratedAsset{}, err
	}
	rs := make([]fulfillment.Request, len(reqs))
	for i, r := range reqs {
		rs[i] = r.Request
	}
	r := ratedAsset{invoiceID: InvoiceID(provider, p, a.Currency), lines: Recurring(a.Asset, timeline.Of(a.Asset, rs), p)}
	r.old, err = b.store.assetLineKeys(ctx, r.invoiceID, a.ID)
	return r, err
}

// stepUsage rates the records of the period's next usage file.
func (b *Biller) stepUsage(ctx context.Context, st runState) (runState, error) {
	files, err := b.cfg.Usage.Query(ctx, dynamo.Partition{Index: dynamo.GSI3, PK: usage.BillingIndex(st.provider(), st.Period)})
	if err != nil {
		return st, err
	}
	slices.SortFunc(files, func(x, y usage.Stored) int { return cmp.Compare(x.ID, y.ID) })
	i := slices.IndexFunc(files, func(f usage.Stored) bool { return f.ID > st.After })
	if i < 0 {
		st.Phase, st.After = phaseInvoice, ""
		return st, nil
	}
	f := files[i]
	p, sum, err := st.periodTotals()
	if err != nil {
		return st, err
	}
	sum.of(f.Currency)
	w := usage.NewBatchWriter(ctx, b.cfg.Table, b.cfg.Workers)
	err = b.usageLines(ctx, w, InvoiceID(st.provider(), p, f.Currency), f, sum)
	if _, cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return st, err
	}
	st.Sums, st.After = dynamo.DocJSON(sum), f.ID
	return st, nil
}

// usageLines rates a file's records, a page at a time, with the assets
// they name read by id per page. Records another file was accepted with
// first are not billed.
func (b *Biller) usageLines(ctx context.Context, w *usage.BatchWriter, invoiceID string, f usage.Stored, sum totals) error {
	assets := map[string]fulfillment.Asset{}
	return b.cfg.Usage.EachRecord(ctx, f, func(recs []usage.Record) error {
		var missing []string
		for _, r := range recs {
			if _, ok := assets[r.Asset.ID]; !ok && r.Asset.ID != "" && !slices.Contains(missing, r.Asset.ID) {
				missing = append(missing, r.Asset.ID)
			}
		}
		if len(missing) > 0 {
			got, err := b.cfg.Assets.Assets(ctx, missing)
			if err != nil {
				return err
			}
			maps.Copy(assets, got)
		}
		for _, r := range recs {
			if r.DuplicateOf != "" {
				continue
			}
			a := assets[r.Asset.ID]
			l, err := Usage(f.File, r, a, assetItem(a, r.Item.ID))
			if err != nil {
				return err
			}
			item, err := lineItem(invoiceID, l)
			if err != nil {
				return err
			}
			if err := w.Put(item); err != nil {
				return err
			}
			sum.add(l)
		}
		return nil
	})
}

// stepInvoice writes the period's invoices from the totals, closes the
// period if it ended, and goes on to the next period or ends the run.
func (b *Biller) stepInvoice(ctx context.Context, st runState) (runState, error) {
	p, sum, err := st.periodTotals()
	if err != nil {
		return st, err
	}
	now := st.now()
	closing := !now.Before(p.End.Add(CloseGrace))
	for _, currency := range slices.Sorted(maps.Keys(sum)) {
		inv := Invoice{ID: InvoiceID(st.provider(), p, currency), Provider: catalog.Ref{ID: st.provider()}, Period: p.Key(),
			Start: p.Start, End: p.End, Currency: currency, Status: InvoiceOpen, Created: now, Updated: now}
		if closing {
			inv.Status = InvoiceClosed
		}
		s := sum[currency]
		inv.OneTimeTotal, inv.OneTimeLines, inv.UsageTotal, inv.UsageLines = s.OneTimeTotal, s.OneTimeLines, s.UsageTotal, s.UsageLines
		if err := b.writeInvoice(ctx, inv); err != nil {
			return st, err
		}
	}
	if closing {
		if err := b.store.setClosedThrough(ctx, st.provider(), p.Key()); err != nil {
			return st, err
		}
	}
	st.After, st.Sums = "", ""
	if PeriodOf(now).Before(p.Next()) {
		return b.finish(ctx, st)
	}
	st.Phase, st.Period, st.Shard = phaseRate, p.Next().Key(), 0
	return st, nil
}

// finish ends the run, or starts it over when a usage file was accepted
// after the run began (its acceptance found this run in progress).
func (b *Biller) finish(ctx context.Context, st runState) (runState, error) {
	again, err := b.store.requestedAt(ctx, st.provider())
	if err != nil {
		return st, err
	}
	st.Phase, st.Period = phaseDone, ""
	if again > st.Now {
		st.Phase, st.Now = phaseStart, b.cfg.Now().UTC().UnixMilli()
	}
	return st, nil
}

// writeInvoice stores an invoice with its totals unless it is closed
// already; a period with nothing to bill gets no invoice.
func (b *Biller) writeInvoice(ctx context.Context, inv Invoice) error {
	existing, err := b.store.Invoice(ctx, inv.ID)
	switch {
	case err == nil && existing.Status == InvoiceClosed:
		return nil
	case err == nil:
		inv.Created = existing.Created
	case !errors.Is(err, ErrNotFound):
		return err
	}
	if inv.OneTimeLines+inv.UsageLines == 0 && existing.ID == "" {
		return nil
	}
	inv.Total = inv.OneTimeTotal.Add(inv.UsageTotal)
	err = b.store.putInvoice(ctx, inv)
	if _, lost := dynamo.AsConditionFailed(err); lost {
		return nil // closed by a concurrent run, with the same lines
	}
	return err
}
