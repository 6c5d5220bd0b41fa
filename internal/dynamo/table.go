// Package dynamo is the single-table access layer: the table handle, the
// transaction builder that commits a state change together with its domain
// events (the transactional outbox), the stream image conversion the relay
// needs, and a call counter that tests and benchmarks use to keep every API
// operation to a known number of DynamoDB calls.
package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// API is the part of the DynamoDB client the platform uses.
type API interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	BatchWriteItem(context.Context, *dynamodb.BatchWriteItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	TransactGetItems(context.Context, *dynamodb.TransactGetItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactGetItemsOutput, error)
	DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
}

var _ API = (*dynamodb.Client)(nil)

// Key attribute names of the table and its indexes (template.yaml).
const (
	PK   = "pk"
	SK   = "sk"
	GSI1 = "gsi1"
	GSI2 = "gsi2"
	GSI3 = "gsi3"
	// GSI4 to GSI6 project keys only (template.yaml): they carry the lists
	// that grow with every order, whose items change often. An index
	// write there costs one unit whatever the item's size, and an update
	// that leaves the index key alone costs the index nothing.
	GSI4   = "gsi4"
	GSI5   = "gsi5"
	GSI6   = "gsi6"
	TTLKey = "expires_at"
)

// Key is an item's primary key.
type Key struct {
	PK string `dynamodbav:"pk"`
	SK string `dynamodbav:"sk"`
}

// AV returns the key as attribute values.
func (k Key) AV() map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		PK: &types.AttributeValueMemberS{Value: k.PK},
		SK: &types.AttributeValueMemberS{Value: k.SK},
	}
}

// Table is a handle on the platform's single table.
type Table struct {
	Client API
	Name   string
}

// ErrNotFound is returned by Get when no item has the key.
var ErrNotFound = errors.New("dynamo: item not found")

// Get reads one item into out with a strongly consistent read, so that an
// object is readable the moment its write returns.
func (t *Table) Get(ctx context.Context, k Key, out any) error {
	res, err := t.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      &t.Name,
		Key:            k.AV(),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return fmt.Errorf("dynamo: get %s/%s: %w", k.PK, k.SK, Unavailable(err))
	}
	if res.Item == nil {
		return ErrNotFound
	}
	if err := attributevalue.UnmarshalMap(res.Item, out); err != nil {
		return fmt.Errorf("dynamo: decode %s/%s: %w", k.PK, k.SK, err)
	}
	return nil
}

// GetAs reads the item at k as an R, as Get does; a missing item is the
// caller's own not-found error, missing.
func GetAs[R any](ctx context.Context, t *Table, k Key, missing error) (R, error) {
	var r R
	err := t.Get(ctx, k, &r)
	if errors.Is(err, ErrNotFound) {
		return r, missing
	}
	return r, err
}

// Page is one page of a Query.
type Page struct {
	Items []map[string]types.AttributeValue
	// Next is the key to continue from, nil on the last page.
	Next map[string]types.AttributeValue
}

// Query runs one Query call with the table name filled in.
func (t *Table) Query(ctx context.Context, in *dynamodb.QueryInput) (Page, error) {
	in.TableName = &t.Name
	res, err := t.Client.Query(ctx, in)
	if err != nil {
		return Page{}, fmt.Errorf("dynamo: query: %w", Unavailable(err))
	}
	return Page{Items: res.Items, Next: res.LastEvaluatedKey}, nil
}

// Ping reads a key that never exists, to prove the table answers with the
// least privilege the functions have (GetItem, not DescribeTable).
func (t *Table) Ping(ctx context.Context) error {
	_, err := t.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &t.Name,
		Key:       Key{PK: "HEALTH", SK: "HEALTH"}.AV(),
	})
	return err
}
