package function

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/mercato-dev/mercato/internal/tracing"
)

// answer is an HTTP client that answers every SDK request itself, with
// status, and keeps the request it got.
type answer struct {
	status int
	got    *http.Request
}

func (a *answer) Do(r *http.Request) (*http.Response, error) {
	a.got = r
	return &http.Response{StatusCode: a.status, Request: r, Body: io.NopCloser(strings.NewReader(`{}`)),
		Header: http.Header{"X-Amzn-Requestid": {"req-1"}, "Content-Type": {"application/x-amz-json-1.0"}}}, nil
}

func TestTraceAWS_SpanPerCallAndPropagation(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	client := &answer{status: 200}
	cfg := aws.Config{Region: "eu-west-1", HTTPClient: client, Credentials: aws.AnonymousCredentials{}, Retryer: Retryer,
		BaseEndpoint: aws.String("http://127.0.0.1:1")}
	cfg.APIOptions = append(cfg.APIOptions, TraceAWS(tp, tracing.Propagator))
	ctx, parent := tp.Tracer("test").Start(context.Background(), "invocation")
	if _, err := sqs.NewFromConfig(cfg).ListQueues(ctx, &sqs.ListQueuesInput{}); err != nil {
		t.Fatal(err)
	}
	parent.End()
	var call sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.Name() == "SQS.ListQueues" {
			call = s
		}
	}
	if call == nil {
		t.Fatalf("no SQS.ListQueues span among %d", len(rec.Ended()))
	}
	if call.SpanKind() != trace.SpanKindClient || call.Parent().SpanID() != parent.SpanContext().SpanID() {
		t.Errorf("span kind %v, parent %v; want a client span under the invocation", call.SpanKind(), call.Parent().SpanID())
	}
	attrs := attribute.NewSet(call.Attributes()...)
	for k, want := range map[attribute.Key]string{"rpc.method": "SQS/ListQueues", "aws.region": "eu-west-1", "aws.request_id": "req-1"} {
		if v, _ := attrs.Value(k); v.AsString() != want {
			t.Errorf("%s = %q, want %q", k, v.AsString(), want)
		}
	}
	if v, _ := attrs.Value("http.response.status_code"); v.AsInt64() != 200 {
		t.Errorf("status code = %d", v.AsInt64())
	}
	if h := client.got.Header.Get("X-Amzn-Trace-Id"); !strings.Contains(h, call.SpanContext().TraceID().String()[8:]) {
		t.Errorf("X-Amzn-Trace-Id %q does not carry the trace %s", h, call.SpanContext().TraceID())
	}
}
