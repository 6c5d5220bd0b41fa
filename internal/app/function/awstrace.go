package function

import (
	"context"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// TraceAWS returns the SDK middleware that gives each AWS call a client
// span (named Service.Operation, with the semantic conventions' RPC
// attributes, the region, the HTTP status and the request id, as otelaws
// names them) and carries the span's context in the request's headers
// through propagator.
//
// It is not otelaws, whose default attribute builders switch on the input
// types of S3, SNS, SQS and DynamoDB and so link all four clients into
// every binary: the relay and the dispatcher carried S3 and SNS for that
// alone, and initialised their endpoint tables at each cold start (about
// 5% of the relay's start).
func TraceAWS(tp trace.TracerProvider, propagator propagation.TextMapPropagator) func(*middleware.Stack) error {
	tracer := tp.Tracer("mercato/aws")
	span := middleware.InitializeMiddlewareFunc("mercato.awsSpan", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
		service, operation := awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)
		ctx, span := tracer.Start(ctx, service+"."+operation, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
			semconv.RPCSystemNameKey.String("aws-api"),
			semconv.RPCMethod(service+"/"+operation),
			attribute.String("aws.region", awsmiddleware.GetRegion(ctx)),
		))
		defer span.End()
		out, md, err := next.HandleInitialize(ctx, in)
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
		}
		return out, md, err
	})
	propagate := middleware.FinalizeMiddlewareFunc("mercato.awsPropagate", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
		if req, ok := in.Request.(*smithyhttp.Request); ok {
			propagator.Inject(ctx, propagation.HeaderCarrier(req.Header))
		}
		return next.HandleFinalize(ctx, in)
	})
	response := middleware.DeserializeMiddlewareFunc("mercato.awsResponse", func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
		out, md, err := next.HandleDeserialize(ctx, in)
		span := trace.SpanFromContext(ctx)
		if resp, ok := out.RawResponse.(*smithyhttp.Response); ok {
			span.SetAttributes(semconv.HTTPResponseStatusCode(resp.StatusCode))
		}
		if id, ok := awsmiddleware.GetRequestIDMetadata(md); ok {
			span.SetAttributes(attribute.String("aws.request_id", id))
		}
		return out, md, err
	})
	return func(stack *middleware.Stack) error {
		if err := stack.Initialize.Add(span, middleware.After); err != nil {
			return err
		}
		if err := stack.Finalize.Add(propagate, middleware.After); err != nil {
			return err
		}
		return stack.Deserialize.Add(response, middleware.Before)
	}
}
