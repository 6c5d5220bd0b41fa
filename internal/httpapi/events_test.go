package httpapi_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/dynamo"
)

type dynamodbOptions = dynamodb.Options

// accountEvents reads the outbox events of an account.
func accountEvents(t *testing.T, f *fixture, accountID string) []dynamo.EventItem {
	t.Helper()
	return stacktest.Events(t, f.app, expression.Name("account").Equal(expression.Value(accountID)))
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
