package webhook

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
)

// Item layout:
//
//	WEBHOOKS#<account> / WEBHOOK#<id>                  the webhook: settings, secrets, counters.
//	                                                   An account's webhooks are one consistent
//	                                                   Query, which is the fan-out of an event.
//	WEBHOOKS#<account> / COUNT                         how many webhooks the account has: the limit
//	                                                   is a condition of the create's transaction
//	WHDELIVERIES#<account>#<webhook> / DELIVERY#<dl>   a delivery: the exact body, status, attempt
//	                                                   count; DL ids start with the event's time,
//	                                                   so the partition reads newest first
//	WHDELIVERIES#… / DELIVERY#<dl>#A#<nnnn>            one attempt, sorted right after its delivery
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
	dynamo.Key
	Entity              string       `dynamodbav:"entity"`
	ID                  string       `dynamodbav:"id"`
	Account             string       `dynamodbav:"account"`
	Label               string       `dynamodbav:"label"`
	Description         string       `dynamodbav:"description,omitempty"`
	URL                 string       `dynamodbav:"url"`
	Events              []string     `dynamodbav:"events"`
	Products            []string     `dynamodbav:"products"`
	Active              bool         `dynamodbav:"active"`
	DisabledReason      string       `dynamodbav:"disabled_reason,omitempty"`
	DisabledAt          *time.Time   `dynamodbav:"disabled_at,omitempty"`
	Secrets             []secretItem `dynamodbav:"secrets"`
	Deliveries          int64        `dynamodbav:"deliveries"`
	Successes           int64        `dynamodbav:"successes"`
	Failures            int64        `dynamodbav:"failures"`
	ConsecutiveFailures int64        `dynamodbav:"consecutive_failures"`
	LastSuccess         *time.Time   `dynamodbav:"last_success,omitempty"`
	LastFailure         *time.Time   `dynamodbav:"last_failure,omitempty"`
	FailingSince        *time.Time   `dynamodbav:"failing_since,omitempty"`
	Created             time.Time    `dynamodbav:"created"`
	Updated             time.Time    `dynamodbav:"updated"`
}

// secretItem is one signing secret; Expires is set on a secret replaced by a
// rotation, which keeps signing until then.
type secretItem struct {
	Value   string     `dynamodbav:"value"`
	Expires *time.Time `dynamodbav:"expires,omitempty"`
}

func webhookKey(account, id string) dynamo.Key {
	return dynamo.Key{PK: "WEBHOOKS#" + account, SK: "WEBHOOK#" + id}
}

func webhooksPartition(account string) dynamo.Partition {
	return dynamo.Partition{PK: "WEBHOOKS#" + account, SKPrefix: "WEBHOOK#"}
}

func deliveriesPK(account, webhookID string) string {
	return "WHDELIVERIES#" + account + "#" + webhookID
}

func deliveryKey(account, webhookID, id string) dynamo.Key {
	return dynamo.Key{PK: deliveriesPK(account, webhookID), SK: "DELIVERY#" + id}
}

func attemptKey(account, webhookID, id string, n int) dynamo.Key {
	return dynamo.Key{PK: deliveriesPK(account, webhookID), SK: fmt.Sprintf("DELIVERY#%s#A#%04d", id, n)}
}

func (it webhookItem) endpoint() endpoint {
	w := Webhook{
		ID: it.ID, Label: it.Label, Description: it.Description, URL: it.URL,
		Events: orEmpty(it.Events), Products: orEmpty(it.Products), Active: it.Active,
		DisabledReason: it.DisabledReason, DisabledAt: it.DisabledAt, Account: it.Account,
		Stats: Stats{Deliveries: it.Deliveries, Successes: it.Successes, Failures: it.Failures,
			ConsecutiveFailures: it.ConsecutiveFailures, LastSuccess: it.LastSuccess,
			LastFailure: it.LastFailure, FailingSince: it.FailingSince},
		Created: it.Created, Updated: it.Updated,
	}
	return endpoint{Webhook: w, secrets: it.Secrets}
}

func newWebhookItem(ep endpoint) webhookItem {
	w := ep.Webhook
	return webhookItem{
		Key: webhookKey(w.Account, w.ID), Entity: "webhook", ID: w.ID, Account: w.Account,
		Label: w.Label, Description: w.Description, URL: w.URL, Events: w.Events, Products: w.Products,
		Active: w.Active, Secrets: ep.secrets, Created: w.Created, Updated: w.Updated,
	}
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

// deliveryState is a delivery as stored.
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
	dynamo.Key
	Entity       string     `dynamodbav:"entity"`
	ID           string     `dynamodbav:"id"`
	WebhookID    string     `dynamodbav:"webhook_id"`
	Account      string     `dynamodbav:"account"`
	EventID      string     `dynamodbav:"event_id"`
	EventType    string     `dynamodbav:"event_type"`
	EventCreated time.Time  `dynamodbav:"event_created"`
	Body         string     `dynamodbav:"body"`
	Status       string     `dynamodbav:"status"`
	Attempts     int        `dynamodbav:"attempts"`
	NextAttempt  *time.Time `dynamodbav:"next_attempt,omitempty"`
	Created      time.Time  `dynamodbav:"created"`
	Updated      time.Time  `dynamodbav:"updated"`
	ExpiresAt    int64      `dynamodbav:"expires_at"`
}

func (it deliveryItem) state() deliveryState {
	return deliveryState{
		ID: it.ID, WebhookID: it.WebhookID, Account: it.Account, EventID: it.EventID,
		EventType: event.Type(it.EventType), EventCreated: it.EventCreated, Body: []byte(it.Body),
		Status: it.Status, Attempts: it.Attempts, NextAttempt: it.NextAttempt,
		Created: it.Created, Updated: it.Updated,
	}
}

type attemptItem struct {
	dynamo.Key
	Entity      string     `dynamodbav:"entity"`
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
	delivery(ctx context.Context, account, webhookID, id string) (deliveryState, error)
	// recordAttempt stores attempt a and d's new state, on condition that
	// the delivery still has a.Number-1 attempts; errStale otherwise.
	recordAttempt(ctx context.Context, d deliveryState, a Attempt) error
	// count updates the webhook's counters after attempt a.
	count(ctx context.Context, account, webhookID string, a Attempt) error
	// disable deactivates an active webhook and emits ev in the same
	// transaction; false when it was no longer active.
	disable(ctx context.Context, ep endpoint, reason string, at time.Time, ev event.Event) (bool, error)
	failedSince(ctx context.Context, account, webhookID string, since time.Time) ([]deliveryState, error)
}

// ErrNotFound is returned for an unknown webhook or delivery.
var ErrNotFound = errors.New("webhook: not found")

// DynamoStore keeps webhooks, deliveries and attempts in the table.
type DynamoStore struct {
	table         *dynamo.Table
	retentionDays int
}

// NewDynamoStore returns a store on table; deliveries, attempts and events
// are kept retentionDays.
func NewDynamoStore(table *dynamo.Table, retentionDays int) *DynamoStore {
	return &DynamoStore{table: table, retentionDays: retentionDays}
}

func (s *DynamoStore) expiry(t time.Time) int64 {
	return t.Add(time.Duration(s.retentionDays) * 24 * time.Hour).Unix()
}

func (s *DynamoStore) webhooks(ctx context.Context, account string) ([]endpoint, error) {
	items, err := dynamo.QueryAll[webhookItem](ctx, s.table, webhooksPartition(account))
	if err != nil {
		return nil, fmt.Errorf("webhook: list webhooks of %s: %w", account, err)
	}
	out := make([]endpoint, 0, len(items))
	for _, it := range items {
		out = append(out, it.endpoint())
	}
	return out, nil
}

func (s *DynamoStore) webhook(ctx context.Context, account, id string) (endpoint, error) {
	var it webhookItem
	err := s.table.Get(ctx, webhookKey(account, id), &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return endpoint{}, ErrNotFound
	}
	if err != nil {
		return endpoint{}, fmt.Errorf("webhook: read %s: %w", id, err)
	}
	return it.endpoint(), nil
}

func (s *DynamoStore) newDeliveryItem(d deliveryState) deliveryItem {
	return deliveryItem{
		Key: deliveryKey(d.Account, d.WebhookID, d.ID), Entity: "webhook_delivery",
		ID: d.ID, WebhookID: d.WebhookID, Account: d.Account, EventID: d.EventID,
		EventType: string(d.EventType), EventCreated: d.EventCreated, Body: string(d.Body),
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
			existing, err := s.delivery(ctx, d.Account, d.WebhookID, d.ID)
			return existing, false, err
		}
		return it.state(), false, nil
	}
	if err != nil {
		return deliveryState{}, false, fmt.Errorf("webhook: create delivery %s: %w", d.ID, err)
	}
	return d, true, nil
}

func (s *DynamoStore) delivery(ctx context.Context, account, webhookID, id string) (deliveryState, error) {
	var it deliveryItem
	err := s.table.Get(ctx, deliveryKey(account, webhookID, id), &it)
	if errors.Is(err, dynamo.ErrNotFound) || (err == nil && it.Entity != "webhook_delivery") {
		return deliveryState{}, ErrNotFound
	}
	if err != nil {
		return deliveryState{}, fmt.Errorf("webhook: read delivery %s: %w", id, err)
	}
	return it.state(), nil
}

func (s *DynamoStore) recordAttempt(ctx context.Context, d deliveryState, a Attempt) error {
	k := deliveryKey(d.Account, d.WebhookID, d.ID)
	upd := expression.Set(expression.Name("status"), expression.Value(d.Status)).
		Set(expression.Name("attempts"), expression.Value(a.Number)).
		Set(expression.Name("updated"), expression.Value(d.Updated))
	if d.NextAttempt != nil {
		upd = upd.Set(expression.Name("next_attempt"), expression.Value(*d.NextAttempt))
	} else {
		upd = upd.Remove(expression.Name("next_attempt"))
	}
	cond := expression.Name("attempts").Equal(expression.Value(a.Number - 1))
	it := attemptItem{
		Key: attemptKey(d.Account, d.WebhookID, d.ID, a.Number), Entity: "webhook_attempt", DeliveryID: d.ID,
		Number: a.Number, At: a.At, Trigger: a.Trigger, StatusCode: a.StatusCode, DurationMS: a.DurationMS,
		Error: a.Error, Response: a.Response, NextAttempt: a.NextAttempt, ExpiresAt: s.expiry(a.At),
	}
	err := s.table.Tx().Update("delivery", k, upd, &cond).Create("attempt", it).Commit(ctx)
	if _, ok := dynamo.AsConditionFailed(err); ok {
		return errStale
	}
	return err
}

// count is a single UpdateItem outside the attempt's transaction: every
// attempt of every delivery of a webhook updates the same item, and
// transactions touching one item concurrently cancel each other. A crash
// between the two writes loses one count, never an attempt record.
func (s *DynamoStore) count(ctx context.Context, account, webhookID string, a Attempt) error {
	one := expression.Value(1)
	var upd expression.UpdateBuilder
	if a.Succeeded() {
		upd = expression.Add(expression.Name("successes"), one).
			Set(expression.Name("consecutive_failures"), expression.Value(0)).
			Set(expression.Name("last_success"), expression.Value(a.At)).
			Remove(expression.Name("failing_since"))
	} else {
		upd = expression.Add(expression.Name("failures"), one).
			Add(expression.Name("consecutive_failures"), one).
			Set(expression.Name("last_failure"), expression.Value(a.At)).
			Set(expression.Name("failing_since"), expression.IfNotExists(expression.Name("failing_since"), expression.Value(a.At)))
	}
	if a.Number == 1 && a.Trigger != TriggerManual {
		upd = upd.Add(expression.Name("deliveries"), one)
	}
	expr, err := expression.NewBuilder().WithUpdate(upd).
		WithCondition(expression.AttributeExists(expression.Name(dynamo.PK))).Build()
	if err != nil {
		return err
	}
	_, err = s.table.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table.Name, Key: webhookKey(account, webhookID).AV(),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	})
	var gone *types.ConditionalCheckFailedException
	if errors.As(err, &gone) {
		return nil // deleted meanwhile: nothing to count
	}
	if err != nil {
		return fmt.Errorf("webhook: count attempt of %s: %w", webhookID, err)
	}
	return nil
}

func (s *DynamoStore) disable(ctx context.Context, ep endpoint, reason string, at time.Time, ev event.Event) (bool, error) {
	upd := expression.Set(expression.Name("active"), expression.Value(false)).
		Set(expression.Name("disabled_reason"), expression.Value(reason)).
		Set(expression.Name("disabled_at"), expression.Value(at)).
		Set(expression.Name("updated"), expression.Value(at))
	cond := expression.Name("active").Equal(expression.Value(true))
	err := s.table.Tx().
		Update("webhook", webhookKey(ep.Account, ep.ID), upd, &cond).
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

func (s *DynamoStore) failedSince(ctx context.Context, account, webhookID string, since time.Time) ([]deliveryState, error) {
	kc := expression.Key(dynamo.PK).Equal(expression.Value(deliveriesPK(account, webhookID))).
		And(expression.Key(dynamo.SK).Between(expression.Value("DELIVERY#"+sinceKey(since)), expression.Value("DELIVERY#DL-~")))
	filter := expression.Name("entity").Equal(expression.Value("webhook_delivery")).
		And(expression.Name("status").Equal(expression.Value(StatusFailed)))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).WithFilter(filter).Build()
	if err != nil {
		return nil, err
	}
	var out []deliveryState
	var start map[string]types.AttributeValue
	for {
		page, err := s.table.Query(ctx, &dynamodb.QueryInput{
			KeyConditionExpression: expr.KeyCondition(), FilterExpression: expr.Filter(),
			ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
			ConsistentRead: aws.Bool(true), ExclusiveStartKey: start,
		})
		if err != nil {
			return nil, fmt.Errorf("webhook: failed deliveries of %s: %w", webhookID, err)
		}
		var items []deliveryItem
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &items); err != nil {
			return nil, fmt.Errorf("webhook: decode deliveries: %w", err)
		}
		for _, it := range items {
			out = append(out, it.state())
		}
		if page.Next == nil {
			return out, nil
		}
		start = page.Next
	}
}
