package fulfillment

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/mercato-dev/mercato/internal/dynamo"
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
	PK      string `dynamodbav:"pk"`
	SK      string `dynamodbav:"sk"`
	Entity  string `dynamodbav:"entity"`
	AssetID string `dynamodbav:"asset_id"`
}

// renewalEntry is the index key of an asset, if it belongs in the index.
func renewalEntry(a Asset) (dynamo.Key, bool) {
	live := a.Status == AssetActive || a.Status == AssetSuspended
	if !live || a.Subscription.TermDuration == "" || a.Subscription.CommitmentEnd.IsZero() {
		return dynamo.Key{}, false
	}
	return dynamo.Key{PK: layout.RenewalDay(a.Subscription.CommitmentEnd).Key(a.ID), SK: "ASSET#" + a.ID}, true
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
		tx.Put("renewal index", renewalRow{PK: newKey.PK, SK: newKey.SK, Entity: "renewal", AssetID: after.ID}, nil)
	}
}

// RenewalReport says what a run did, by asset id.
type RenewalReport struct {
	Requested []string `json:"requested"`
	Expired   []string `json:"expired"`
	Skipped   []string `json:"skipped"`
}

// Renew is the daily run. It reads the index for the days from
// RenewalGraceDays ago to RenewalNoticeDays ahead (one Query per day, then
// one BatchGetItem per 100 assets) and, for each subscription with no
// request open: asks the vendor to renew it with a renew request when
// autoRenew is set, or expires it once its commitment has ended when it is
// not. Every write is conditional on the asset's revision, so a second run,
// or a change racing with this one, never acts twice.
func (s *Service) Renew(ctx context.Context, log *slog.Logger) (RenewalReport, error) {
	now := s.now().UTC()
	ids, err := s.due(ctx, now)
	if err != nil {
		return RenewalReport{}, err
	}
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

// due lists the assets indexed on the days the run covers.
func (s *Service) due(ctx context.Context, now time.Time) ([]string, error) {
	var ids []string
	for d := -RenewalGraceDays; d <= RenewalNoticeDays; d++ {
		for _, part := range layout.RenewalDay(now.AddDate(0, 0, d)).Partitions() {
			rows, err := dynamo.QueryAll[renewalRow](ctx, s.store.table, part)
			if err != nil {
				return nil, err
			}
			for _, r := range rows {
				ids = append(ids, r.AssetID)
			}
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
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
