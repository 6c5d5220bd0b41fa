package function

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func TestTraceHTTP_OneServerSpanPerRequest(t *testing.T) {
	tests := []struct {
		name       string
		answer     func(w http.ResponseWriter)
		wantStatus int64
		wantCode   codes.Code
	}{
		{name: "body without a status", answer: func(w http.ResponseWriter) { _, _ = w.Write([]byte("{}")) }, wantStatus: 200},
		{name: "client error", answer: func(w http.ResponseWriter) { w.WriteHeader(http.StatusNotFound) }, wantStatus: 404},
		{name: "server error", answer: func(w http.ResponseWriter) { w.WriteHeader(http.StatusServiceUnavailable) }, wantStatus: 503, wantCode: codes.Error},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
			var inner trace.SpanContext
			h := TraceHTTP(tp.Tracer("test"), "api", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				inner = trace.SpanContextFromContext(r.Context())
				tt.answer(w)
			}))
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/v1/orders", nil))
			spans := rec.Ended()
			if len(spans) != 1 {
				t.Fatalf("%d spans, want 1", len(spans))
			}
			s := spans[0]
			if s.Name() != "api POST" || s.SpanKind() != trace.SpanKindServer || s.SpanContext().SpanID() != inner.SpanID() {
				t.Errorf("span %q kind %v; want api POST, a server span the handler runs under", s.Name(), s.SpanKind())
			}
			attrs := attribute.NewSet(s.Attributes()...)
			if v, _ := attrs.Value("url.path"); v.AsString() != "/v1/orders" {
				t.Errorf("url.path = %q", v.AsString())
			}
			if v, _ := attrs.Value("http.response.status_code"); v.AsInt64() != tt.wantStatus {
				t.Errorf("status code = %d, want %d", v.AsInt64(), tt.wantStatus)
			}
			if s.Status().Code != tt.wantCode {
				t.Errorf("span status %v, want %v", s.Status().Code, tt.wantCode)
			}
		})
	}
}
