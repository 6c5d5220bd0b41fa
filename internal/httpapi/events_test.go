package httpapi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/mercato-dev/mercato/internal/dynamo"
)

type dynamodbOptions = dynamodb.Options

// accountEvents reads the outbox events of an account. Nothing in the
// platform lists an account's events (the items carry no index key), so
// the test scans its own small table.
func accountEvents(t *testing.T, f *fixture, accountID string) []dynamo.EventItem {
	t.Helper()
	filter := expression.Name("account").Equal(expression.Value(accountID)).
		And(expression.Name(dynamo.SK).Equal(expression.Value(dynamo.EventKey("").SK))).
		And(expression.Name(dynamo.PK).BeginsWith(dynamo.EventPrefix))
	expr, err := expression.NewBuilder().WithFilter(filter).Build()
	if err != nil {
		t.Fatal(err)
	}
	client, ok := f.app.Table.Client.(*dynamodb.Client)
	if !ok {
		t.Fatalf("table client is a %T, not the SDK's", f.app.Table.Client)
	}
	p := dynamodb.NewScanPaginator(client, &dynamodb.ScanInput{
		TableName:                 aws.String(f.app.Table.Name),
		FilterExpression:          expr.Filter(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
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

func containsEvent(items []dynamo.EventItem, typ, objectID string) bool {
	for _, it := range items {
		ev, err := it.Event()
		if err == nil && string(ev.Type) == typ && containsID(string(ev.Data), objectID) {
			return true
		}
	}
	return false
}

func containsID(data, id string) bool {
	return id != "" && strings.Contains(data, `"id":"`+id+`"`)
}
