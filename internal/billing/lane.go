package billing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/fulfillment/timeline"
	"github.com/mercato-dev/mercato/internal/layout"
	"github.com/mercato-dev/mercato/internal/usage"
)

// A period's rating runs in lanes, in parallel. The provider's asset index
// shards are split into AssetLanes contiguous ranges, one lane each (an
// asset's lines belong to the one shard its index entry is in), and the
// usage lanes, numbered from usageLane, rate the period's usage files:
// usage lane u the record shards u, u+stride, ... of every file (the stride
// is how many usage lanes the run started), so that a large file's shards
// are rated side by side. Each lane is a
// chain of units with its own cursor and totals in its own item,
//
//	BILLING#<provider> / RUN#<lane>
//
// which belongs to one fan-out of one run (run, fan): an item of another
// run or period is a lane not started yet. A lane's step commits its item,
// conditional on the step it read, with its next unit; its last step
// commits instead, in the same transaction, the run item's count of
// finished lanes and the run's totals with its own added, conditional on
// the count it read, and the lane that finishes last moves the run to its
// invoice step and emits that unit. The lane item's condition makes the
// commit once per lane (a redelivery finds the lane done, or loses the
// transaction), and the count's makes each lane add to the totals it read
// last (a lane that loses to another reads the run item again), so every
// lane's totals are in the run's exactly once.

// usageLane is the first usage lane; asset lanes are numbered from 0.
const usageLane = layout.Shards

// usageLanes bounds the usage lanes: a file's records fill up to
// layout.UsageRecordShards shards, so a 2,000,000-row file (about 31,000
// records a shard, 2,000 units) is 16 chains of about 125 units, not one
// of 2,000.
const usageLanes = layout.UsageRecordShards / 4

// filesPage is how many of the period's files one Query reads: the files
// the fan-out sizes the usage lanes from, and the most a usage unit passes
// over to find the next file with records in its lane's shards.
const filesPage = 100

// lanePages sizes the asset lanes: one lane per lanePages pages of the
// provider's assets (their list's count), at least one, at most one per
// shard. A small provider runs one lane of a few units; a large one
// layout.Shards lanes at once. A lane reads its shards one after another,
// so a unit reads at most a page of entries and one Query per shard it
// finishes.
const lanePages = 2

// lanes bounds a lane's number: one transaction emits a fan-out's units
// with the run item (DynamoDB takes up to 100 items).
const lanes = usageLane + usageLanes

// joinAttempts bounds how often a lane's last step tries its commit when
// other lanes count themselves in the run item meanwhile (the backoff
// grows to a second, about 10 s in all); past it the unit fails and SQS
// redelivers it (it rates its page again, idempotently).
const joinAttempts = 16

// laneState is a lane item.
type laneState struct {
	dynamo.Row
	Run   string `dynamodbav:"run"`
	Fan   int    `dynamodbav:"fan"`
	Lane  int    `dynamodbav:"lane"`
	Step  int    `dynamodbav:"step"`
	Done  bool   `dynamodbav:"done"`
	File  string `dynamodbav:"file,omitempty"`  // usage lane: the file being rated ("" before the first)
	Shard int    `dynamodbav:"shard,omitempty"` // the asset index shard, or the file's record shard, being read (-1: past File)
	After string `dynamodbav:"after,omitempty"` // the last sort key rated in the shard
	Sums  string `dynamodbav:"sums,omitempty"`  // the lane's totals so far, by currency (JSON)
}

func laneKey(provider string, lane int) dynamo.Key {
	return dynamo.Key{PK: "BILLING#" + provider, SK: fmt.Sprintf("%s%03d", laneSKPrefix, lane)}
}

const laneSKPrefix = "RUN#"

func (ln laneState) totals() (totals, error) {
	t, err := parseTotals(ln.Sums)
	if err != nil {
		return nil, fmt.Errorf("billing: lane item %s %s: %w", ln.PK, ln.SK, err)
	}
	return t, nil
}

// laneUnit runs step step of lane, unless the lane has moved past it.
func (b *Biller) laneUnit(ctx context.Context, st runState, lane, step int, emit bool) error {
	ln, err := b.store.lane(ctx, st, lane)
	if err != nil {
		return err
	}
	if ln.Step != step || ln.Done {
		b.cfg.Logger.DebugContext(ctx, "billing: lane unit already done; acknowledged",
			slog.String("provider", st.provider()), slog.String("run", st.Run), slog.Int("lane", lane), slog.Int("step", step))
		return nil
	}
	next, err := b.laneStep(ctx, st, ln)
	if err != nil {
		return fmt.Errorf("billing: %s run %s period %s lane %d step %d: %w", st.provider(), st.Run, st.Period, lane, step, err)
	}
	return b.laneAdvance(ctx, st, ln, next, emit)
}

// fanOut sets the lanes of st's period: AssetLanes from the provider's
// asset count (one BatchGetItem; a count that lags only changes how many
// lanes share the shards), and the usage lanes from the record shards the
// period's first files use (one Query of up to filesPage files: a larger
// file further on is rated by as many lanes, only in more units each).
func (b *Biller) fanOut(ctx context.Context, st *runState) error {
	n, err := layout.Count(ctx, b.cfg.Table, layout.ProviderAssets(st.provider()))
	if err != nil {
		return err
	}
	st.AssetLanes = min(max((n+lanePages*st.page()-1)/(lanePages*st.page()), 1), layout.Shards)
	st.Active = make([]int, 0, st.AssetLanes+1)
	for lane := range st.AssetLanes {
		st.Active = append(st.Active, lane)
	}
	files, _, err := b.cfg.Usage.BillingFiles(ctx, st.provider(), st.Period, "", st.filesPage())
	if err != nil || len(files) == 0 {
		return err
	}
	shards := 1
	for _, f := range files {
		shards = max(shards, min(f.UsedRecordShards(), usageLanes))
	}
	for u := range shards {
		st.Active = append(st.Active, usageLane+u)
	}
	return nil
}

// filesPage is how many files a Query of the period's files reads.
func (st runState) filesPage() int { return st.bound(filesPage) }

// usageStride is how many usage lanes share the record shards: the run's
// active lanes from usageLane on.
func (st runState) usageStride() int {
	n := 0
	for _, lane := range st.Active {
		if lane >= usageLane {
			n++
		}
	}
	return max(n, 1)
}

// laneShards are the shards [lo, hi) of the asset index that asset lane
// rates.
func (st runState) laneShards(lane int) (lo, hi int) {
	n := max(st.AssetLanes, 1)
	return lane * layout.Shards / n, (lane + 1) * layout.Shards / n
}

// runLanes runs every lane of st's fan-out to its end, one after another:
// Run's way of doing what the units do in parallel.
func (b *Biller) runLanes(ctx context.Context, st runState) error {
	for _, lane := range st.Active {
		for {
			cur, err := b.store.run(ctx, st.provider())
			if err != nil {
				return err
			}
			if cur.Run != st.Run || cur.Step != st.Step || cur.Phase != phaseRate {
				return nil // the last lane joined: the run moved on
			}
			ln, err := b.store.lane(ctx, cur, lane)
			if err != nil {
				return err
			}
			if ln.Done {
				break
			}
			if err := b.laneUnit(ctx, cur, lane, ln.Step, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// laneStep rates the lane's next page.
func (b *Biller) laneStep(ctx context.Context, st runState, ln laneState) (laneState, error) {
	p, err := ParsePeriod(st.Period)
	if err != nil {
		return ln, err
	}
	sum, err := ln.totals()
	if err != nil {
		return ln, err
	}
	w := usage.NewBatchWriter(ctx, b.cfg.Table, b.cfg.Workers)
	if ln.Lane >= usageLane {
		ln, err = b.rateUsage(ctx, w, st, p, ln, sum)
	} else {
		ln, err = b.rateAssets(ctx, w, st, p, ln, sum)
	}
	if _, cerr := w.Close(); err == nil {
		err = cerr
	}
	ln.Sums = dynamo.DocJSON(sum)
	return ln, err
}

// laneAdvance commits the lane's step: its item and next unit, or, on its
// last step, its item and its count in the run item (and, from the lane
// that finishes last, the run's invoice step and unit). A lost condition
// on the lane item is a redelivery that got there first: nothing to do.
func (b *Biller) laneAdvance(ctx context.Context, st runState, ln, next laneState, emit bool) error {
	next.Step = ln.Step + 1
	cond := expression.Name("run").Equal(expression.Value(ln.Run)).And(expression.Name("fan").Equal(expression.Value(ln.Fan)),
		expression.Name("step").Equal(expression.Value(ln.Step)))
	if ln.Step == 0 {
		// The item is absent or belongs to another fan-out.
		cond = expression.AttributeNotExists(expression.Name(dynamo.PK)).Or(expression.Name("run").NotEqual(expression.Value(ln.Run)),
			expression.Name("fan").NotEqual(expression.Value(ln.Fan)))
	}
	for attempt := 0; ; attempt++ {
		now := b.cfg.Now().UTC()
		tx := b.cfg.Table.Tx().Put("billing lane", next, &cond)
		var err error
		if !next.Done {
			if emit {
				err = b.emitUnit(tx, Unit{Provider: st.provider(), Run: st.Run, Fan: st.Fan, Lane: ln.Lane, Step: next.Step}, now)
			}
		} else {
			err = b.join(tx, st, next, now, emit)
		}
		if err == nil {
			err = tx.Commit(ctx)
		}
		if _, lost := dynamo.AsConditionFailed(err); !lost || !next.Done {
			if lost {
				b.cfg.Logger.InfoContext(ctx, "billing: lane moved on meanwhile; step not committed",
					slog.String("provider", st.provider()), slog.String("run", st.Run), slog.Int("lane", ln.Lane))
				return nil
			}
			return err
		}
		// Another lane counted itself first, or this step is a redelivery
		// that lost: read again what failed, and try again after a while.
		if attempt+1 == joinAttempts {
			return fmt.Errorf("billing: lane %d of %s run %s could not join after %d attempts", ln.Lane, st.provider(), st.Run, joinAttempts)
		}
		time.Sleep(joinBackoff(attempt))
		if cf, _ := dynamo.AsConditionFailed(err); cf.Failed("billing lane") {
			cur, err := b.store.lane(ctx, st, ln.Lane)
			if err != nil || cur.Step != ln.Step || cur.Done {
				return err
			}
		}
		if st, err = b.store.run(ctx, st.provider()); err != nil {
			return err
		}
		if st.Run != ln.Run || st.Fan != ln.Fan || st.Phase != phaseRate {
			return nil
		}
	}
}

// joinBackoff is the wait before attempt+1 of a join: at random up to
// 10 ms doubled each attempt, at most a second, so that lanes finishing
// together spread out.
func joinBackoff(attempt int) time.Duration {
	ceiling := min(10*time.Millisecond<<attempt, time.Second)
	return time.Duration(rand.Int64N(int64(ceiling)) + 1)
}

// join adds to tx the run item with one more lane finished and the lane's
// totals added to the run's, conditional on the count st read; the last
// lane moves the run to its invoice step.
func (b *Biller) join(tx *dynamo.Tx, st runState, ln laneState, now time.Time, emit bool) error {
	sum, err := st.totals()
	if err != nil {
		return err
	}
	own, err := ln.totals()
	if err != nil {
		return err
	}
	sum.merge(own)
	next := st
	next.Joined, next.Summed, next.Sums, next.Updated = st.Joined+1, st.Summed+1, dynamo.DocJSON(sum), now.UnixMilli()
	if next.Joined == len(st.Active) {
		next.Phase, next.Step = phaseInvoice, st.Step+1
	}
	cond := expression.Name("run").Equal(expression.Value(st.Run)).And(expression.Name("step").Equal(expression.Value(st.Step)),
		expression.Name("joined").Equal(expression.Value(st.Joined)))
	tx.Put("billing run", next, &cond)
	if !emit || next.Phase != phaseInvoice {
		return nil
	}
	return b.emitNext(tx, next, now)
}

// rateAssets rates the next page of the lane's shards of the provider's
// asset index.
func (b *Biller) rateAssets(ctx context.Context, w *usage.BatchWriter, st runState, p Period, ln laneState, sum totals) (laneState, error) {
	entries, err := b.assetPage(ctx, st, &ln)
	if err != nil {
		return ln, err
	}
	rated, err := b.ratePage(ctx, st.provider(), entries, p)
	if err != nil {
		return ln, err
	}
	for _, r := range rated {
		if err := r.write(w, sum); err != nil {
			return ln, err
		}
	}
	return ln, nil
}

// assetPage reads the next page of the lane's shards, shard by shard, each
// from the cursor, so that a page reads at most its size in entries (and
// one Query per shard it finishes), whatever the provider's size; merging
// the shards in order, as the API's lists do, would read up to a page from
// every shard. It moves the cursor past the page, and marks the lane done
// past its last shard.
func (b *Biller) assetPage(ctx context.Context, st runState, ln *laneState) ([]dynamo.IndexEntry, error) {
	parts := layout.ProviderAssets(st.provider()).Partitions()
	_, hi := st.laneShards(ln.Lane)
	var entries []dynamo.IndexEntry
	for ln.Shard < hi && len(entries) < st.page() {
		got, more, err := dynamo.PagePartitions(ctx, b.cfg.Table, parts[ln.Shard:ln.Shard+1], dynamo.Range{After: ln.After}, st.page()-len(entries))
		if err != nil {
			return nil, err
		}
		entries = append(entries, got...)
		if more {
			ln.After = got[len(got)-1].SortKey
			return entries, nil
		}
		ln.Shard, ln.After = ln.Shard+1, ""
	}
	ln.Done = ln.Shard >= hi
	return entries, nil
}

// rateUsage rates the next page of one record shard of the period's usage
// files, in file id order: the cursor is (file, shard, last key), so a file
// of any size is many units of at most a page each. Usage lane u reads the
// shards u, u+stride, ... of each file; a file with fewer shards in use is
// not its.
func (b *Biller) rateUsage(ctx context.Context, w *usage.BatchWriter, st runState, p Period, ln laneState, sum totals) (laneState, error) {
	ln, f, ok, err := b.laneFile(ctx, st, ln)
	if err != nil || !ok {
		return ln, err
	}
	recs, next, err := b.cfg.Usage.ShardRecords(ctx, f, ln.Shard, ln.After, st.usagePage())
	if err != nil {
		return ln, err
	}
	sum.of(f.Currency)
	if err := b.rateRecords(ctx, w, InvoiceID(st.provider(), p, f.Currency), f, recs, sum); err != nil {
		return ln, err
	}
	ln.After = next
	if next == "" {
		ln.Shard, ln.After = ln.Shard+st.usageStride(), ""
	}
	if ln.Shard < f.UsedRecordShards() {
		return ln, nil
	}
	ln, _, _, err = b.nextLaneFile(ctx, st, ln, f.ID)
	return ln, err
}

// laneFile is the file at the usage lane's cursor, or the next one with
// records in the lane's shards; ok is false when the unit has no file to
// rate: the lane is done, or it passed over a page of files none of which
// has records in its shards (its cursor is past them, Shard -1).
func (b *Biller) laneFile(ctx context.Context, st runState, ln laneState) (laneState, usage.Stored, bool, error) {
	if ln.File == "" || ln.Shard < 0 {
		return b.nextLaneFile(ctx, st, ln, ln.File)
	}
	f, err := b.cfg.Usage.Get(ctx, ln.File)
	if errors.Is(err, usage.ErrNotFound) {
		return b.nextLaneFile(ctx, st, ln, ln.File)
	}
	return ln, f, err == nil, err
}

// nextLaneFile moves the usage lane's cursor to the first file after the
// file id after that has records in the lane's first shard: one Query of
// up to filesPage files.
func (b *Biller) nextLaneFile(ctx context.Context, st runState, ln laneState, after string) (laneState, usage.Stored, bool, error) {
	u := ln.Lane - usageLane
	files, next, err := b.cfg.Usage.BillingFiles(ctx, st.provider(), st.Period, after, st.filesPage())
	if err != nil {
		return ln, usage.Stored{}, false, err
	}
	for _, f := range files {
		if u < f.UsedRecordShards() {
			ln.File, ln.Shard, ln.After = f.ID, u, ""
			return ln, f, true, nil
		}
	}
	ln.Done = next == ""
	if len(files) > 0 {
		ln.File, ln.Shard, ln.After = files[len(files)-1].ID, -1, ""
	}
	return ln, usage.Stored{}, false, nil
}

// rateRecords rates a page of a file's records, with the assets they name
// read by id (100 a BatchGetItem). Records another file was accepted with
// first are not billed.
func (b *Biller) rateRecords(ctx context.Context, w *usage.BatchWriter, invoiceID string, f usage.Stored, recs []usage.Record, sum totals) error {
	named := map[string]bool{}
	for _, r := range recs {
		if r.Asset.ID != "" {
			named[r.Asset.ID] = true
		}
	}
	assets, err := b.cfg.Assets.Assets(ctx, slices.Collect(maps.Keys(named)))
	if err != nil {
		return err
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
