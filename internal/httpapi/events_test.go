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

// accountEvents reads the outbox events of an account through the account
// index.
func accountEvents(t *testing.T, f *fixture, accountID string) []dynamo.EventItem {
	t.Helper()
	kc := expression.Key("gsi1pk").Equal(expression.Value("EVENTS#" + accountID))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		t.Fatal(err)
	}
	page, err := f.app.Table.Query(context.Background(), &dynamodb.QueryInput{
		IndexName:                 aws.String(dynamo.GSI1),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	if err != nil {
		t.Fatal(err)
	}
	var items []dynamo.EventItem
	if err := attributevalue.UnmarshalListOfMaps(page.Items, &items); err != nil {
		t.Fatal(err)
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
