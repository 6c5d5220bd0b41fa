// Package tracing is the functions' OpenTelemetry set-up in the form AWS
// X-Ray takes: X-Ray trace ids, the X-Amzn-Trace-Id header format, and
// spans exported as X-Ray segment documents (segment.go). It also carries a
// trace across the places where a request leaves the process: the outbox
// event item, and the SQS message the relay publishes it as.
package tracing

import (
	"context"

	"go.opentelemetry.io/contrib/propagators/aws/xray"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// HeaderKey is the header (and SQS attribute) that carries a trace.
const HeaderKey = "X-Amzn-Trace-Id"

// Propagator reads and writes the X-Amzn-Trace-Id header.
var Propagator propagation.TextMapPropagator = xray.Propagator{}

// NewProvider returns a tracer provider with X-Ray ids that hands every
// ended span to exp at once: a Lambda sandbox may be frozen right after an
// invocation, so nothing waits in a batch. A trace continues the sampling
// decision of its parent (Lambda's, for an invocation).
func NewProvider(exp sdktrace.SpanExporter) *sdktrace.TracerProvider {
	return sdktrace.NewTracerProvider(
		sdktrace.WithIDGenerator(xray.NewIDGenerator()),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())),
		sdktrace.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(exp)),
	)
}

// Noop is the provider of a process that does not trace.
func Noop() trace.TracerProvider { return noop.NewTracerProvider() }

// OrNoop returns tp, or the no-op provider when tp is nil.
func OrNoop(tp trace.TracerProvider) trace.TracerProvider {
	if tp == nil {
		return Noop()
	}
	return tp
}

// Header returns ctx's span context as an X-Amzn-Trace-Id value, or ""
// when ctx holds no valid span.
func Header(ctx context.Context) string {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ""
	}
	c := propagation.MapCarrier{}
	Propagator.Inject(ctx, c)
	return c.Get(HeaderKey)
}

// Extract returns ctx with the remote span context of header as parent; an
// empty or malformed header leaves ctx as it is.
func Extract(ctx context.Context, header string) context.Context {
	if header == "" {
		return ctx
	}
	return Propagator.Extract(ctx, propagation.MapCarrier{HeaderKey: header})
}

// lambdaTraceKey is the context key under which aws-lambda-go hands the
// invocation's X-Amzn-Trace-Id (Lambda's own segment, with active tracing).
const lambdaTraceKey = "x-amzn-trace-id"

// FromLambda returns ctx with the invocation's Lambda segment as parent,
// when the runtime gave one.
func FromLambda(ctx context.Context) context.Context {
	h, _ := ctx.Value(lambdaTraceKey).(string)
	return Extract(ctx, h)
}
