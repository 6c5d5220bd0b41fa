package app

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
)

// SQSHandler is the signature of a queue consumer.
type SQSHandler func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)

// StreamHandler is the signature of a DynamoDB stream consumer.
type StreamHandler func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error)

// ScheduleHandler is the signature of a scheduled run.
type ScheduleHandler func(context.Context, events.EventBridgeEvent) error

// Handlers are the event-source handlers of the template's functions, keyed
// by logical id (ApiFunction is served over HTTP and is not among them).
type Handlers struct {
	SQS      map[string]SQSHandler
	Stream   map[string]StreamHandler
	Schedule map[string]ScheduleHandler
}

// Handlers builds every function's event handlers, for the local runtime.
func (a *App) Handlers() (Handlers, error) {
	rl, err := a.Relay()
	if err != nil {
		return Handlers{}, err
	}
	return Handlers{
		SQS: map[string]SQSHandler{
			"FulfillmentFunction": a.Fulfillment().Handle,
			"DispatcherFunction":  a.Dispatcher().Handle,
			"UsageFunction":       a.Usage(),
			"BillingFunction":     a.Billing().Handle,
		},
		Stream: map[string]StreamHandler{"RelayFunction": rl.Handle},
		Schedule: map[string]ScheduleHandler{
			"FulfillmentFunction": a.Renewals(),
			"BillingFunction":     a.BillingSchedule(),
		},
	}, nil
}

// LambdaHandler is what lambda.Start runs: the raw event in, the response
// out.
type LambdaHandler func(ctx context.Context, raw json.RawMessage) (any, error)

// Functions lists the function names, as in functions/<name>.
func Functions() []string {
	names := make([]string, 0, len(functionKinds))
	for n := range functionKinds {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

var functionKinds = map[string]string{
	"api": "http", "relay": "stream", "fulfillment": "sqs+schedule",
	"dispatcher": "sqs", "usage": "sqs", "billing": "sqs+schedule",
}

// LambdaHandler returns the handler of function name ("api", "relay", …),
// decoding the raw event into its aws-lambda-go events type. The Lambda
// mains and `make invoke` both run it, so a sample event exercises exactly
// what Lambda runs.
func (a *App) LambdaHandler(name string) (LambdaHandler, error) {
	hs, err := a.Handlers()
	if err != nil {
		return nil, err
	}
	logical := LogicalID(name)
	switch functionKinds[name] {
	case "http":
		proxy := httpadapter.NewV2(a.API())
		return typed(proxy.ProxyWithContext), nil
	case "stream":
		return typed(hs.Stream[logical]), nil
	case "sqs":
		return typed(hs.SQS[logical]), nil
	case "sqs+schedule":
		return SQSOrSchedule(hs.SQS[logical], hs.Schedule[logical]), nil
	}
	return nil, fmt.Errorf("app: unknown function %q (have %v)", name, Functions())
}

// LogicalID returns the template logical id of function name: "relay" is
// "RelayFunction".
func LogicalID(name string) string {
	if name == "" {
		return ""
	}
	return string(name[0]-'a'+'A') + name[1:] + "Function"
}

func typed[In, Out any](fn func(context.Context, In) (Out, error)) LambdaHandler {
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		var in In
		if err := json.Unmarshal(raw, &in); err != nil {
			return nil, fmt.Errorf("decode %T: %w", in, err)
		}
		return fn(ctx, in)
	}
}

// SQSOrSchedule serves a function that template.yaml gives both an SQS and
// a Schedule event: Lambda hands both to the same handler, so it tells them
// apart by shape.
func SQSOrSchedule(onSQS SQSHandler, onSchedule ScheduleHandler) LambdaHandler {
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		var probe struct {
			Records    []json.RawMessage `json:"Records"`
			DetailType string            `json:"detail-type"`
		}
		if err := json.Unmarshal(raw, &probe); err != nil {
			return nil, fmt.Errorf("event is not JSON: %w", err)
		}
		switch {
		case probe.Records != nil:
			return typed(onSQS)(ctx, raw)
		case probe.DetailType != "":
			return typed(func(ctx context.Context, e events.EventBridgeEvent) (any, error) {
				return nil, onSchedule(ctx, e)
			})(ctx, raw)
		}
		return nil, fmt.Errorf("event is neither an SQS batch nor a scheduled event")
	}
}
