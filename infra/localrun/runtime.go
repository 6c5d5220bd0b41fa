// Package localrun drives the platform's Lambda handler functions locally
// from the event sources that template.yaml declares (SQS queues, DynamoDB
// streams, schedules), with Lambda's semantics: batch sizes and batching
// windows, partial batch failures, visibility timeouts with the queue's own
// redrive to its DLQ, in-order stream delivery with retries, bisection and
// an on-failure destination. It is what `make run` uses besides serving the
// HTTP API, so the local stack runs the same handler code as the Lambdas.
package localrun

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/mercato-dev/mercato/infra/stack"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/sleep"
)

// Config configures a Runtime.
type Config struct {
	AWS      aws.Config
	Stack    *stack.Stack
	Handlers app.Handlers
	Logger   *slog.Logger // nil: slog.Default()
	// PollWait is the SQS long-poll wait; default 1s so that cancellation
	// is quick. SQS takes whole seconds up to 20; below half a second the
	// poller short-polls and sleeps PollWait between empty receives.
	PollWait time.Duration
	// FailedVisibility, when > 0, makes failed SQS messages visible again
	// after this long instead of after the queue's VisibilityTimeout (which
	// is what Lambda does), to compress retries in tests and locally.
	FailedVisibility time.Duration
	// ScheduleEvery overrides, per function logical id, the period of its
	// Schedule sources.
	ScheduleEvery map[string]time.Duration
}

// Runtime runs the pollers of every event source of a template.
type Runtime struct {
	cfg     Config
	log     *slog.Logger
	sqs     *sqs.Client
	streams *dynamodbstreams.Client
	sources []source
}

// source is one driven event source.
type source interface {
	// describe is a human-readable line for the ready banner.
	describe() string
	// prepare resolves the source's resources before anything runs.
	prepare(ctx context.Context) error
	// run polls until ctx is done. It returns nil on cancellation and an
	// error only when the source cannot go on at all.
	run(ctx context.Context) error
	// quietSince says whether the source has found nothing to do in a poll
	// that began at or after t, and nothing since.
	quietSince(t time.Time) bool
}

const (
	defaultPollWait = time.Second
	// handlerGrace is how long a cancelled invocation may take to return
	// before Run stops waiting for it.
	handlerGrace = time.Second
	// settleTimeout bounds the calls that record an invocation's outcome
	// (delete, change visibility, send to the on-failure queue), which run
	// even while shutting down so that finished work is not redone.
	settleTimeout = 5 * time.Second
	// retryPause is how long a poller waits after a failed AWS call.
	retryPause = time.Second
)

// New checks that every SQS, DynamoDB and enabled Schedule event source in
// the stack's template has a handler for its function, and that every
// handler has a source, and returns a Runtime for them. HttpApi events are
// not driven here; other event types are refused so none goes silently
// undriven.
func New(cfg Config) (*Runtime, error) {
	if cfg.Stack == nil || cfg.Stack.Template == nil {
		return nil, errors.New("localrun: Config.Stack with its Template is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.PollWait <= 0 {
		cfg.PollWait = defaultPollWait
	}
	r := &Runtime{
		cfg:     cfg,
		log:     cfg.Logger,
		sqs:     sqs.NewFromConfig(cfg.AWS),
		streams: dynamodbstreams.NewFromConfig(cfg.AWS),
	}
	used := map[string]bool{}
	var errs []error
	for _, fn := range cfg.Stack.Template.Functions() {
		for _, ev := range fn.Events {
			src, key, err := r.newSource(fn, ev)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if src != nil {
				used[key] = true
				r.sources = append(r.sources, src)
			}
		}
	}
	errs = append(errs, unusedHandlers(cfg.Handlers, used)...)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("localrun: %w", err)
	}
	return r, nil
}

// newSource builds the source of one event; it returns a nil source for
// events that are not driven here, and the handler key it uses.
func (r *Runtime) newSource(fn stack.Function, ev stack.EventSource) (source, string, error) {
	missing := func(kind string) error {
		return fmt.Errorf("function %s event %s (%s): no %s handler registered for %s", fn.LogicalID, ev.Name, ev.Type, kind, fn.LogicalID)
	}
	base := sourceBase{rt: r, fn: fn, event: ev.Name, polls: &polls{}}
	switch ev.Type {
	case stack.EventHttpApi:
		return nil, "", nil
	case stack.EventSQS:
		h, ok := r.cfg.Handlers.SQS[fn.LogicalID]
		if !ok {
			return nil, "", missing("SQS")
		}
		return &sqsSource{sourceBase: base, spec: *ev.SQS, handler: h}, "SQS/" + fn.LogicalID, nil
	case stack.EventDynamoDB:
		h, ok := r.cfg.Handlers.Stream[fn.LogicalID]
		if !ok {
			return nil, "", missing("Stream")
		}
		return &streamSource{sourceBase: base, spec: *ev.DynamoDB, handler: h}, "Stream/" + fn.LogicalID, nil
	case stack.EventSchedule:
		if !ev.Schedule.Enabled {
			return nil, "", nil
		}
		h, ok := r.cfg.Handlers.Schedule[fn.LogicalID]
		if !ok {
			return nil, "", missing("Schedule")
		}
		src, err := newScheduleSource(base, *ev.Schedule, h, r.cfg.ScheduleEvery[fn.LogicalID])
		return src, "Schedule/" + fn.LogicalID, err
	}
	return nil, "", fmt.Errorf("function %s event %s: event type %s cannot be driven locally", fn.LogicalID, ev.Name, ev.Type)
}

// unusedHandlers reports handlers that no event source would ever call,
// which is a wiring mistake just like a missing one.
func unusedHandlers(h app.Handlers, used map[string]bool) []error {
	var errs []error
	check := func(kind string, ids []string) {
		for _, id := range ids {
			if !used[kind+"/"+id] {
				errs = append(errs, fmt.Errorf("%s handler registered for %s, but the template gives it no %s event source", kind, id, kind))
			}
		}
	}
	check("SQS", slices.Sorted(maps.Keys(h.SQS)))
	check("Stream", slices.Sorted(maps.Keys(h.Stream)))
	check("Schedule", slices.Sorted(maps.Keys(h.Schedule)))
	return errs
}

// Sources describes each driven source, one line each.
func (r *Runtime) Sources() []string {
	out := make([]string, 0, len(r.sources))
	for _, s := range r.sources {
		out = append(out, s.describe())
	}
	return out
}

// QuietSince reports whether every source has polled and found nothing to
// do since t, and found nothing since: every stream record and queued
// message there was at t has been handled (messages that a visibility
// timeout or a delay hides are not seen). A handler's own sends are new
// work for the source they reach, which is not quiet again until it has
// handled them.
func (r *Runtime) QuietSince(t time.Time) bool {
	for _, s := range r.sources {
		if !s.quietSince(t) {
			return false
		}
	}
	return true
}

// Run resolves every source's resources, then polls them all until ctx is
// cancelled. It returns nil on cancellation. Transient AWS errors are
// logged and retried; an error is returned only when a source cannot start.
// A Runtime runs once: the stream sources keep their checkpoints in it.
func (r *Runtime) Run(ctx context.Context) error {
	for _, s := range r.sources {
		if err := s.prepare(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("localrun: %s: %w", s.describe(), err)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, len(r.sources))
	var wg sync.WaitGroup
	for _, s := range r.sources {
		wg.Go(func() {
			if err := s.run(ctx); err != nil {
				errc <- fmt.Errorf("localrun: %s: %w", s.describe(), err)
				cancel()
			}
		})
	}
	wg.Wait()
	close(errc)
	return <-errc
}

// sourceBase is what every source knows about its function.
type sourceBase struct {
	rt    *Runtime
	fn    stack.Function
	event string
	polls *polls
}

func (b sourceBase) quietSince(t time.Time) bool { return b.polls.quietSince(t) }

// polls remembers when a source last found nothing to do.
type polls struct {
	empty atomic.Int64 // UnixNano start of the latest empty poll; 0 once a poll finds work
}

// found records a poll that began at start and found work or not.
func (p *polls) found(start time.Time, work bool) {
	if work {
		p.empty.Store(0)
		return
	}
	p.empty.Store(start.UnixNano())
}

func (p *polls) quietSince(t time.Time) bool {
	e := p.empty.Load()
	return e != 0 && e >= t.UnixNano()
}

func (b sourceBase) logger() *slog.Logger {
	return b.rt.log.With("function", b.fn.LogicalID, "source", b.event)
}

func (b sourceBase) region() string {
	if r := b.rt.cfg.Stack.Region(); r != "" {
		return r
	}
	return b.rt.cfg.AWS.Region
}

// invoke calls a handler as Lambda would: with the function's timeout as
// deadline, a Lambda context, and a panic turned into an error. A handler
// that outlives its deadline (or ctx's cancellation) by handlerGrace is
// abandoned and counts as failed, since a local goroutine cannot be killed
// the way Lambda kills a timed-out sandbox.
func invoke[T any](ctx context.Context, b sourceBase, call func(context.Context) (T, error)) (T, error) {
	timeout := time.Duration(b.fn.Timeout) * time.Second
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       newUUID(),
		InvokedFunctionArn: fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s-%s", b.region(), b.rt.cfg.Stack.AccountID(), b.rt.cfg.Stack.Name, b.fn.LogicalID),
	})

	type result struct {
		resp T
		err  error
	}
	done := make(chan result, 1)
	go func() {
		var res result
		defer func() {
			if p := recover(); p != nil {
				res.err = fmt.Errorf("handler panicked: %v\n%s", p, debug.Stack())
			}
			done <- res
		}()
		res.resp, res.err = call(ctx)
	}()

	select {
	case res := <-done:
		return res.resp, res.err
	case <-ctx.Done():
	}
	select {
	case res := <-done:
		return res.resp, res.err
	case <-time.After(handlerGrace):
		var zero T
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return zero, fmt.Errorf("task timed out after %d seconds", b.fn.Timeout)
		}
		return zero, fmt.Errorf("handler abandoned at shutdown: %w", ctx.Err())
	}
}

// settleContext is for the calls that record an invocation's outcome: they
// must happen even when ctx was just cancelled.
func settleContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
}

// pause waits d or until ctx is done, and reports whether ctx is still live.
func pause(ctx context.Context, d time.Duration) bool { return sleep.For(ctx, d) == nil }

func joinNonEmpty(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ", ")
}
