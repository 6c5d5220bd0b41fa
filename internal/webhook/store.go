package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/layout"
)

// Item layout (the keys are built in internal/layout):
//
//	WEBHOOKS#<account> / WEBHOOK#<id>        the webhook: settings, secrets, failure streak.
//	                                         An account's webhooks are one consistent
//	                                         Query, which the dispatcher makes once a
//	                                         batch for the fan-out of its events.
//	WEBHOOKS#<account> / COUNT               how many webhooks the account has: the limit
//	                                         is a condition of the create's transaction
//	WHSTATS#<account>#<webhook>#<n> / STATS  delivery counters, in 16 copies that readers sum
//	WHDELIVERY#<account>#<webhook>#<dl> /    a delivery: status, attempt count, the event's
//	  DELIVERY                               id, type and time (not its body)
//	WHDELIVERY#…#<dl> / A#<nnnn>             one attempt of it
//
// Each delivery has a partition of its own: at a vendor's peak one webhook
// takes thousands of deliveries a second, several writes each, which no
// single partition key could (1,000 write units a second). A webhook's
// deliveries are listed through gsi7, whose key is written by the delivery
// itself and spread over DeliveryShards partitions by a hash of its id:
//
//	gsi7pk WHDELIVERIES#<account>#<webhook>#<shard>   pending and succeeded deliveries
//	gsi7pk WHFAILED#<account>#<webhook>#<shard>       failed ones, so that a recovery
//	                                                  reads failures only
//	gsi7sk <dl>                                       DL ids start with the event's time:
//	                                                  each shard reads newest first
//
// gsi7 projects status and event_type (INCLUDE), what the list filters on;
// an index item stays under 1 KB, and only a status change rewrites it (a
// retry that leaves the delivery pending does not). Readers query every
// shard and merge by the sort key.
//
// The body is not stored with the delivery: the first attempt sends the
// event as its message carried it, and a retry or redelivery reads the
// event's own item (EVENT#<id>, kept as long as the delivery).
//
// Deliveries and attempts expire with expires_at after the retention (30
// days). The account is part of every key, so no id of another tenant can
// reach an item.
//
// Secrets are stored as they are, not hashed: HMAC needs the key itself
// to sign, unlike an API token, which only needs to be compared. They are
// protected by the table's encryption at rest and by never leaving the
// table except in the create and rotate answers; no log line or event
// carries them.
type webhookItem struct {
	dynamo.Row
	Webhook
	Secrets []secretItem `dynamodbav:"secrets"`
	// Stats are counted on the item from before the counter copies
	// existed, and its failure streak. A counter copy
	// (layout.WebhookStats) is read as a webhookItem too: its Stats are
	// what the batches that chose it counted, without a streak. A
	// webhook's Stats are its item's plus every copy's.
	Stats
}

const statsEntity = "webhook_stats"

// secretItem is one signing secret; Expires is set on a secret replaced by a
// rotation, which keeps signing until then.
type secretItem struct {
	Value   string     `dynamodbav:"value"`
	Expires *time.Time `dynamodbav:"expires,omitempty"`
}

// DefaultDeliveryShards is how many gsi7 partitions a webhook's deliveries
// are spread over. Sized from the scale model (`make scale`): the
// provider's webhook takes about 20 deliveries per two-line order (order,
// subscription, request and asset events as each moves), and each writes
// its shard twice (made pending, then succeeded, or removed when it
// fails): 40 index writes of 1 KB an order. 128 shards put under a third
// of a write unit an order on each, a third of what a partition takes at
// 1,000 orders/s, with room for larger orders. The number may grow
// (readers query every shard below it, which includes every shard written
// before) but never shrink.
const DefaultDeliveryShards = 128

// deliveryShard is the gsi7 partition of delivery id: failed deliveries
// sit apart from the others, in as many shards.
func deliveryShard(account, webhookID, id string, failed bool, shards int) string {
	return layout.Deliveries(account, webhookID, failed, shards).Key(id)
}

func (it webhookItem) endpoint() endpoint {
	w := it.Webhook
	w.Events, w.Products, w.Stats = orEmpty(w.Events), orEmpty(w.Products), it.Stats
	return endpoint{Webhook: w, secrets: it.Secrets}
}

func newWebhookItem(ep endpoint) webhookItem {
	return webhookItem{Row: dynamo.Row{Key: layout.WebhookKey(ep.Account, ep.ID), Entity: "webhook"}, Webhook: ep.Webhook,
		Secrets: ep.secrets, Stats: ep.Stats}
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// endpoint is a webhook with its secrets, as the dispatcher needs it.
type endpoint struct {
	Webhook
	secrets []secretItem
}

// keys returns the secrets that sign at now: the current one and those a
// rotation replaced whose grace period has not ended.
func (ep endpoint) keys(now time.Time) []Key {
	var out []Key
	for _, s := range ep.secrets {
		if s.Expires != nil && !now.Before(*s.Expires) {
			continue
		}
		if k, err := ParseSecret(s.Value); err == nil {
			out = append(out, k)
		}
	}
	return out
}

// deliveryState is a delivery as stored, with the body it sends: the
// event's envelope, which the store reads from the event's item.
type deliveryState struct {
	ID           string
	WebhookID    string
	Account      string
	EventID      string
	EventType    event.Type
	EventCreated time.Time
	Body         []byte
	Status       string
	Attempts     int
	NextAttempt  *time.Time
	Created      time.Time
	Updated      time.Time
}

func (d deliveryState) view(attempts []Attempt) Delivery {
	if attempts == nil {
		attempts = []Attempt{}
	}
	return Delivery{
		ID: d.ID, WebhookID: d.WebhookID,
		Event:  EventRef{ID: d.EventID, Type: d.EventType, Created: d.EventCreated},
		Status: d.Status, AttemptCount: d.Attempts, NextAttempt: d.NextAttempt,
		Created: d.Created, Updated: d.Updated, Attempts: attempts,
	}
}

type deliveryItem struct {
	dynamo.Row
	ID           string     `dynamodbav:"id"`
	WebhookID    string     `dynamodbav:"webhook_id"`
	Account      string     `dynamodbav:"account"`
	EventID      string     `dynamodbav:"event_id"`
	EventType    string     `dynamodbav:"event_type"`
	EventCreated time.Time  `dynamodbav:"event_created"`
	Status       string     `dynamodbav:"status"`
	Attempts     int        `dynamodbav:"attempts"`
	NextAttempt  *time.Time `dynamodbav:"next_attempt,omitempty"`
	Created      time.Time  `dynamodbav:"created"`
	Updated      time.Time  `dynamodbav:"updated"`
	ExpiresAt    int64      `dynamodbav:"expires_at"`
}

// state is the delivery without its body, which is the event's.
func (it deliveryItem) state() deliveryState {
	return deliveryState{
		ID: it.ID, WebhookID: it.WebhookID, Account: it.Account, EventID: it.EventID,
		EventType: event.Type(it.EventType), EventCreated: it.EventCreated,
		Status: it.Status, Attempts: it.Attempts, NextAttempt: it.NextAttempt,
		Created: it.Created, Updated: it.Updated,
	}
}

type attemptItem struct {
	dynamo.Row
	DeliveryID  string     `dynamodbav:"delivery_id"`
	Number      int        `dynamodbav:"number"`
	At          time.Time  `dynamodbav:"at"`
	Trigger     string     `dynamodbav:"trigger"`
	StatusCode  int        `dynamodbav:"status_code,omitempty"`
	DurationMS  int64      `dynamodbav:"duration_ms"`
	Error       string     `dynamodbav:"error,omitempty"`
	Response    string     `dynamodbav:"response,omitempty"`
	NextAttempt *time.Time `dynamodbav:"next_attempt,omitempty"`
	ExpiresAt   int64      `dynamodbav:"expires_at"`
}

func (it attemptItem) attempt() Attempt {
	return Attempt{Number: it.Number, At: it.At, Trigger: it.Trigger, StatusCode: it.StatusCode,
		DurationMS: it.DurationMS, Error: it.Error, Response: it.Response, NextAttempt: it.NextAttempt}
}

// errStale reports that a delivery moved on since it was read: another
// invocation recorded this attempt already.
var errStale = errors.New("webhook: delivery changed since it was read")

// store is the persistence the dispatcher needs. DynamoStore implements it
// on the table; the benchmark and the dispatcher's unit tests use an
// in-memory implementation of the same interface.
type store interface {
	webhooks(ctx context.Context, account string) ([]endpoint, error)
	webhook(ctx context.Context, account, id string) (endpoint, error)
	// createDelivery stores d unless a delivery with its id exists, which it
	// returns instead with created false.
	createDelivery(ctx context.Context, d deliveryState) (existing deliveryState, created bool, err error)
	// delivery reads a delivery with its body, the envelope of event
	// eventID ("" when unknown: the delivery names it); without a body when
	// the event is no longer stored.
	delivery(ctx context.Context, account, webhookID, id, eventID string) (deliveryState, error)
	// recordAttempt stores attempt a and d's new state, on condition that
	// the delivery still has a.Number-1 attempts; errStale otherwise.
	recordAttempt(ctx context.Context, d deliveryState, a Attempt) error
	// count adds a batch's attempts to the webhook's counters; failing is
	// whether the webhook's streak was failing when the batch read it.
	count(ctx context.Context, account, webhookID string, c counts, failing bool) error
	// disable deactivates an active webhook and emits ev in the same
	// transaction; false when it was no longer active.
	disable(ctx context.Context, ep endpoint, reason string, at time.Time, ev event.Event) (bool, error)
	// failedPage reads a page of one failed-delivery shard (recovery.go).
	failedPage(ctx context.Context, account, webhookID string, shard int, since time.Time, after string, n int) (ds []deliveryState, last string, more bool, err error)
	deliveryShards() int
	// emit commits job events.
	emit(ctx context.Context, evs ...event.Event) error
}

// ErrNotFound is returned for an unknown webhook or delivery.
var ErrNotFound = errors.New("webhook: not found")

// DynamoStore keeps webhooks, deliveries and attempts in the table.
type DynamoStore struct {
	table         *dynamo.Table
	retentionDays int
	shards        int
}

// NewDynamoStore returns a store on table; deliveries, attempts and events
// are kept retentionDays. Deliveries are listed through
// DefaultDeliveryShards index partitions per webhook unless
// WithDeliveryShards says otherwise.
func NewDynamoStore(table *dynamo.Table, retentionDays int) *DynamoStore {
	return &DynamoStore{table: table, retentionDays: retentionDays, shards: DefaultDeliveryShards}
}

// WithDeliveryShards sets how many index partitions a webhook's deliveries
// are spread over (see DefaultDeliveryShards); n below 1 keeps the default.
func (s *DynamoStore) WithDeliveryShards(n int) *DynamoStore {
	if n > 0 {
		s.shards = n
	}
	return s
}

func (s *DynamoStore) expiry(t time.Time) int64 {
	return t.Add(time.Duration(s.retentionDays) * 24 * time.Hour).Unix()
}

func (s *DynamoStore) webhooks(ctx context.Context, account string) ([]endpoint, error) {
	items, err := dynamo.QueryAll[webhookItem](ctx, s.table, layout.Webhooks(account))
	if err != nil {
		return nil, fmt.Errorf("webhook: list webhooks of %s: %w", account, err)
	}
	out := make([]endpoint, 0, len(items))
	for _, it := range items {
		out = append(out, it.endpoint())
	}
	return out, nil
}

// webhook reads a webhook with its counters: one consistent BatchGetItem
// of its item and its counter copies.
func (s *DynamoStore) webhook(ctx context.Context, account, id string) (endpoint, error) {
	keys := append([]dynamo.Key{layout.WebhookKey(account, id)}, layout.WebhookStatsKeys(account, id)...)
	items, err := dynamo.BatchGet[webhookItem](ctx, s.table, dynamo.BatchRead{Keys: keys, Consistent: true})
	if err != nil {
		return endpoint{}, fmt.Errorf("webhook: read %s: %w", id, err)
	}
	i := slices.IndexFunc(items, func(it webhookItem) bool { return it.Entity == "webhook" })
	if i < 0 {
		return endpoint{}, ErrNotFound
	}
	ep := items[i].endpoint()
	for _, it := range items {
		if it.Entity == statsEntity {
			ep.Stats = ep.Stats.plus(it.Stats)
		}
	}
	return ep, nil
}

// withStats adds their counter copies to eps' Stats: BatchGetItem calls of
// WebhookStatsShards keys a webhook. The dispatcher reads webhooks without
// them; only the API shows them.
func (s *DynamoStore) withStats(ctx context.Context, account string, eps []endpoint) ([]endpoint, error) {
	var keys []dynamo.Key
	for _, ep := range eps {
		keys = append(keys, layout.WebhookStatsKeys(account, ep.ID)...)
	}
	items, err := dynamo.BatchGet[webhookItem](ctx, s.table, dynamo.BatchRead{Keys: keys})
	if err != nil {
		return nil, fmt.Errorf("webhook: read the counters of %s: %w", account, err)
	}
	copies := make(map[string][]Stats, len(eps))
	for _, it := range items {
		id := webhookOfStats(it.PK)
		copies[id] = append(copies[id], it.Stats)
	}
	for i := range eps {
		for _, c := range copies[layout.WebhookStats(account, eps[i].ID).Prefix] {
			eps[i].Stats = eps[i].Stats.plus(c)
		}
	}
	return eps, nil
}

// webhookOfStats is the prefix of counter copy pk, which names its webhook.
func webhookOfStats(pk string) string { return pk[:max(strings.LastIndexByte(pk, '#'), 0)] }

func (s *DynamoStore) newDeliveryItem(d deliveryState) deliveryItem {
	return deliveryItem{
		Row: dynamo.Row{Key: layout.DeliveryKey(d.Account, d.WebhookID, d.ID), Entity: "webhook_delivery", Indexes: dynamo.Indexes{
			GSI7PK: deliveryShard(d.Account, d.WebhookID, d.ID, d.Status == StatusFailed, s.shards), GSI7SK: d.ID}},
		ID: d.ID, WebhookID: d.WebhookID, Account: d.Account, EventID: d.EventID,
		EventType: string(d.EventType), EventCreated: d.EventCreated,
		Status: d.Status, Attempts: d.Attempts, NextAttempt: d.NextAttempt,
		Created: d.Created, Updated: d.Updated, ExpiresAt: s.expiry(d.Created),
	}
}

// createDelivery is one conditional PutItem that returns the existing item
// when the condition fails, so a re-sent event costs no extra read.
func (s *DynamoStore) createDelivery(ctx context.Context, d deliveryState) (deliveryState, bool, error) {
	av, err := attributevalue.MarshalMap(s.newDeliveryItem(d))
	if err != nil {
		return deliveryState{}, false, fmt.Errorf("webhook: encode delivery: %w", err)
	}
	_, err = s.table.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           &s.table.Name,
		Item:                                av,
		ConditionExpression:                 aws.String("attribute_not_exists(pk)"),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var cf *types.ConditionalCheckFailedException
	if errors.As(err, &cf) {
		var it deliveryItem
		if err := attributevalue.UnmarshalMap(cf.Item, &it); err != nil || it.ID == "" {
			// An emulator that does not return the item: read it.
			existing, err := s.readDelivery(ctx, d.Account, d.WebhookID, d.ID)
			return existing, false, err
		}
		return it.state(), false, nil
	}
	if err != nil {
		return deliveryState{}, false, fmt.Errorf("webhook: create delivery %s: %w", d.ID, err)
	}
	return d, true, nil
}

// delivery reads a delivery and the event it carries with one consistent
// BatchGetItem. A delivery whose event is no longer stored comes without a
// body.
// readDelivery reads a delivery item, without its body.
func (s *DynamoStore) readDelivery(ctx context.Context, account, webhookID, id string) (deliveryState, error) {
	var it deliveryItem
	err := s.table.Get(ctx, layout.DeliveryKey(account, webhookID, id), &it)
	if errors.Is(err, dynamo.ErrNotFound) || (err == nil && it.Entity != "webhook_delivery") {
		return deliveryState{}, ErrNotFound
	}
	if err != nil {
		return deliveryState{}, fmt.Errorf("webhook: read delivery %s: %w", id, err)
	}
	return it.state(), nil
}

// taskItem decodes either item of the read of a delivery with its event:
// the delivery's fields, and the event item's type and data (its id,
// account and created share the delivery's attribute names).
type taskItem struct {
	deliveryItem
	Type string `dynamodbav:"type"`
	Data string `dynamodbav:"data"`
}

// delivery reads a delivery with its body, the envelope of its event: one
// consistent BatchGetItem when the caller knows the event (every task
// names it), a read of the delivery and then of its event otherwise. A
// delivery whose event is no longer stored comes without a body.
func (s *DynamoStore) delivery(ctx context.Context, account, webhookID, id, eventID string) (deliveryState, error) {
	keys := []dynamo.Key{layout.DeliveryKey(account, webhookID, id)}
	if eventID != "" {
		keys = append(keys, dynamo.EventKey(eventID))
	}
	items, err := dynamo.BatchGet[taskItem](ctx, s.table, dynamo.BatchRead{Keys: keys, Consistent: true})
	if err != nil {
		return deliveryState{}, fmt.Errorf("webhook: read delivery %s: %w", id, err)
	}
	var ds deliveryState
	var ev *taskItem
	for _, it := range items {
		switch {
		case it.Entity == "webhook_delivery":
			ds = it.state()
		case eventID != "" && it.Key == dynamo.EventKey(eventID):
			ev = &it
		}
	}
	if ds.ID == "" {
		return deliveryState{}, ErrNotFound
	}
	if eventID == "" {
		// A task queued before tasks named their event.
		return s.withBody(ctx, ds)
	}
	if ev != nil && ev.ID == ds.EventID {
		ds.Body, err = envelope(*ev)
	}
	return ds, err
}

// withBody reads the event of ds for its body.
func (s *DynamoStore) withBody(ctx context.Context, ds deliveryState) (deliveryState, error) {
	var it taskItem
	err := s.table.Get(ctx, dynamo.EventKey(ds.EventID), &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return ds, nil
	}
	if err != nil {
		return deliveryState{}, fmt.Errorf("webhook: read event %s: %w", ds.EventID, err)
	}
	ds.Body, err = envelope(it)
	return ds, err
}

// envelope is the body of a delivery of the event item it: the envelope as
// the relay published it, which the first attempt sent.
func envelope(it taskItem) ([]byte, error) {
	e, err := dynamo.EventItem{ID: it.ID, Type: it.Type, Created: it.Created.UTC().Format(time.RFC3339Nano), Account: it.Account, Data: it.Data}.Event()
	if err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	body, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("webhook: encode event %s: %w", e.ID, err)
	}
	return body, nil
}

// recordAttempt is one transaction in the delivery's own partition: the
// delivery's new state, on condition of its attempt count, and the attempt.
// The delivery's index attributes are set only when they change, so that a
// retry that leaves it pending writes no index item: status when it leaves
// pending or a manual attempt ends, gsi7pk when it moves to or from the
// failed shards.
func (s *DynamoStore) recordAttempt(ctx context.Context, d deliveryState, a Attempt) error {
	k := layout.DeliveryKey(d.Account, d.WebhookID, d.ID)
	manual := a.Trigger == TriggerManual
	upd := expression.Set(expression.Name("attempts"), expression.Value(a.Number)).
		Set(expression.Name("updated"), expression.Value(d.Updated))
	if d.Status != StatusPending || manual {
		upd = upd.Set(expression.Name("status"), expression.Value(d.Status))
	}
	if d.Status == StatusFailed || manual {
		upd = upd.Set(expression.Name("gsi7pk"), expression.Value(deliveryShard(d.Account, d.WebhookID, d.ID, d.Status == StatusFailed, s.shards)))
	}
	if d.NextAttempt != nil {
		upd = upd.Set(expression.Name("next_attempt"), expression.Value(*d.NextAttempt))
	} else {
		upd = upd.Remove(expression.Name("next_attempt"))
	}
	cond := expression.Name("attempts").Equal(expression.Value(a.Number - 1))
	it := attemptItem{
		Row: dynamo.Row{Key: layout.AttemptKey(d.Account, d.WebhookID, d.ID, a.Number), Entity: "webhook_attempt"}, DeliveryID: d.ID,
		Number: a.Number, At: a.At, Trigger: a.Trigger, StatusCode: a.StatusCode, DurationMS: a.DurationMS,
		Error: a.Error, Response: a.Response, NextAttempt: a.NextAttempt, ExpiresAt: s.expiry(a.At),
	}
	err := s.table.Tx().Update("delivery", k, upd, &cond).Create("attempt", it).Commit(ctx)
	if _, ok := dynamo.AsConditionFailed(err); ok {
		return errStale
	}
	return err
}

// count adds what a batch's attempts did to the webhook's counters,
// outside any attempt's transaction: one UpdateItem of a counter copy
// chosen at random, and one of the webhook item when the batch moved its
// failure streak. Per attempt the counters would take thousands of writes
// a second at a vendor's peak; per batch, spread over the copies, each
// takes a few dozen (layout.WebhookStatsShards), and the webhook item,
// which every batch reads, takes none while the webhook succeeds. A crash
// between the attempts' records and these writes loses their counts, never
// an attempt record.
func (s *DynamoStore) count(ctx context.Context, account, webhookID string, c counts, failing bool) error {
	upd, ok := c.statsUpdate()
	if !ok {
		return nil
	}
	copyKey := layout.WebhookStatsKey(account, webhookID, rand.IntN(layout.WebhookStatsShards))
	if err := s.update(ctx, copyKey, upd, nil); err != nil {
		return fmt.Errorf("webhook: count attempts of %s: %w", webhookID, err)
	}
	upd, ok = c.streakUpdate(failing)
	if !ok {
		return nil
	}
	exists := expression.AttributeExists(expression.Name(dynamo.PK))
	err := s.update(ctx, layout.WebhookKey(account, webhookID), upd, &exists)
	var gone *types.ConditionalCheckFailedException
	if errors.As(err, &gone) {
		return nil // deleted meanwhile: nothing to count
	}
	if err != nil {
		return fmt.Errorf("webhook: count the failures of %s: %w", webhookID, err)
	}
	return nil
}

// update is one UpdateItem of k, on condition cond when there is one.
func (s *DynamoStore) update(ctx context.Context, k dynamo.Key, upd expression.UpdateBuilder, cond *expression.ConditionBuilder) error {
	b := expression.NewBuilder().WithUpdate(upd)
	if cond != nil {
		b = b.WithCondition(*cond)
	}
	expr, err := b.Build()
	if err != nil {
		return err
	}
	_, err = s.table.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table.Name, Key: k.AV(),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	})
	return err
}

func (s *DynamoStore) disable(ctx context.Context, ep endpoint, reason string, at time.Time, ev event.Event) (bool, error) {
	upd := expression.Set(expression.Name("active"), expression.Value(false)).
		Set(expression.Name("disabled_reason"), expression.Value(reason)).
		Set(expression.Name("disabled_at"), expression.Value(at)).
		Set(expression.Name("updated"), expression.Value(at))
	cond := expression.Name("active").Equal(expression.Value(true))
	err := s.table.Tx().
		Update("webhook", layout.WebhookKey(ep.Account, ep.ID), upd, &cond).
		Emit(ev, s.retentionDays).
		Commit(ctx)
	if cf, ok := dynamo.AsConditionFailed(err); ok && cf.Failed("webhook") {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("webhook: disable %s: %w", ep.ID, err)
	}
	return true, nil
}

// deliveries reads the delivery items of ids (without bodies), in no
// particular order.
func (s *DynamoStore) deliveries(ctx context.Context, account, webhookID string, ids []string, consistent bool) ([]deliveryState, error) {
	keys := make([]dynamo.Key, len(ids))
	for i, id := range ids {
		keys[i] = layout.DeliveryKey(account, webhookID, id)
	}
	items, err := dynamo.BatchGet[deliveryItem](ctx, s.table, dynamo.BatchRead{Keys: keys, Consistent: consistent})
	if err != nil {
		return nil, fmt.Errorf("webhook: read deliveries of %s: %w", webhookID, err)
	}
	out := make([]deliveryState, 0, len(items))
	for _, it := range items {
		out = append(out, it.state())
	}
	return out, nil
}
