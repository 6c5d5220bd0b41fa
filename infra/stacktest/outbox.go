package stacktest

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
)

// Outbox returns, as the SQS messages the relay would send, the committed
// events of type typ whose data contain match, except those seen holds
// (it adds the ones it returns): what a test hands a consumer itself,
// unit after unit, without running the relay. It scans the table.
func Outbox(t testing.TB, table *dynamo.Table, typ event.Type, match string, seen map[string]bool) []events.SQSMessage {
	t.Helper()
	filter := expression.Name("type").Equal(expression.Value(string(typ))).
		And(expression.Contains(expression.Name("data"), match))
	var out []events.SQSMessage
	for _, it := range TableEvents(t, table, filter) {
		if seen[it.ID] {
			continue
		}
		seen[it.ID] = true
		out = append(out, Message(t, it))
	}
	return out
}

// Message is the SQS message the relay publishes of an outbox item.
func Message(t testing.TB, it dynamo.EventItem) events.SQSMessage {
	t.Helper()
	e, err := it.Event()
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return events.SQSMessage{MessageId: e.ID, Body: string(body), MessageAttributes: map[string]events.SQSMessageAttribute{
		event.TypeAttribute: {DataType: "String", StringValue: aws.String(string(e.Type))}}}
}
