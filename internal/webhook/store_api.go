package webhook

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/layout"
	"github.com/mercato-dev/mercato/internal/sleep"
)

// The writes of the registration API. Each commits its change and its event
// in one transaction.

// errLimit reports that the account has MaxPerAccount webhooks already.
var errLimit = errors.New("webhook: account has the most webhooks it may have")

// countTries bounds the transactions a create or delete makes while other
// requests of the same account keep moving its counter.
const countTries = 10

// createWebhook stores the webhook and adds one to the account's counter in
// the same transaction, on condition that the counter is below
// MaxPerAccount: a count read before the write would let parallel creations
// all pass it.
func (s *DynamoStore) createWebhook(ctx context.Context, ep endpoint, ev event.Event) error {
	n := expression.Name("n")
	below := n.LessThan(expression.Value(MaxPerAccount))
	for try := 1; ; try++ {
		err := s.table.Tx().
			Update("count", layout.WebhookCountKey(ep.Account), expression.Add(n, expression.Value(1)), &below).
			Create("webhook", newWebhookItem(ep)).
			Emit(ev, s.retentionDays).
			Commit(ctx)
		if err == nil {
			return nil
		}
		if cf, ok := dynamo.AsConditionFailed(err); !ok || !cf.Failed("count") || try == countTries {
			return fmt.Errorf("webhook: create %s: %w", ep.ID, err)
		}
		if err := s.beforeRetry(ctx, ep.Account, try, true); err != nil {
			return err
		}
	}
}

// beforeRetry readies another try of a change the account's counter
// refused: it counts the webhooks made before the counter existed, or
// waits a little; with limited, a counter at MaxPerAccount is errLimit.
func (s *DynamoStore) beforeRetry(ctx context.Context, account string, try int, limited bool) error {
	count, found, err := s.webhookCount(ctx, account)
	switch {
	case err != nil:
		return err
	case !found:
		return s.initCount(ctx, account)
	case limited && count >= MaxPerAccount:
		return errLimit
	}
	return pause(ctx, try)
}

// countItem counts an account's webhooks. It sits in their partition under
// a sort key outside WEBHOOK#, so the fan-out Query never reads it.
type countItem struct {
	dynamo.Row
	N int `dynamodbav:"n"`
}

func (s *DynamoStore) webhookCount(ctx context.Context, account string) (int, bool, error) {
	var it countItem
	err := s.table.Get(ctx, layout.WebhookCountKey(account), &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("webhook: read the webhook count of %s: %w", account, err)
	}
	return it.N, true, nil
}

// initCount creates the counter of an account that registered webhooks
// before counters existed, from the webhooks it has. Nothing can change
// them meanwhile: creates and deletes need the counter to exist. Two
// requests may count at once; the first to write wins and the other finds
// its counter on the next try.
func (s *DynamoStore) initCount(ctx context.Context, account string) error {
	eps, err := s.webhooks(ctx, account)
	if err != nil {
		return err
	}
	err = s.table.Tx().Create("count", countItem{Row: dynamo.Row{Key: layout.WebhookCountKey(account), Entity: "webhook_count"}, N: len(eps)}).Commit(ctx)
	if _, ok := dynamo.AsConditionFailed(err); ok || err == nil {
		return nil
	}
	return fmt.Errorf("webhook: count the webhooks of %s: %w", account, err)
}

// pause waits before the next try after another transaction held the
// counter: up to 10 ms times the try, at random, so that the requests that
// collided do not collide again.
func pause(ctx context.Context, try int) error {
	return sleep.For(ctx, time.Duration(rand.Int64N(int64(try)*int64(10*time.Millisecond))))
}

// unchanged is the optimistic lock of an update: the item still has the
// version that was read. The dispatcher's counters do not touch "updated",
// so they never make an edit conflict.
func unchanged(prev time.Time) expression.ConditionBuilder {
	return expression.Name("updated").Equal(expression.Value(prev))
}

// updateSettings writes the settings of w (not its counters or secrets).
// reenabled clears the failure streak that disabled it.
func (s *DynamoStore) updateSettings(ctx context.Context, w Webhook, prev time.Time, reenabled bool, ev event.Event) error {
	upd := expression.Set(expression.Name("label"), expression.Value(w.Label)).
		Set(expression.Name("description"), expression.Value(w.Description)).
		Set(expression.Name("url"), expression.Value(w.URL)).
		Set(expression.Name("events"), expression.Value(w.Events)).
		Set(expression.Name("products"), expression.Value(w.Products)).
		Set(expression.Name("active"), expression.Value(w.Active)).
		Set(expression.Name("updated"), expression.Value(w.Updated))
	if reenabled {
		upd = upd.Remove(expression.Name("disabled_reason")).Remove(expression.Name("disabled_at")).
			Remove(expression.Name("failing_since")).
			Set(expression.Name("consecutive_failures"), expression.Value(0))
	}
	cond := unchanged(prev)
	return s.table.Tx().Update("webhook", layout.WebhookKey(w.Account, w.ID), upd, &cond).Emit(ev, s.retentionDays).Commit(ctx)
}

func (s *DynamoStore) setSecrets(ctx context.Context, w Webhook, prev time.Time, secrets []secretItem, ev event.Event) error {
	upd := expression.Set(expression.Name("secrets"), expression.Value(secrets)).
		Set(expression.Name("updated"), expression.Value(w.Updated))
	cond := unchanged(prev)
	return s.table.Tx().Update("webhook", layout.WebhookKey(w.Account, w.ID), upd, &cond).Emit(ev, s.retentionDays).Commit(ctx)
}

// deleteWebhook removes the webhook and takes one off the account's
// counter in the same transaction.
func (s *DynamoStore) deleteWebhook(ctx context.Context, w Webhook, ev event.Event) error {
	exists := expression.AttributeExists(expression.Name(dynamo.PK))
	n := expression.Name("n")
	counted := expression.AttributeExists(n)
	for try := 1; ; try++ {
		tx := s.table.Tx().
			Delete("webhook", layout.WebhookKey(w.Account, w.ID), &exists).
			Update("count", layout.WebhookCountKey(w.Account), expression.Add(n, expression.Value(-1)), &counted)
		for i, k := range layout.WebhookStatsKeys(w.Account, w.ID) {
			tx.Delete(fmt.Sprintf("counters %d", i), k, nil)
		}
		err := tx.Emit(ev, s.retentionDays).Commit(ctx)
		// A webhook that failed its condition is gone already.
		if cf, ok := dynamo.AsConditionFailed(err); !ok || cf.Failed("webhook") || try == countTries {
			return err
		}
		if err := s.beforeRetry(ctx, w.Account, try, false); err != nil {
			return err
		}
	}
}

// createTestDelivery stores the delivery of a webhook.test event with the
// event itself.
func (s *DynamoStore) createTestDelivery(ctx context.Context, ds deliveryState, ev event.Event) error {
	return s.table.Tx().Create("delivery", s.newDeliveryItem(ds)).Emit(ev, s.retentionDays).Commit(ctx)
}

// request commits a command event for the dispatcher, on condition that the
// webhook still exists.
func (s *DynamoStore) request(ctx context.Context, w Webhook, ev event.Event) error {
	exists := expression.AttributeExists(expression.Name(dynamo.PK))
	return s.table.Tx().Check("webhook", layout.WebhookKey(w.Account, w.ID), exists).Emit(ev, s.retentionDays).Commit(ctx)
}

// deliveryWithAttempts reads a delivery and its attempts, newest first, with
// one consistent Query of the delivery's partition.
func (s *DynamoStore) deliveryWithAttempts(ctx context.Context, account, webhookID, id string) (Delivery, error) {
	in, err := dynamo.Partition{PK: layout.DeliveryKey(account, webhookID, id).PK}.Input(1000, nil)
	if err != nil {
		return Delivery{}, err
	}
	res, err := s.table.Query(ctx, in)
	if err != nil {
		return Delivery{}, fmt.Errorf("webhook: read delivery %s: %w", id, err)
	}
	var ds *deliveryState
	var attempts []attemptItem
	for _, av := range res.Items {
		switch entityOf(av) {
		case "webhook_attempt":
			var it attemptItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return Delivery{}, fmt.Errorf("webhook: decode attempt: %w", err)
			}
			attempts = append(attempts, it)
		case "webhook_delivery":
			var it deliveryItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return Delivery{}, fmt.Errorf("webhook: decode delivery: %w", err)
			}
			st := it.state()
			ds = &st
		}
	}
	if ds == nil {
		return Delivery{}, ErrNotFound
	}
	return ds.view(newestFirst(attempts)), nil
}

func entityOf(av map[string]types.AttributeValue) string {
	if s, ok := av["entity"].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// newestFirst returns the attempts by number, the latest first.
func newestFirst(items []attemptItem) []Attempt {
	slices.SortFunc(items, func(a, b attemptItem) int { return b.Number - a.Number })
	out := make([]Attempt, 0, len(items))
	for _, it := range items {
		out = append(out, it.attempt())
	}
	return out
}

// DeliveryFilter narrows a listing of deliveries; empty fields match all.
type DeliveryFilter struct {
	Status    string
	EventType event.Type
}

// condition is the filter as a condition on the index's projected
// attributes; false when it matches all.
func (f DeliveryFilter) condition() (expression.ConditionBuilder, bool) {
	var conds []expression.ConditionBuilder
	if f.Status != "" {
		conds = append(conds, expression.Name("status").Equal(expression.Value(f.Status)))
	}
	if f.EventType != "" {
		conds = append(conds, expression.Name("event_type").Equal(expression.Value(string(f.EventType))))
	}
	switch len(conds) {
	case 0:
		return expression.ConditionBuilder{}, false
	case 1:
		return conds[0], true
	}
	return expression.And(conds[0], conds[1]), true
}

// DeliveryPage is one page of a webhook's deliveries, newest first.
type DeliveryPage struct {
	Items  []Delivery
	Offset int
	// Total counts the matching deliveries when Exact; otherwise it is
	// only known that there are more than Offset+len(Items).
	Total int
	Exact bool
}

// countUpTo is how many matching deliveries a list counts at most: up to
// it, Content-Range gives the exact total the Connect lists give; past it,
// "*" (RFC 9110's unknown length), so that listing the latest deliveries of
// a busy webhook does not read its whole month.
const countUpTo = 1000

// listDeliveries reads the webhook's index shards (the failed ones, the
// others, or both, as the status filter asks), each newest first, until it
// has the page asked for and has counted countUpTo matching deliveries, or
// read them all; merges them by id, which starts with the event's time,
// each delivery once (newestOnce); and then reads the page's deliveries and
// their attempts.
func (s *DynamoStore) listDeliveries(ctx context.Context, account, webhookID string, f DeliveryFilter, offset, limit int) (DeliveryPage, error) {
	var parts []string
	if f.Status != StatusFailed {
		parts = s.shardKeys(account, webhookID, false)
	}
	if f.Status == "" || f.Status == StatusFailed {
		parts = append(parts, s.shardKeys(account, webhookID, true)...)
	}
	need := offset + limit
	found, err := s.readShards(ctx, parts, shardQuery{filter: f, need: need, bound: countUpTo})
	if err != nil {
		return DeliveryPage{}, fmt.Errorf("webhook: list deliveries of %s: %w", webhookID, err)
	}
	page := DeliveryPage{Items: []Delivery{}, Offset: offset, Total: found.matched, Exact: found.exact}
	ids := found.ids()
	if offset >= len(ids) {
		return page, nil
	}
	page.Items, err = s.views(ctx, account, webhookID, ids[offset:min(need, len(ids))])
	return page, err
}

// views reads deliveries ids with their attempts, in the order of ids: a
// BatchGetItem of the deliveries, then one of their attempts, whose keys
// the attempt counts give. A delivery expired since the index was read is
// left out.
func (s *DynamoStore) views(ctx context.Context, account, webhookID string, ids []string) ([]Delivery, error) {
	states, err := s.deliveries(ctx, account, webhookID, ids, false)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]deliveryState, len(states))
	var keys []dynamo.Key
	for _, ds := range states {
		byID[ds.ID] = ds
		for n := 1; n <= ds.Attempts; n++ {
			keys = append(keys, layout.AttemptKey(account, webhookID, ds.ID, n))
		}
	}
	items, err := dynamo.BatchGet[attemptItem](ctx, s.table, dynamo.BatchRead{Keys: keys})
	if err != nil {
		return nil, fmt.Errorf("webhook: read attempts: %w", err)
	}
	attempts := map[string][]attemptItem{}
	for _, it := range items {
		attempts[it.DeliveryID] = append(attempts[it.DeliveryID], it)
	}
	out := make([]Delivery, 0, len(ids))
	for _, id := range ids {
		if ds, ok := byID[id]; ok {
			out = append(out, ds.view(newestFirst(attempts[id])))
		}
	}
	return out, nil
}

// shardKeys are the index partitions of the webhook's deliveries: the
// failed ones or the others.
func (s *DynamoStore) shardKeys(account, webhookID string, failed bool) []string {
	out := make([]string, s.shards)
	for i := range out {
		out[i] = dynamo.ShardKey(layout.Deliveries(account, webhookID, failed, s.shards).Prefix, i)
	}
	return out
}

// shardQuery narrows a read of index shards.
type shardQuery struct {
	from   *expression.KeyConditionBuilder // on gsi7sk
	filter DeliveryFilter
	// need is how many matching entries, newest first over all shards,
	// the read must return; 0 returns all.
	need int
	// bound: the read goes on, for the count, until more than bound
	// entries matched or every shard ended.
	bound int
}

// indexEntry is a delivery as gsi7 projects it.
type indexEntry struct {
	ID string `dynamodbav:"gsi7sk"`
}

// shardsRead is what a read of index shards found.
type shardsRead struct {
	entries []indexEntry // the newest need matches, newest first
	matched int          // matching entries read
	exact   bool         // every shard was read to its end
}

func (r shardsRead) ids() []string {
	out := make([]string, len(r.entries))
	for i, e := range r.entries {
		out[i] = e.ID
	}
	return out
}

// shardReaders bounds the shard queries in flight for one read.
const shardReaders = 16

// shardCursor is how far one shard has been read, newest first.
type shardCursor struct {
	pk    string
	start map[string]types.AttributeValue // nil before the first page
	last  string                          // gsi7sk of the last item read: the rest is older
	ended bool
}

// readShards merges the shards newest first, lazily: each round reads one
// more page of every shard that may still hold one of the need newest
// matches (its last item read is newer than the need-th found so far, or
// fewer than need were found) or, while at most bound matched, of every
// shard not ended. First pages hold about bound/shards items, so that the
// first round usually ends it; each round doubles them, up to 1,000.
func (s *DynamoStore) readShards(ctx context.Context, parts []string, q shardQuery) (shardsRead, error) {
	q.bound = max(q.bound, q.need)
	limit := int32(1000)
	if q.bound > 0 {
		limit = int32(min(1000, max(10, q.bound/len(parts)+1)))
	}
	cursors := make([]shardCursor, len(parts))
	for i, pk := range parts {
		cursors[i].pk = pk
	}
	var found []indexEntry
	for {
		found = newestOnce(found)
		var next []int
		for i, c := range cursors {
			if !c.ended && (q.bound <= 0 || len(found) <= q.bound || c.start == nil || len(found) < q.need || (q.need > 0 && c.last > found[q.need-1].ID)) {
				next = append(next, i)
			}
		}
		if len(next) == 0 {
			break
		}
		pages, err := s.readPages(ctx, cursors, next, q, limit)
		if err != nil {
			return shardsRead{}, err
		}
		for _, p := range pages {
			found = append(found, p...)
		}
		limit = min(1000, 2*limit)
	}
	out := shardsRead{entries: found, matched: len(found), exact: true}
	for _, c := range cursors {
		out.exact = out.exact && c.ended
	}
	if q.need > 0 && len(out.entries) > q.need {
		out.entries = out.entries[:q.need]
	}
	return out, nil
}

// newestOnce orders entries newest first and keeps one entry of each
// delivery. A delivery that moves between the failed shards and the others
// (a redelivery that succeeds, a retry that fails for good) while they are
// read can be read in both, its old index entry and its new one. Its
// entries are alike (the id is all they hold; views then reads the
// delivery as it is now), and they sort next to each other, since the id
// is the sort key.
func newestOnce(entries []indexEntry) []indexEntry {
	slices.SortFunc(entries, func(a, b indexEntry) int { return strings.Compare(b.ID, a.ID) })
	return slices.CompactFunc(entries, func(a, b indexEntry) bool { return a.ID == b.ID })
}

// readPages reads the next page of the shards at idx, shardReaders at a
// time, and moves their cursors.
func (s *DynamoStore) readPages(ctx context.Context, cursors []shardCursor, idx []int, q shardQuery, limit int32) ([][]indexEntry, error) {
	pages := make([][]indexEntry, len(idx))
	errs := make([]error, len(idx))
	slots := make(chan struct{}, shardReaders)
	var wg sync.WaitGroup
	for j, i := range idx {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			pages[j], errs[j] = s.readPage(ctx, &cursors[i], q, limit)
		})
	}
	wg.Wait()
	return pages, errors.Join(errs...)
}

// readPage reads one page of a shard, newest first, from its cursor.
func (s *DynamoStore) readPage(ctx context.Context, c *shardCursor, q shardQuery, limit int32) ([]indexEntry, error) {
	kc := expression.Key("gsi7pk").Equal(expression.Value(c.pk))
	if q.from != nil {
		kc = kc.And(*q.from)
	}
	b := expression.NewBuilder().WithKeyCondition(kc)
	if cond, ok := q.filter.condition(); ok {
		b = b.WithFilter(cond)
	}
	expr, err := b.Build()
	if err != nil {
		return nil, err
	}
	page, err := s.table.Query(ctx, &dynamodb.QueryInput{
		IndexName: aws.String(layout.DeliveriesIndex), KeyConditionExpression: expr.KeyCondition(),
		FilterExpression: expr.Filter(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues: expr.Values(), ScanIndexForward: aws.Bool(false),
		Limit: aws.Int32(limit), ExclusiveStartKey: c.start,
	})
	if err != nil {
		return nil, err
	}
	var items []indexEntry
	if err := attributevalue.UnmarshalListOfMaps(page.Items, &items); err != nil {
		return nil, fmt.Errorf("webhook: decode deliveries index: %w", err)
	}
	c.start, c.ended = page.Next, page.Next == nil
	if sk, ok := page.Next["gsi7sk"].(*types.AttributeValueMemberS); ok {
		c.last = sk.Value
	}
	return items, nil
}
