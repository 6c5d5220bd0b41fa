package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/ident"
	"github.com/mercato-dev/mercato/internal/tracing"
)

// MaxTxItems is DynamoDB's limit on the items of one transaction.
const MaxTxItems = 100

// Tx collects the writes of one state change and the events that describe
// it, and commits them with a single TransactWriteItems: either the change
// and its events are stored, or neither is. No handler sends to a queue
// directly; the relay publishes committed events from the table's stream.
// One exception: the webhook dispatcher queues its own retry tasks (and a
// recovery's manual attempts) on the webhook queue, because an SQS timer is
// the only delayed delivery there is and a task is a timer, not a state
// change. The task is queued before the attempt is recorded, and the
// record is conditional on the attempt count, so a crash neither loses a
// retry nor records an attempt twice.
type Tx struct {
	table *Table
	items []types.TransactWriteItem
	// what describes each item in errors, in item order
	labels []string
	// events are the indexes of the outbox event items, which Commit
	// stamps with the trace of the request that commits them.
	events []int
	err    error
}

// Tx starts a transaction on the table.
func (t *Table) Tx() *Tx { return &Tx{table: t} }

// Len returns the number of items so far.
func (tx *Tx) Len() int { return len(tx.items) }

func (tx *Tx) add(label string, it types.TransactWriteItem, err error) *Tx {
	if err != nil && tx.err == nil {
		tx.err = fmt.Errorf("dynamo: %s: %w", label, err)
	}
	tx.items = append(tx.items, it)
	tx.labels = append(tx.labels, label)
	return tx
}

func build(b expression.Builder) (expression.Expression, error) { return b.Build() }

// Create puts item only if no item has its key yet.
func (tx *Tx) Create(label string, item any) *Tx {
	cond := expression.AttributeNotExists(expression.Name(PK))
	return tx.Put(label, item, &cond)
}

// Put writes item, under cond when it is not nil.
func (tx *Tx) Put(label string, item any, cond *expression.ConditionBuilder) *Tx {
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		return tx.add(label, types.TransactWriteItem{}, err)
	}
	expr, err := condition(cond)
	if err != nil {
		return tx.add(label, types.TransactWriteItem{}, err)
	}
	return tx.add(label, types.TransactWriteItem{Put: &types.Put{TableName: &tx.table.Name, Item: av,
		ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()}}, nil)
}

// condition builds cond; a nil cond is no condition (an empty expression,
// whose parts are nil).
func condition(cond *expression.ConditionBuilder) (expression.Expression, error) {
	if cond == nil {
		return expression.Expression{}, nil
	}
	return build(expression.NewBuilder().WithCondition(*cond))
}

// Update applies upd to the item at k, under cond when it is not nil.
func (tx *Tx) Update(label string, k Key, upd expression.UpdateBuilder, cond *expression.ConditionBuilder) *Tx {
	b := expression.NewBuilder().WithUpdate(upd)
	if cond != nil {
		b = b.WithCondition(*cond)
	}
	expr, err := build(b)
	if err != nil {
		return tx.add(label, types.TransactWriteItem{}, err)
	}
	return tx.add(label, types.TransactWriteItem{Update: &types.Update{
		TableName:                 &tx.table.Name,
		Key:                       k.AV(),
		UpdateExpression:          expr.Update(),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	}}, nil)
}

// Delete removes the item at k, under cond when it is not nil.
func (tx *Tx) Delete(label string, k Key, cond *expression.ConditionBuilder) *Tx {
	expr, err := condition(cond)
	if err != nil {
		return tx.add(label, types.TransactWriteItem{}, err)
	}
	return tx.add(label, types.TransactWriteItem{Delete: &types.Delete{TableName: &tx.table.Name, Key: k.AV(),
		ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()}}, nil)
}

// Check asserts cond on the item at k without writing it.
func (tx *Tx) Check(label string, k Key, cond expression.ConditionBuilder) *Tx {
	expr, err := build(expression.NewBuilder().WithCondition(cond))
	if err != nil {
		return tx.add(label, types.TransactWriteItem{}, err)
	}
	return tx.add(label, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName:                 &tx.table.Name,
		Key:                       k.AV(),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	}}, nil)
}

// Emit adds the event to the transaction, to be published by the relay once
// the transaction commits.
func (tx *Tx) Emit(e event.Event, retentionDays int) *Tx {
	tx.events = append(tx.events, len(tx.items))
	return tx.Create("event "+string(e.Type), NewEventItem(e, retentionDays))
}

// stampTrace records ctx's trace on the event items, for the relay to
// continue it (EventItem.Trace).
func (tx *Tx) stampTrace(ctx context.Context) {
	h := tracing.Header(ctx)
	if h == "" {
		return
	}
	for _, i := range tx.events {
		if put := tx.items[i].Put; put != nil {
			put.Item["trace"] = &types.AttributeValueMemberS{Value: h}
		}
	}
}

// ConditionFailedError reports which items of a transaction failed their
// condition, by label, so that callers can say what conflicted.
type ConditionFailedError struct {
	Labels []string
}

func (e *ConditionFailedError) Error() string {
	return "dynamo: condition failed: " + strings.Join(e.Labels, ", ")
}

// Failed reports whether the item with label failed its condition.
func (e *ConditionFailedError) Failed(label string) bool {
	for _, l := range e.Labels {
		if l == label {
			return true
		}
	}
	return false
}

// Commit writes every item in one TransactWriteItems. A failed condition
// returns a *ConditionFailedError that also is a fault.Conflict, so that an
// unhandled race answers 409 rather than 500.
func (tx *Tx) Commit(ctx context.Context) error {
	if tx.err != nil {
		return tx.err
	}
	if len(tx.items) == 0 {
		return nil
	}
	if len(tx.items) > MaxTxItems {
		return fmt.Errorf("dynamo: transaction of %d items exceeds %d", len(tx.items), MaxTxItems)
	}
	tx.stampTrace(ctx)
	_, err := tx.table.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: tx.items,
		// The token makes the SDK's own retries of this call idempotent.
		ClientRequestToken: ptr(ident.Secret(24)),
	})
	if err == nil {
		return nil
	}
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) {
		var failed []string
		for i, r := range canceled.CancellationReasons {
			// TransactionConflict: another transaction was writing the same
			// item at that moment. Either way another request got there
			// first, and the caller decides what that means.
			code := aws.ToString(r.Code)
			if (code == "ConditionalCheckFailed" || code == "TransactionConflict") && i < len(tx.labels) {
				failed = append(failed, tx.labels[i])
			}
		}
		if len(failed) > 0 {
			cf := &ConditionFailedError{Labels: failed}
			return &fault.Error{Kind: fault.Conflict, Messages: []string{"the object was changed by another request; reload it and retry"}, Err: cf}
		}
	}
	return fmt.Errorf("dynamo: transact %d items (%s): %w", len(tx.items), strings.Join(tx.labels, ", "), Unavailable(err))
}

// AsConditionFailed returns the labels that failed when err came from a
// transaction's conditions.
func AsConditionFailed(err error) (*ConditionFailedError, bool) {
	var cf *ConditionFailedError
	ok := errors.As(err, &cf)
	return cf, ok
}

func ptr[T any](v T) *T { return &v }
