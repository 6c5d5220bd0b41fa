// Package consumer runs the SQS side of the platform with Lambda's partial
// batch semantics: each message is handled on its own, a failure or a panic
// fails only that message (reported in BatchItemFailures so SQS redelivers it
// and, after maxReceiveCount, moves it to the DLQ), and the rest of the batch
// goes on.
package consumer

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/aws/aws-lambda-go/events"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/logging"
	"github.com/mercato-dev/mercato/internal/tracing"
)

// MessageFunc handles one SQS message.
type MessageFunc func(ctx context.Context, msg events.SQSMessage) error

// Batch handles every message of a batch with fn and reports the failed
// ones. It never fails the whole batch for one message.
func Batch(ctx context.Context, log *slog.Logger, name string, in events.SQSEvent, fn MessageFunc) events.SQSEventResponse {
	var resp events.SQSEventResponse
	tracer := trace.SpanFromContext(ctx).TracerProvider().Tracer("mercato/consumer")
	for _, msg := range in.Records {
		mctx, _ := logging.WithScope(ctx, msg.MessageId)
		mctx, span := startMessage(mctx, tracer, name, msg)
		err := safely(mctx, msg, fn)
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
		if err != nil {
			log.WarnContext(mctx, name+": message failed; it will be retried",
				slog.String("message_id", msg.MessageId),
				slog.String("receive_count", msg.Attributes["ApproximateReceiveCount"]),
				slog.String("error", err.Error()))
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
		}
	}
	return resp
}

// startMessage starts the message's span: a child of the span the relay
// published it under (the X-Amzn-Trace-Id message attribute), linked to the
// invocation that received it.
func startMessage(ctx context.Context, tracer trace.Tracer, name string, msg events.SQSMessage) (context.Context, trace.Span) {
	var parent string
	if a, ok := msg.MessageAttributes[tracing.HeaderKey]; ok && a.StringValue != nil {
		parent = *a.StringValue
	}
	return tracer.Start(tracing.Extract(ctx, parent), name+" message",
		trace.WithSpanKind(trace.SpanKindConsumer), trace.WithLinks(trace.LinkFromContext(ctx)))
}

func safely(ctx context.Context, msg events.SQSMessage, fn MessageFunc) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v\n%s", v, debug.Stack())
		}
	}()
	return fn(ctx, msg)
}

// EventFunc handles one domain event.
type EventFunc func(ctx context.Context, e event.Event) error

// Events is an SQS handler for queues the relay feeds: it decodes each
// message as an event envelope and calls the function registered for its
// type. Types with no function are acknowledged: the relay routes by object,
// and a consumer may care about only some of an object's events.
type Events struct {
	Name     string
	Logger   *slog.Logger
	Handlers map[event.Type]EventFunc
}

// Handle processes a batch.
func (c *Events) Handle(ctx context.Context, in events.SQSEvent) (events.SQSEventResponse, error) {
	return Batch(ctx, c.Logger, c.Name, in, c.Message), nil
}

// Message handles one message of a batch, for a handler whose queue also
// carries messages that are not events (see event.TypeAttribute).
func (c *Events) Message(ctx context.Context, msg events.SQSMessage) error {
	var e event.Event
	if err := json.Unmarshal([]byte(msg.Body), &e); err != nil || e.ID == "" || e.Type == "" {
		// A body that is not an envelope will never become one: failing it
		// sends it to the DLQ after its retries, where an operator sees it.
		return fmt.Errorf("%s: message %s is not an event envelope", c.Name, msg.MessageId)
	}
	logging.ScopeFrom(ctx).SetAccount(e.Account)
	fn, ok := c.Handlers[e.Type]
	if !ok {
		c.Logger.DebugContext(ctx, c.Name+": no handler for event type; acknowledged",
			slog.String("event_id", e.ID), slog.String("event_type", string(e.Type)))
		return nil
	}
	if err := fn(ctx, e); err != nil {
		return fmt.Errorf("%s: %s %s: %w", c.Name, e.Type, e.ID, err)
	}
	return nil
}
