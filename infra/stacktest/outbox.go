package stacktest

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
)

// Outbox returns, as the SQS messages the relay would send, the committed
// events of type typ whose data contain match, except those seen holds
// (it adds the ones it returns): what a test hands a consumer itself,
// unit after unit, without running the relay. It scans the table.
func Outbox(t testing.TB, table *dynamo.Table, typ event.Type, match string, seen map[string]bool) []events.SQSMessage {
	t.Helper()
	client, ok := table.Client.(*dynamodb.Client)
	if !ok {
		t.Fatalf("table client is a %T, not the SDK's", table.Client)
	}
	filter := expression.Name("type").Equal(expression.Value(string(typ))).
		And(expression.Name(dynamo.SK).Equal(expression.Value(dynamo.EventKey("").SK))).
		And(expression.Contains(expression.Name("data"), match))
	expr, err := expression.NewBuilder().WithFilter(filter).Build()
	if err != nil {
		t.Fatal(err)
	}
	p := dynamodb.NewScanPaginator(client, &dynamodb.ScanInput{TableName: aws.String(table.Name), FilterExpression: expr.Filter(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(), ConsistentRead: aws.Bool(true)})
	var out []events.SQSMessage
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var items []dynamo.EventItem
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &items); err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if seen[it.ID] {
				continue
			}
			seen[it.ID] = true
			e, err := it.Event()
			if err != nil {
				t.Fatal(err)
			}
			body, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, events.SQSMessage{MessageId: e.ID, Body: string(body), MessageAttributes: map[string]events.SQSMessageAttribute{
				event.TypeAttribute: {DataType: "String", StringValue: aws.String(string(e.Type))}}})
		}
	}
	return out
}
