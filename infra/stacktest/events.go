package stacktest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/dynamo"
)

// Events reads the outbox event items of a's table that match filter, with
// a consistent scan. Nothing in the platform lists events (their items
// carry no index key), so a test that checks what was emitted scans its
// own small table.
func Events(t testing.TB, a *app.App, filter expression.ConditionBuilder) []dynamo.EventItem {
	t.Helper()
	return TableEvents(t, a.Table, filter)
}

// TableEvents is Events on a table of the test's own (a table whose client
// wraps the SDK's is given with the SDK's client).
func TableEvents(t testing.TB, table *dynamo.Table, filter expression.ConditionBuilder) []dynamo.EventItem {
	t.Helper()
	isEvent := expression.Name(dynamo.SK).Equal(expression.Value(dynamo.EventKey("").SK)).
		And(expression.Name(dynamo.PK).BeginsWith(dynamo.EventPrefix))
	expr, err := expression.NewBuilder().WithFilter(filter.And(isEvent)).Build()
	if err != nil {
		t.Fatal(err)
	}
	client, ok := table.Client.(*dynamodb.Client)
	if !ok {
		t.Fatalf("table client is a %T, not the SDK's", table.Client)
	}
	p := dynamodb.NewScanPaginator(client, &dynamodb.ScanInput{
		TableName:                 aws.String(table.Name),
		FilterExpression:          expr.Filter(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ConsistentRead:            aws.Bool(true),
	})
	var items []dynamo.EventItem
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var got []dynamo.EventItem
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &got); err != nil {
			t.Fatal(err)
		}
		items = append(items, got...)
	}
	return items
}
