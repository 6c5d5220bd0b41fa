package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/shopspring/decimal"

	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/ident"
	"github.com/mercato-dev/mercato/internal/layout"
	"github.com/mercato-dev/mercato/internal/usage"
)

// A provider's billing run is a chain of bounded steps, one job.billing
// event each, consumed by the billing function with partial batch
// failures. Each period's rating fans out over lanes that run in parallel
// and join before the period's invoices are written. The run's step lives
// in one item, BILLING#<provider> / RUN; each lane's cursor and totals in
// one item of its own, BILLING#<provider> / RUN#<lane> (lane.go):
//
//	start    claim the accepted files not claimed yet; find the first open
//	         period; fan out
//	rate     the period's lanes, each a chain of units of its own: lane n
//	         (n < layout.Shards) rates shard n of the provider's asset index
//	         a page (RunPage) at a time, the last lane rates the period's
//	         usage files a page of one record shard (UsagePage) at a time;
//	         the run item counts the lanes that finished
//	invoice  write the period's invoices from the totals the lanes added to
//	         the run item (closed when the period ended), then the next
//	         period's rate, or done
//
// Rating is incremental, page by page: a unit reads one page of assets
// (each with its own requests) or of records, never the tenant's whole
// history, and closing a period writes its invoices from the totals the
// lanes added up, without reading its lines back. We chose this over
// accrual state kept from the asset and request events because it needs no
// new event route, no backfill of the accrual items for the assets that
// exist, and it rates with the same Recurring rules the API documents;
// its cost is that a run still visits every asset of the provider once per
// open period (in bounded pieces, layout.Shards at once).
//
// Every step is exactly once: a unit acts only when the run item (and, for
// a lane's unit, the lane item) holds its step, and its last write is one
// transaction that moves the item to the next step (conditional on the step
// it read) and emits the next unit. A lane's last step also counts the lane
// in the run item and adds its totals to the run's, conditional on the
// count it read; the lane that makes the count whole moves the run to its
// invoice step and emits that unit, so the invoices are written once, from
// the run item alone, whatever the number of lanes. A redelivered unit
// finds its item moved on and does nothing; a unit that failed before its
// commit is redelivered alone by SQS and rewrites the same lines (keys
// derived from what they charge) before it adds them to its lane's totals,
// so nothing is billed twice. One run per provider is in progress at a
// time; a run that stopped advancing (a unit in the DLQ) is taken over by
// the next start after staleRun.

// RunPage bounds the assets one unit rates: one Query of the asset and its
// requests and one of its old lines each, well within the function's
// timeout.
const RunPage = 100

// UsagePage bounds the records one unit rates: one Query of up to 1,001
// records of one shard (about 350 KB), a BatchGetItem per 100 of the
// assets they name and a BatchWriteItem per 25 lines.
const UsagePage = 1000

// staleRun is how long a run may go without advancing before a new start
// takes it over.
const staleRun = 6 * time.Hour

// Phases of a run.
const (
	phaseStart   = "start"
	phaseRate    = "rate"
	phaseInvoice = "invoice"
	phaseDone    = "done"
	// phaseUsage is a step of the runs before lanes: a run item left in it
	// by the version before is rated again from its period's fan-out.
	phaseUsage = "usage"
)

// jobRetentionDays keeps a unit's outbox item a day: it is consumed in
// minutes and never read again.
const jobRetentionDays = 1

// Unit is one step of a provider's billing run, or of one of its lanes: a
// job.billing event's data.
type Unit struct {
	Provider string `json:"provider"`
	Run      string `json:"run"`
	Step     int    `json:"step"`
	// Fan is set on a lane's unit: the run's step that started the lanes
	// (never 0); Lane is which, and Step the lane's step.
	Fan  int `json:"fan,omitempty"`
	Lane int `json:"lane,omitempty"`
}

// runState is the run item.
type runState struct {
	dynamo.Row
	Run    string `dynamodbav:"run"`
	Step   int    `dynamodbav:"step"`
	Phase  string `dynamodbav:"phase"`
	Period string `dynamodbav:"period,omitempty"`
	Fan    int    `dynamodbav:"fan,omitempty"`    // the step that started the period's lanes
	Active []int  `dynamodbav:"active,omitempty"` // the lanes it started
	// AssetLanes is how many lanes share the asset index's shards.
	AssetLanes int `dynamodbav:"asset_lanes,omitempty"`
	Joined     int `dynamodbav:"joined"` // how many of them finished
	// Sums are the finished lanes' totals, by currency (JSON): each lane
	// adds its own in the commit that counts it in Joined. Summed is how
	// many lanes added theirs: Joined, unless a lane was counted by the
	// version before, which left its totals in its lane item only.
	Sums    string `dynamodbav:"sums,omitempty"`
	Summed  int    `dynamodbav:"summed,omitempty"`
	Now     int64  `dynamodbav:"now"`             // the run's clock (Unix ms): which periods close
	Updated int64  `dynamodbav:"updated"`         // Unix ms of the last step: a stale run is taken over
	Limit   int    `dynamodbav:"limit,omitempty"` // the page: RunPage and UsagePage unless the starter bounds them tighter
}

func runKey(provider string) dynamo.Key { return dynamo.Key{PK: "BILLING#" + provider, SK: "RUN"} }

func (st runState) provider() string { return strings.TrimPrefix(st.PK, "BILLING#") }

func (st runState) now() time.Time { return time.UnixMilli(st.Now).UTC() }

func (st runState) totals() (totals, error) {
	t, err := parseTotals(st.Sums)
	if err != nil {
		return nil, fmt.Errorf("billing: run item of %s: %w", st.provider(), err)
	}
	return t, nil
}

// page is how many assets a unit rates.
func (st runState) page() int { return st.bound(RunPage) }

// usagePage is how many records a unit rates.
func (st runState) usagePage() int { return st.bound(UsagePage) }

func (st runState) bound(n int) int {
	if st.Limit <= 0 || st.Limit > n {
		return n
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

func parseTotals(doc string) (totals, error) {
	out := totals{}
	if doc == "" {
		return out, nil
	}
	if err := json.Unmarshal([]byte(doc), &out); err != nil {
		return nil, err
	}
	return out, nil
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

// merge adds a lane's totals.
func (t totals) merge(o totals) {
	for currency, s := range o {
		m := t.of(currency)
		m.OneTimeTotal, m.OneTimeLines = m.OneTimeTotal.Add(s.OneTimeTotal), m.OneTimeLines+s.OneTimeLines
		m.UsageTotal, m.UsageLines = m.UsageTotal.Add(s.UsageTotal), m.UsageLines+s.UsageLines
	}
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

// emitNext adds to tx the units of the run step next: its own unit, or,
// when it fans a period out, the first unit of every lane.
func (b *Biller) emitNext(tx *dynamo.Tx, next runState, now time.Time) error {
	switch next.Phase {
	case phaseDone:
		return nil
	case phaseRate:
		for _, lane := range next.Active {
			if err := b.emitUnit(tx, Unit{Provider: next.provider(), Run: next.Run, Fan: next.Fan, Lane: lane}, now); err != nil {
				return err
			}
		}
		return nil
	}
	return b.emitUnit(tx, Unit{Provider: next.provider(), Run: next.Run, Step: next.Step}, now)
}

// OnUnit handles a job.billing event: one step of a run or of a lane. A
// failure fails this message alone; SQS redelivers it.
func (b *Biller) OnUnit(ctx context.Context, e event.Event) error {
	var u Unit
	if err := json.Unmarshal(e.Data, &u); err != nil || u.Provider == "" {
		return fmt.Errorf("billing: event %s data is not a billing unit: %v", e.ID, err)
	}
	return b.RunUnit(ctx, u)
}

// RunUnit runs one step of a run or of one of its lanes, unless the run
// has moved past it (a redelivery) or another run took over; then it does
// nothing.
func (b *Biller) RunUnit(ctx context.Context, u Unit) error {
	st, err := b.store.run(ctx, u.Provider)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if u.Fan > 0 {
		if err == nil && st.Run == u.Run && st.Phase == phaseRate && st.Fan == u.Fan && u.Lane >= 0 && u.Lane < lanes {
			return b.laneUnit(ctx, st, u.Lane, u.Step, true)
		}
	} else if err == nil && st.Run == u.Run && st.Step == u.Step && st.Phase != phaseDone {
		return b.step(ctx, st, true)
	}
	b.cfg.Logger.DebugContext(ctx, "billing: unit already done or superseded; acknowledged",
		slog.String("provider", u.Provider), slog.String("run", u.Run), slog.Int("step", u.Step), slog.Int("fan", u.Fan), slog.Int("lane", u.Lane))
	return nil
}

// Run runs a whole run of the provider in this invocation, step after
// step and lane after lane, exactly as the units do: for tests and an
// operator's catch-up on a small stack. It takes over a run in progress;
// the schedule never calls it.
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
		switch st.Phase {
		case phaseDone:
			return nil
		case phaseRate:
			err = b.runLanes(ctx, st)
		default:
			err = b.step(ctx, st, false)
		}
		if err != nil {
			return err
		}
	}
}

// step does one step of st and commits the next, with its units if emit.
func (b *Biller) step(ctx context.Context, st runState, emit bool) error {
	var next runState
	var err error
	switch st.Phase {
	case phaseStart:
		next, err = b.stepStart(ctx, st)
	case phaseRate, phaseUsage:
		// Only a run of the version before lanes has a unit of its own in
		// these phases: its period is fanned out again from the start.
		next = st
		next.Phase = phaseRate
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
// units of the next step with it. A lost condition means a redelivery or a
// takeover got there first: nothing to do.
func (b *Biller) advance(ctx context.Context, st, next runState, emit bool) error {
	now := b.cfg.Now().UTC()
	next.Step, next.Updated, next.Joined, next.Sums, next.Summed = st.Step+1, now.UnixMilli(), 0, "", 0
	if next.Phase == phaseRate {
		next.Fan = next.Step
		if err := b.fanOut(ctx, &next); err != nil {
			return fmt.Errorf("billing: %s run %s period %s: %w", st.provider(), st.Run, next.Period, err)
		}
	}
	cond := expression.Name("run").Equal(expression.Value(st.Run)).And(expression.Name("step").Equal(expression.Value(st.Step)))
	tx := b.cfg.Table.Tx().Put("billing run", next, &cond)
	if emit {
		if err := b.emitNext(tx, next, now); err != nil {
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
	st.Phase, st.Period = phaseRate, first.Key()
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

// stepInvoice writes the period's invoices from the totals the lanes added
// to the run item (it reads no lane item: its reads do not grow with the
// lanes), closes the period if it ended, and goes on to the next period or
// ends the run.
func (b *Biller) stepInvoice(ctx context.Context, st runState) (runState, error) {
	p, err := ParsePeriod(st.Period)
	if err != nil {
		return st, err
	}
	if st.Summed != st.Joined {
		// A lane joined under the version before kept its totals to
		// itself: the period is fanned out again, and its lanes rate
		// it again (the same lines) into the run item.
		st.Phase = phaseRate
		return st, nil
	}
	sum, err := st.totals()
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
	if PeriodOf(now).Before(p.Next()) {
		return b.finish(ctx, st)
	}
	st.Phase, st.Period = phaseRate, p.Next().Key()
	return st, nil
}

// finish ends the run, or starts it over when a usage file was accepted
// after the run began (its acceptance found this run in progress).
func (b *Biller) finish(ctx context.Context, st runState) (runState, error) {
	again, err := b.store.requestedAt(ctx, st.provider())
	if err != nil {
		return st, err
	}
	st.Phase, st.Period, st.Fan = phaseDone, "", 0
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
