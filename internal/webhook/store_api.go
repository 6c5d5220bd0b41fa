package webhook

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
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
			Update("count", countKey(ep.Account), expression.Add(n, expression.Value(1)), &below).
			Create("webhook", newWebhookItem(ep)).
			Emit(ev, s.retentionDays).
			Commit(ctx)
		if err == nil {
			return nil
		}
		if cf, ok := dynamo.AsConditionFailed(err); !ok || !cf.Failed("count") || try == countTries {
			return fmt.Errorf("webhook: create %s: %w", ep.ID, err)
		}
		count, found, err := s.webhookCount(ctx, ep.Account)
		switch {
		case err != nil:
			return err
		case !found:
			err = s.initCount(ctx, ep.Account)
		case count >= MaxPerAccount:
			return errLimit
		default:
			err = pause(ctx, try)
		}
		if err != nil {
			return err
		}
	}
}

// countItem counts an account's webhooks. It sits in their partition under
// a sort key outside WEBHOOK#, so the fan-out Query never reads it.
type countItem struct {
	dynamo.Key
	Entity string `dynamodbav:"entity"`
	N      int    `dynamodbav:"n"`
}

func countKey(account string) dynamo.Key {
	return dynamo.Key{PK: "WEBHOOKS#" + account, SK: "COUNT"}
}

func (s *DynamoStore) webhookCount(ctx context.Context, account string) (int, bool, error) {
	var it countItem
	err := s.table.Get(ctx, countKey(account), &it)
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
	err = s.table.Tx().Create("count", countItem{Key: countKey(account), Entity: "webhook_count", N: len(eps)}).Commit(ctx)
	if _, ok := dynamo.AsConditionFailed(err); ok || err == nil {
		return nil
	}
	return fmt.Errorf("webhook: count the webhooks of %s: %w", account, err)
}

// pause waits before the next try after another transaction held the
// counter: up to 10 ms times the try, at random, so that the requests that
// collided do not collide again.
func pause(ctx context.Context, try int) error {
	t := time.NewTimer(time.Duration(rand.Int64N(int64(try) * int64(10*time.Millisecond))))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
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
	return s.table.Tx().Update("webhook", webhookKey(w.Account, w.ID), upd, &cond).Emit(ev, s.retentionDays).Commit(ctx)
}

func (s *DynamoStore) setSecrets(ctx context.Context, w Webhook, prev time.Time, secrets []secretItem, ev event.Event) error {
	upd := expression.Set(expression.Name("secrets"), expression.Value(secrets)).
		Set(expression.Name("updated"), expression.Value(w.Updated))
	cond := unchanged(prev)
	return s.table.Tx().Update("webhook", webhookKey(w.Account, w.ID), upd, &cond).Emit(ev, s.retentionDays).Commit(ctx)
}

// deleteWebhook removes the webhook and takes one off the account's
// counter in the same transaction.
func (s *DynamoStore) deleteWebhook(ctx context.Context, w Webhook, ev event.Event) error {
	exists := expression.AttributeExists(expression.Name(dynamo.PK))
	n := expression.Name("n")
	counted := expression.AttributeExists(n)
	for try := 1; ; try++ {
		err := s.table.Tx().
			Delete("webhook", webhookKey(w.Account, w.ID), &exists).
			Update("count", countKey(w.Account), expression.Add(n, expression.Value(-1)), &counted).
			Emit(ev, s.retentionDays).
			Commit(ctx)
		// A webhook that failed its condition is gone already.
		if cf, ok := dynamo.AsConditionFailed(err); !ok || cf.Failed("webhook") || try == countTries {
			return err
		}
		_, found, err := s.webhookCount(ctx, w.Account)
		switch {
		case err != nil:
			return err
		case !found:
			err = s.initCount(ctx, w.Account)
		default:
			err = pause(ctx, try)
		}
		if err != nil {
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
	return s.table.Tx().Check("webhook", webhookKey(w.Account, w.ID), exists).Emit(ev, s.retentionDays).Commit(ctx)
}

// deliveryWithAttempts reads a delivery and its attempts, newest first, with
// one Query.
func (s *DynamoStore) deliveryWithAttempts(ctx context.Context, account, webhookID, id string) (Delivery, error) {
	in, err := dynamo.Partition{PK: deliveriesPK(account, webhookID), SKPrefix: "DELIVERY#" + id}.Input(1000, nil)
	if err != nil {
		return Delivery{}, err
	}
	in.ScanIndexForward = aws.Bool(false)
	res, err := s.table.Query(ctx, in)
	if err != nil {
		return Delivery{}, fmt.Errorf("webhook: read delivery %s: %w", id, err)
	}
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
			if it.ID == id {
				return it.state().view(attemptsOf(attempts, id)), nil
			}
		}
	}
	return Delivery{}, ErrNotFound
}

func entityOf(av map[string]types.AttributeValue) string {
	if s, ok := av["entity"].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// DeliveryFilter narrows a listing of deliveries; empty fields match all.
type DeliveryFilter struct {
	Status    string
	EventType event.Type
}

func (f DeliveryFilter) match(d deliveryState) bool {
	return (f.Status == "" || d.Status == f.Status) && (f.EventType == "" || d.EventType == f.EventType)
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

// listDeliveries reads the delivery partition newest first, a page of up to
// 1000 items at a time, and stops once it has the page asked for and has
// counted countUpTo matching deliveries, or read them all.
func (s *DynamoStore) listDeliveries(ctx context.Context, account, webhookID string, f DeliveryFilter, offset, limit int) (DeliveryPage, error) {
	kc := expression.Key(dynamo.PK).Equal(expression.Value(deliveriesPK(account, webhookID))).
		And(expression.Key(dynamo.SK).BeginsWith("DELIVERY#"))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return DeliveryPage{}, err
	}
	page := DeliveryPage{Items: []Delivery{}, Offset: offset}
	var attempts []attemptItem
	var start map[string]types.AttributeValue
	for {
		res, err := s.table.Query(ctx, &dynamodb.QueryInput{
			KeyConditionExpression: expr.KeyCondition(), ExpressionAttributeNames: expr.Names(),
			ExpressionAttributeValues: expr.Values(), ScanIndexForward: aws.Bool(false),
			ConsistentRead: aws.Bool(true), Limit: aws.Int32(1000), ExclusiveStartKey: start,
		})
		if err != nil {
			return DeliveryPage{}, fmt.Errorf("webhook: list deliveries of %s: %w", webhookID, err)
		}
		for _, av := range res.Items {
			if entityOf(av) == "webhook_attempt" {
				var it attemptItem
				if err := attributevalue.UnmarshalMap(av, &it); err != nil {
					return DeliveryPage{}, fmt.Errorf("webhook: decode attempt: %w", err)
				}
				attempts = append(attempts, it)
				continue
			}
			var it deliveryItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return DeliveryPage{}, fmt.Errorf("webhook: decode delivery: %w", err)
			}
			// Descending order puts a delivery's attempts just before it;
			// attempts that outlived their delivery's expiry are dropped.
			mine := attemptsOf(attempts, it.ID)
			attempts = nil
			if !f.match(it.state()) {
				continue
			}
			if page.Total >= offset && len(page.Items) < limit {
				page.Items = append(page.Items, it.state().view(mine))
			}
			page.Total++
			if page.Total > max(offset+limit, countUpTo) {
				return page, nil
			}
		}
		if res.Next == nil {
			page.Exact = true
			return page, nil
		}
		start = res.Next
	}
}

// attemptsOf returns the attempts of delivery id, in the order read.
func attemptsOf(all []attemptItem, id string) []Attempt {
	out := []Attempt{}
	for _, it := range all {
		if it.DeliveryID == id {
			out = append(out, it.attempt())
		}
	}
	return out
}
