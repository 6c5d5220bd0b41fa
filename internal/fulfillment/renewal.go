package fulfillment

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/layout"
)

// Renewal timing. A subscription that renews automatically gets its renew
// request RenewalNoticeDays before its commitment ends, so the vendor has
// a week to approve it; one that does not renew is expired once its end
// has passed. Each run also looks RenewalGraceDays back, so that a missed
// daily run (an outage) is caught up by the next.
const (
	RenewalNoticeDays = 7
	RenewalGraceDays  = 7
)

// The renewal index lets the daily run find the subscriptions that end on
// a day without scanning the table:
//
//	RENEWAL#<yyyy-mm-dd>#<n> / ASSET#<id>     one item per live subscription with a term
//
// (sharded: layout.RenewalDay).
//
// SaveAsset keeps it in step in the same transaction as the asset: the
// item appears when a purchase is approved, moves when a renewal extends
// the commitment, and goes when the asset ends.
type renewalRow struct {
	dynamo.Row
	AssetID string `dynamodbav:"asset_id"`
}

// renewalEntry is the index key of an asset, if it belongs in the index.
func renewalEntry(a Asset) (dynamo.Key, bool) {
	live := a.Status == AssetActive || a.Status == AssetSuspended
	if !live || a.Subscription.TermDuration == "" || a.Subscription.CommitmentEnd.IsZero() {
		return dynamo.Key{}, false
	}
	return layout.RenewalEntry(a.Subscription.CommitmentEnd, a.ID), true
}

// reindexRenewal adds to tx what moves an asset's index item from its
// state before to after.
func reindexRenewal(tx *dynamo.Tx, before, after Asset) {
	oldKey, had := renewalEntry(before)
	newKey, has := renewalEntry(after)
	if had && (!has || oldKey != newKey) {
		tx.Delete("renewal index", oldKey, nil)
	}
	if has && (!had || oldKey != newKey) {
		tx.Put("renewal index", renewalRow{Row: dynamo.Row{Key: newKey, Entity: "renewal"}, AssetID: after.ID}, nil)
	}
}

// RenewalReport says what a run did, by asset id.
type RenewalReport struct {
	Requested []string `json:"requested"`
	Expired   []string `json:"expired"`
	Skipped   []string `json:"skipped"`
}

// The daily run fans out. Scheduled (PlanRenewals) commits one
// job.renewal event per day of the window and shard of the renewal index:
// (RenewalGraceDays + 1 + RenewalNoticeDays) × layout.Shards units, each
// routed by the relay to the fulfillment queue. A unit (RenewUnit) reads
// at most RenewalPage index items, acts on them, and commits its
// continuation as another job.renewal event when the shard has more. So
// every invocation does a bounded amount of work whatever the tenant's
// size; a unit that fails is retried alone by SQS (its message), and the
// others go on. Every write is conditional on the asset's revision, so a
// unit run twice (a redelivered message) never acts twice.

// RenewalPage bounds the assets one unit decides: at about three writes
// each, well within the function's timeout. It is the default of the
// service's page (WithRenewalPage, config MERCATO_RENEWAL_PAGE).
const RenewalPage = 100

// RenewalUnit is one page of one shard of one day of the renewal index.
type RenewalUnit struct {
	Day   string `json:"day"` // yyyy-mm-dd
	Shard int    `json:"shard"`
	After string `json:"after,omitempty"` // the last index key done
	// Limit is the page: the service's unless a caller bounds it tighter.
	Limit int `json:"limit,omitempty"`
}

// RenewalUnits are the first units of a run at now.
func RenewalUnits(now time.Time) []RenewalUnit {
	var out []RenewalUnit
	for d := -RenewalGraceDays; d <= RenewalNoticeDays; d++ {
		day := now.UTC().AddDate(0, 0, d).Format(time.DateOnly)
		for n := range layout.Shards {
			out = append(out, RenewalUnit{Day: day, Shard: n})
		}
	}
	return out
}

// PlanRenewals commits the first units of today's run as job.renewal
// events, up to dynamo.MaxTxItems per transaction. It first asks each
// partition of the window for one item (a bounded probe: days × shards
// small Queries, whatever the tenant's size), so an empty shard costs no
// unit.
func (s *Service) PlanRenewals(ctx context.Context) (int, error) {
	var units []RenewalUnit
	for _, u := range RenewalUnits(s.now()) {
		day, _ := time.Parse(time.DateOnly, u.Day)
		_, more, err := dynamo.PagePartitions(ctx, s.store.table, []dynamo.Partition{layout.RenewalDay(day).Partitions()[u.Shard]}, dynamo.Range{}, 0)
		if err != nil {
			return 0, fmt.Errorf("renewal: plan: %w", err)
		}
		if more {
			units = append(units, u)
		}
	}
	for chunk := range slices.Chunk(units, dynamo.MaxTxItems) {
		tx := s.store.table.Tx()
		for _, u := range chunk {
			if err := s.emitUnit(tx, u); err != nil {
				return 0, err
			}
		}
		if err := tx.Commit(ctx); err != nil {
			return 0, fmt.Errorf("renewal: plan: %w", err)
		}
	}
	return len(units), nil
}

// jobRetentionDays keeps a job event's outbox item a day: a job is
// consumed in minutes, and its item is never read again.
const jobRetentionDays = 1

func (s *Service) emitUnit(tx *dynamo.Tx, u RenewalUnit) error {
	ev, err := event.New(event.JobRenewal, event.PlatformAccount, u, s.now())
	if err != nil {
		return err
	}
	tx.Emit(ev, jobRetentionDays)
	return nil
}

// RenewUnit decides the subscriptions of one unit, and commits the
// unit's continuation when its shard has more.
func (s *Service) RenewUnit(ctx context.Context, log *slog.Logger, u RenewalUnit) (RenewalReport, error) {
	rep, next, err := s.renewPage(ctx, log, u)
	if err != nil || next == nil {
		return rep, err
	}
	tx := s.store.table.Tx()
	if err := s.emitUnit(tx, *next); err != nil {
		return rep, err
	}
	return rep, tx.Commit(ctx)
}

// Renew runs a whole day's renewals in this invocation, unit after unit,
// exactly as the fanned-out units do: for an operator's catch-up on a
// small stack, and for tests. The schedule never calls it.
func (s *Service) Renew(ctx context.Context, log *slog.Logger) (RenewalReport, error) {
	var all RenewalReport
	for _, u := range RenewalUnits(s.now()) {
		for {
			rep, next, err := s.renewPage(ctx, log, u)
			all.Requested = append(all.Requested, rep.Requested...)
			all.Expired = append(all.Expired, rep.Expired...)
			all.Skipped = append(all.Skipped, rep.Skipped...)
			if err != nil {
				return all, err
			}
			if next == nil {
				break
			}
			u = *next
		}
	}
	return all, nil
}

// renewPage decides one unit's page of the index and returns the unit
// that continues it, if the shard has more.
func (s *Service) renewPage(ctx context.Context, log *slog.Logger, u RenewalUnit) (RenewalReport, *RenewalUnit, error) {
	day, err := time.Parse(time.DateOnly, u.Day)
	if err != nil || u.Shard < 0 || u.Shard >= layout.Shards {
		return RenewalReport{}, nil, fmt.Errorf("renewal: unit %+v is not one PlanRenewals makes", u)
	}
	limit := u.Limit
	if page := cmp.Or(s.renewalPage, RenewalPage); limit <= 0 || limit > page {
		limit = page
	}
	shard := layout.RenewalDay(day).Partitions()[u.Shard]
	entries, more, err := dynamo.PagePartitions(ctx, s.store.table, []dynamo.Partition{shard}, dynamo.Range{After: u.After}, limit)
	if err != nil {
		return RenewalReport{}, nil, err
	}
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = layout.RenewalAsset(e.SK)
	}
	rep, err := s.renewAll(ctx, log, ids)
	if err != nil || !more {
		return rep, nil, err
	}
	return rep, &RenewalUnit{Day: u.Day, Shard: u.Shard, After: entries[len(entries)-1].SortKey, Limit: u.Limit}, nil
}

// renewAll decides the assets ids, read consistently in one BatchGetItem.
func (s *Service) renewAll(ctx context.Context, log *slog.Logger, ids []string) (RenewalReport, error) {
	now := s.now().UTC()
	assets, err := s.store.StoredAssets(ctx, ids)
	if err != nil {
		return RenewalReport{}, err
	}
	var rep RenewalReport
	for _, id := range ids {
		a, ok := assets[id]
		if !ok {
			continue
		}
		acted, err := s.renewOne(ctx, a, now)
		switch {
		case fault.Is(err, fault.Conflict):
			log.InfoContext(ctx, "renewal: asset changed meanwhile; the next run looks again", slog.String("asset_id", id))
			rep.Skipped = append(rep.Skipped, id)
		case err != nil:
			return rep, fmt.Errorf("renewal of %s: %w", id, err)
		case acted == TypeRenew:
			rep.Requested = append(rep.Requested, id)
		case acted == AssetTerminated:
			rep.Expired = append(rep.Expired, id)
		}
	}
	return rep, nil
}

// renewOne decides one subscription: "renew" when it asked for a renewal,
// "terminated" when it expired it, "" when it is not due or is busy.
func (s *Service) renewOne(ctx context.Context, a StoredAsset, now time.Time) (string, error) {
	if _, indexed := renewalEntry(a.Asset); !indexed || a.PendingRequest != nil {
		return "", nil
	}
	end := a.Subscription.CommitmentEnd
	switch {
	case a.Subscription.AutoRenew && !end.After(now.AddDate(0, 0, RenewalNoticeDays)):
		return TypeRenew, s.requestRenewal(ctx, a, now)
	case !a.Subscription.AutoRenew && !end.After(now):
		return AssetTerminated, s.expire(ctx, a, now)
	}
	return "", nil
}

// requestRenewal opens a renew request for the vendor.
func (s *Service) requestRenewal(ctx context.Context, a StoredAsset, now time.Time) error {
	r := Request{ID: RequestID(a.ID, a.NextReq), Type: TypeRenew, Status: StatusPending, Marketplace: a.Marketplace,
		Asset: a.Asset, Created: now, Updated: now,
		Note: fmt.Sprintf("renewal of the %s commitment ending %s", a.Subscription.TermDuration, a.Subscription.CommitmentEnd.Format(time.DateOnly))}
	tx := s.store.table.Tx()
	if err := s.store.AddRequest(tx, a, r, now); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// expire ends a subscription whose term is over and which does not renew.
func (s *Service) expire(ctx context.Context, a StoredAsset, now time.Time) error {
	before := a.Asset
	a.Status = AssetTerminated
	a.Updated = now
	tx := s.store.table.Tx()
	if err := s.store.SaveAsset(tx, before, a, now); err != nil {
		return err
	}
	return tx.Commit(ctx)
}
