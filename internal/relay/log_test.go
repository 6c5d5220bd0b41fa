package relay_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/logging"
	"github.com/mercato-dev/mercato/internal/relay"
)

// TestRelay_LogsCarryRequestID feeds the relay an outbox record it cannot
// decode (it stops there without calling AWS) and checks that the line it
// logs names the invocation: Lambda's request id, else the first record's.
func TestRelay_LogsCarryRequestID(t *testing.T) {
	in := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{{
		EventID:   "stream-record-1",
		EventName: string(events.DynamoDBOperationTypeInsert),
		Change: events.DynamoDBStreamRecord{
			SequenceNumber: "100",
			Keys:           map[string]events.DynamoDBAttributeValue{dynamo.PK: events.NewStringAttribute(dynamo.EventPrefix + "broken"), dynamo.SK: events.NewStringAttribute("EVENT")},
		},
	}}}
	lambdaCtx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "lambda-req-7"})
	tests := []struct {
		name string
		ctx  context.Context
		want string
	}{
		{"in lambda", lambdaCtx, "lambda-req-7"},
		{"local runtime", context.Background(), "stream-record-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			rl, err := relay.New(relay.Config{
				Logger: logging.New(&buf, slog.LevelDebug),
				Queues: map[event.Route]string{event.RouteFulfillment: "f", event.RouteWebhook: "w", event.RouteBilling: "b", event.RouteUsage: "u"},
			})
			if err != nil {
				t.Fatal(err)
			}
			resp, err := rl.Handle(tt.ctx, in)
			if err != nil || len(resp.BatchItemFailures) != 1 {
				t.Fatalf("Handle = %+v, %v; want the broken record reported", resp, err)
			}
			lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
			if len(lines) == 0 || len(buf.Bytes()) == 0 {
				t.Fatal("the relay logged nothing")
			}
			for _, raw := range lines {
				var line map[string]any
				if err := json.Unmarshal(raw, &line); err != nil {
					t.Fatalf("not JSON: %s", raw)
				}
				if line["request_id"] != tt.want {
					t.Errorf("request_id = %v, want %s: %s", line["request_id"], tt.want, raw)
				}
			}
		})
	}
}
