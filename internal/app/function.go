package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/mercato-dev/mercato/internal/billing"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/httpapi"
	"github.com/mercato-dev/mercato/internal/portal"
	"github.com/mercato-dev/mercato/internal/relay"
	"github.com/mercato-dev/mercato/internal/tracing"
)

// SQSHandler is the signature of a queue consumer.
type SQSHandler func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)

// StreamHandler is the signature of a DynamoDB stream consumer.
type StreamHandler func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error)

// ScheduleHandler is the signature of a scheduled run.
type ScheduleHandler func(context.Context, events.EventBridgeEvent) error

// Function is one function of template.yaml: its name under functions/,
// and a builder per kind of event source it has. A builder builds only the
// services its handler uses and checks only their configuration.
type Function struct {
	Name     string
	HTTP     func(*App) (http.Handler, error)
	SQS      func(*App) (SQSHandler, error)
	Stream   func(*App) (StreamHandler, error)
	Schedule func(*App) (ScheduleHandler, error)
}

// LogicalID is the function's logical id in template.yaml: "relay" is
// "RelayFunction".
func (f Function) LogicalID() string { return LogicalID(f.Name) }

// The table of functions. A main references one entry, so its binary links
// only that entry's builders and what they reach.
var (
	APIFunction         = Function{Name: "api", HTTP: (*App).apiHandler}
	RelayFunction       = Function{Name: "relay", Stream: (*App).relayHandler}
	FulfillmentFunction = Function{Name: "fulfillment", SQS: (*App).fulfillmentHandler, Schedule: (*App).renewals}
	DispatcherFunction  = Function{Name: "dispatcher", SQS: (*App).dispatcherHandler}
	UsageFunction       = Function{Name: "usage", SQS: (*App).usageHandler}
	BillingFunction     = Function{Name: "billing", SQS: (*App).billingHandler, Schedule: (*App).billingSchedule}
)

// All is every function, in functions/ order.
func All() []Function {
	return []Function{APIFunction, BillingFunction, DispatcherFunction, FulfillmentFunction, RelayFunction, UsageFunction}
}

// Functions lists the function names, as in functions/<name>.
func Functions() []string {
	names := make([]string, 0, 6)
	for _, f := range All() {
		names = append(names, f.Name)
	}
	return names
}

// Lookup finds a function by name.
func Lookup(name string) (Function, error) {
	for _, f := range All() {
		if f.Name == name {
			return f, nil
		}
	}
	return Function{}, fmt.Errorf("app: unknown function %q (have %v)", name, Functions())
}

// Handlers are the event-source handlers of the template's functions, keyed
// by logical id (ApiFunction is served over HTTP and is not among them).
type Handlers struct {
	SQS      map[string]SQSHandler
	Stream   map[string]StreamHandler
	Schedule map[string]ScheduleHandler
}

// Handlers builds the event handlers of fns (every function when none is
// given), for the local runtime.
func (a *App) Handlers(fns ...Function) (Handlers, error) {
	if len(fns) == 0 {
		fns = All()
	}
	hs := Handlers{SQS: map[string]SQSHandler{}, Stream: map[string]StreamHandler{}, Schedule: map[string]ScheduleHandler{}}
	var errs []error
	for _, f := range fns {
		id := f.LogicalID()
		errs = append(errs, build(a, f.SQS, id, hs.SQS), build(a, f.Stream, id, hs.Stream), build(a, f.Schedule, id, hs.Schedule))
	}
	if err := errors.Join(errs...); err != nil {
		return Handlers{}, err
	}
	tracer := a.tracer.Tracer("mercato/app")
	for id, h := range hs.SQS {
		hs.SQS[id] = traced(tracer, id, h)
	}
	for id, h := range hs.Stream {
		hs.Stream[id] = traced(tracer, id, h)
	}
	for id, h := range hs.Schedule {
		run := traced(tracer, id, func(ctx context.Context, e events.EventBridgeEvent) (struct{}, error) { return struct{}{}, h(ctx, e) })
		hs.Schedule[id] = func(ctx context.Context, e events.EventBridgeEvent) error { _, err := run(ctx, e); return err }
	}
	return hs, nil
}

// traced runs h under a span of the invocation, the child of Lambda's own
// segment when there is one; the consumers' spans hang below it.
func traced[In, Out any](tracer trace.Tracer, name string, h func(context.Context, In) (Out, error)) func(context.Context, In) (Out, error) {
	return func(ctx context.Context, in In) (Out, error) {
		ctx, span := tracer.Start(tracing.FromLambda(ctx), name, trace.WithSpanKind(trace.SpanKindServer))
		defer span.End()
		out, err := h(ctx, in)
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
		}
		return out, err
	}
}

func build[H any](a *App, builder func(*App) (H, error), id string, into map[string]H) error {
	if builder == nil {
		return nil
	}
	h, err := builder(a)
	if err != nil {
		return fmt.Errorf("%s: %w", id, err)
	}
	into[id] = h
	return nil
}

// API returns the HTTP handler of the api function.
func (a *App) API() http.Handler {
	h, _ := a.apiHandler()
	return h
}

func (a *App) apiHandler() (http.Handler, error) {
	if !a.tracing {
		return a.httpAPI(), nil
	}
	// A request's span is the child of the invocation's (Lambda's segment);
	// a trace header a client sends is not trusted with the trace.
	return otelhttp.NewHandler(a.httpAPI(), "api",
		otelhttp.WithTracerProvider(a.tracer),
		otelhttp.WithPropagators(propagation.NewCompositeTextMapPropagator()),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return "api " + r.Method }),
	), nil
}

func (a *App) httpAPI() http.Handler {
	return httpapi.New(httpapi.Config{
		Accounts:      a.Accounts,
		Catalog:       a.Catalog,
		Ordering:      a.Ordering(),
		Fulfillment:   a.Fulfillment(),
		Webhooks:      a.Webhooks(),
		Usage:         a.UsageFiles(),
		Invoices:      billing.NewReader(a.Biller().Store(), a.Exports(), a.now),
		Sessions:      portal.NewSessions(a.Table, a.Accounts, a.now, a.Config.PortalSessionTTL),
		Portal:        portal.NewAssets(portal.Built()),
		PublicBaseURL: a.Config.PublicBaseURL,
		Logger:        a.Log,
		MaxBodyBytes:  a.Config.MaxBodyBytes,
		Now:           a.now,
		// The API's dependencies: the table, and the usage bucket it uploads
		// to and reads from. It sends to no queue.
		Checks: []httpapi.Check{
			{Name: "dynamodb", Ping: a.Table.Ping},
			{Name: "s3", Ping: a.pingUsageBucket},
		},
	})
}

// pingUsageBucket reaches S3 with HeadBucket, which also tells that the
// usage bucket exists and the role may use it.
func (a *App) pingUsageBucket(ctx context.Context) error {
	_, err := a.S3().HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(a.Config.UsageBucket)})
	if err != nil {
		return fmt.Errorf("head bucket %s: %w", a.Config.UsageBucket, err)
	}
	return nil
}

// Relay returns the relay: RelayFunction's stream handler.
func (a *App) Relay() (*relay.Relay, error) {
	return relay.New(relay.Config{
		Table: a.Table,
		SQS:   a.SQS,
		Queues: map[event.Route]string{
			event.RouteFulfillment: a.Config.FulfillmentQueue,
			event.RouteWebhook:     a.Config.WebhookQueue,
			event.RouteBilling:     a.Config.BillingQueue,
		},
		Logger:  a.Log,
		Metrics: a.Metrics,
	})
}

func (a *App) relayHandler() (StreamHandler, error) {
	rl, err := a.Relay()
	if err != nil {
		return nil, err
	}
	return rl.Handle, nil
}

// dispatcherHandler is the webhook queue's handler, which schedules its
// retries on the same queue.
func (a *App) dispatcherHandler() (SQSHandler, error) {
	return a.webhookDispatcher(a.SQS).Handle, nil
}

// LambdaHandler is what lambda.Start runs: the raw event in, the response
// out.
type LambdaHandler func(ctx context.Context, raw json.RawMessage) (any, error)

// LambdaHandler returns the handler of function name ("api", "relay", …),
// decoding the raw event into its aws-lambda-go events type. `make invoke`
// runs it, so a sample event exercises exactly what Lambda runs.
func (a *App) LambdaHandler(name string) (LambdaHandler, error) {
	f, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	return a.Handler(f)
}

// Handler builds f's Lambda handler, which runs under a span of the
// invocation.
func (a *App) Handler(f Function) (LambdaHandler, error) {
	h, err := a.handler(f)
	if err != nil {
		return nil, err
	}
	return LambdaHandler(traced(a.tracer.Tracer("mercato/app"), f.LogicalID(), h)), nil
}

func (a *App) handler(f Function) (LambdaHandler, error) {
	switch {
	case f.HTTP != nil:
		h, err := f.HTTP(a)
		if err != nil {
			return nil, err
		}
		return typed(httpadapter.NewV2(h).ProxyWithContext), nil
	case f.Stream != nil:
		h, err := f.Stream(a)
		if err != nil {
			return nil, err
		}
		return typed(h), nil
	case f.SQS != nil && f.Schedule != nil:
		onSQS, err := f.SQS(a)
		if err != nil {
			return nil, err
		}
		onSchedule, err := f.Schedule(a)
		if err != nil {
			return nil, err
		}
		return SQSOrSchedule(onSQS, onSchedule), nil
	case f.SQS != nil:
		h, err := f.SQS(a)
		if err != nil {
			return nil, err
		}
		return typed(h), nil
	}
	return nil, fmt.Errorf("app: function %q has no handler", f.Name)
}

// Start is all a Lambda main does: boot once per cold start, then hand f's
// handler to lambda.Start. A boot failure exits non-zero so that Lambda
// reports an init error rather than serving broken requests.
func Start(f Function) {
	a, err := Boot(context.Background())
	var h LambdaHandler
	if err == nil {
		h, err = a.Handler(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", f.Name, err)
		os.Exit(1)
	}
	lambda.Start(h)
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
