package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/mercato-dev/mercato/internal/app/apifn"
	"github.com/mercato-dev/mercato/internal/app/billingfn"
	"github.com/mercato-dev/mercato/internal/app/dispatcherfn"
	"github.com/mercato-dev/mercato/internal/app/filesfn"
	"github.com/mercato-dev/mercato/internal/app/fulfillmentfn"
	"github.com/mercato-dev/mercato/internal/app/function"
	"github.com/mercato-dev/mercato/internal/app/relayfn"
	"github.com/mercato-dev/mercato/internal/app/renderfn"
	"github.com/mercato-dev/mercato/internal/app/usagefn"
	"github.com/mercato-dev/mercato/internal/billing"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/httpapi/files"
	"github.com/mercato-dev/mercato/internal/markdown"
	"github.com/mercato-dev/mercato/internal/relay"
)

// The handler signatures (package function).
type (
	SQSHandler      = function.SQSHandler
	StreamHandler   = function.StreamHandler
	ScheduleHandler = function.ScheduleHandler
	// LambdaHandler is what lambda.Start runs: the raw event in, the
	// response out.
	LambdaHandler = function.LambdaHandler
)

// Function is one function of template.yaml: its name under functions/,
// and a builder per kind of event source it has. A builder builds only the
// services its handler uses and checks only their configuration.
type Function struct {
	Name string
	// Lambda is what functions/<name>/main.go runs: the handler built by
	// the function's own package, on clients and services of its own.
	Lambda   function.Builder
	HTTP     func(*App) (http.Handler, error)
	SQS      func(*App) (SQSHandler, error)
	Stream   func(*App) (StreamHandler, error)
	Schedule func(*App) (ScheduleHandler, error)
}

// LogicalID is the function's logical id in template.yaml: "relay" is
// "RelayFunction".
func (f Function) LogicalID() string { return LogicalID(f.Name) }

// The table of functions, for the local runtime. functions/<name>/main.go
// builds the same handler with the function's own package (relayfn.Lambda,
// …), which links only what that handler reaches.
var (
	APIFunction         = Function{Name: "api", Lambda: apifn.Lambda, HTTP: (*App).apiHandler}
	RelayFunction       = Function{Name: "relay", Lambda: relayfn.Lambda, Stream: (*App).relayHandler}
	FulfillmentFunction = Function{Name: "fulfillment", Lambda: fulfillmentfn.Lambda, SQS: (*App).fulfillmentHandler, Schedule: (*App).renewals}
	DispatcherFunction  = Function{Name: "dispatcher", Lambda: dispatcherfn.Lambda, SQS: (*App).dispatcherHandler}
	UsageFunction       = Function{Name: "usage", Lambda: usagefn.Lambda, SQS: (*App).usageHandler}
	BillingFunction     = Function{Name: "billing", Lambda: billingfn.Lambda, SQS: (*App).billingHandler, Schedule: (*App).billingSchedule}
	RenderFunction      = Function{Name: "render", Lambda: renderfn.Lambda, HTTP: (*App).renderHandler}
	FilesFunction       = Function{Name: "files", Lambda: filesfn.Lambda, HTTP: (*App).filesHandler}
)

// All is every function, in functions/ order.
func All() []Function {
	return []Function{APIFunction, BillingFunction, DispatcherFunction, FilesFunction, FulfillmentFunction, RelayFunction, RenderFunction, UsageFunction}
}

// Functions lists the function names, as in functions/<name>.
func Functions() []string {
	names := make([]string, 0, 8)
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
// by logical id (ApiFunction, RenderFunction and FilesFunction are served
// over HTTP and are not among them).
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
	tracer := a.Tracer.Tracer("mercato/app")
	for id, h := range hs.SQS {
		hs.SQS[id] = function.Traced(tracer, id, h)
	}
	for id, h := range hs.Stream {
		hs.Stream[id] = function.Traced(tracer, id, h)
	}
	for id, h := range hs.Schedule {
		run := function.Traced(tracer, id, func(ctx context.Context, e events.EventBridgeEvent) (struct{}, error) { return struct{}{}, h(ctx, e) })
		hs.Schedule[id] = func(ctx context.Context, e events.EventBridgeEvent) error { _, err := run(ctx, e); return err }
	}
	return hs, nil
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

// API returns the platform's HTTP handler: the api function's, which serves
// the render and the files routes as well, so that one local server answers
// every route the gateway sends to ApiFunction, RenderFunction or
// FilesFunction.
func (a *App) API() http.Handler {
	h, _ := a.apiHandler()
	return h
}

func (a *App) apiHandler() (http.Handler, error) {
	return apifn.Handler(a.Base, a.Core, apifn.Services{
		Ordering:    a.Ordering(),
		Fulfillment: a.Fulfillment(),
		Webhooks:    a.Webhooks(),
		Markdown:    markdown.HTML,
		Files:       files.Routes(filesfn.Config(a.Base, a.Core, a.filesServices())),
	}), nil
}

// filesServices are the files routes' services, on the app's clients.
func (a *App) filesServices() filesfn.Services {
	return filesfn.Services{Usage: a.UsageFiles(), Invoices: billing.NewReader(a.Biller().Store(), a.Exports(), a.Now)}
}

// filesHandler is FilesFunction's HTTP handler: the files routes only.
func (a *App) filesHandler() (http.Handler, error) {
	return filesfn.Handler(a.Base, a.Core, a.filesServices()), nil
}

// renderHandler is RenderFunction's HTTP handler: the render routes only.
func (a *App) renderHandler() (http.Handler, error) {
	return renderfn.Handler(a.Base, a.Core, a.Fulfillment()), nil
}

// Relay returns the relay: RelayFunction's stream handler.
func (a *App) Relay() (*relay.Relay, error) { return relayfn.Relay(a.Base) }

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
	return dispatcherfn.Handler(a.Base, a.webhookWiring), nil
}

// fulfillmentWorker builds the fulfillment worker on the app's services.
func (a *App) fulfillmentWorker() *fulfillment.Worker {
	return fulfillmentfn.NewWorker(a.Base, a.Core, fulfillmentfn.Worker{Ordering: a.Ordering(), Fulfillment: a.Fulfillment(), Mailer: a.Mailer()})
}

// fulfillmentHandler is FulfillmentFunction's queue handler: order
// roll-ups, e-mails and auto-approval on request events.
func (a *App) fulfillmentHandler() (SQSHandler, error) {
	return fulfillmentfn.Handler(a.Base, a.fulfillmentWorker()), nil
}

// renewals is FulfillmentFunction's scheduled handler: the daily
// subscription renewals.
func (a *App) renewals() (ScheduleHandler, error) {
	return a.fulfillmentWorker().Scheduled, nil
}

// usageHandler is UsageFunction's handler of S3 notifications.
func (a *App) usageHandler() (SQSHandler, error) {
	return usagefn.Handler(a.Base, a.UsageProcessor()), nil
}

// billingHandler is BillingFunction's queue handler: an accepted usage
// file is billed at once.
func (a *App) billingHandler() (SQSHandler, error) {
	return billingfn.Handler(a.Base, a.Biller()), nil
}

// billingSchedule is BillingFunction's daily run over every provider.
func (a *App) billingSchedule() (ScheduleHandler, error) {
	return billingfn.Schedule(a.Base, a.Biller()), nil
}

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
	return LambdaHandler(function.Traced(a.Tracer.Tracer("mercato/app"), f.LogicalID(), h)), nil
}

func (a *App) handler(f Function) (LambdaHandler, error) {
	switch {
	case f.HTTP != nil:
		h, err := f.HTTP(a)
		if err != nil {
			return nil, err
		}
		return function.Typed(httpadapter.NewV2(h).ProxyWithContext), nil
	case f.Stream != nil:
		h, err := f.Stream(a)
		if err != nil {
			return nil, err
		}
		return function.Typed(h), nil
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
		return function.Typed(h), nil
	}
	return nil, fmt.Errorf("app: function %q has no handler", f.Name)
}

// LogicalID returns the template logical id of function name: "relay" is
// "RelayFunction".
func LogicalID(name string) string { return function.LogicalID(name) }

// SQSOrSchedule serves a function that has both an SQS and a Schedule event
// (function.SQSOrSchedule).
func SQSOrSchedule(onSQS SQSHandler, onSchedule ScheduleHandler) LambdaHandler {
	return function.SQSOrSchedule(onSQS, onSchedule)
}
