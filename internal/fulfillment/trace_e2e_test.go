package fulfillment_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/mercato-dev/mercato/infra/localrun"
	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/tracing"
)

// TestFlow_Trace: one order's spans form one trace, from the API request
// through the transaction that commits its events, the relay's publication
// and the dispatcher's message to the webhook attempt, each span the child
// of the one before it across the outbox and the queue. The event's span
// hangs off the request, not off the TransactWriteItems call that stores
// it: the item is stamped before the call starts.
func TestFlow_Trace(t *testing.T) {
	env := stacktest.Shared(t)
	spans := tracetest.NewInMemoryExporter()
	tp := tracing.NewProvider(spans)
	var logs stacktest.Log
	a := env.App(t, app.Options{Tracer: tp, Metrics: &logs})
	verifySender(t, env, a.Config.EmailFrom)
	env.RunApp(t, a, func(c *localrun.Config) { c.FailedVisibility = 200 * time.Millisecond })
	p := &platform{t: t, env: env, app: a, api: a.API()}
	w := p.world("-trace")

	var hits atomic.Int32
	receiver := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Header.Get(tracing.HeaderKey) != "" {
			t.Errorf("the webhook attempt sent the vendor a trace header: %s", r.Header.Get(tracing.HeaderKey))
		}
		hits.Add(1)
	}))
	defer receiver.Close()
	p.do(http.MethodPost, "/public/v1/webhooks", w.vendor.Token.Value, map[string]any{"label": "trace", "url": receiver.URL,
		"events": []string{"request.created"}}, http.StatusCreated, nil)

	before := len(spans.GetSpans())
	var order struct {
		ID string `json:"id"`
	}
	p.do(http.MethodPost, "/v1/customers/"+w.customer+"/orders", w.provider.Token.Value, map[string]any{"lineItems": []any{map[string]any{
		"offerId": w.product.ID + ":0001:" + w.mp.ID, "quantity": 1, "provisioningContext": map[string]string{"param_default": "contoso"}}}},
		http.StatusCreated, &order)
	eventually(t, "the webhook attempt", func() bool { return hits.Load() > 0 })

	// The order's request span is the last "api POST" root span after the
	// order was posted.
	var root tracetest.SpanStub
	for _, s := range spans.GetSpans()[before:] {
		if s.Name == "api POST" && strings.Contains(attr(s, "url.path"), "/orders") {
			root = s
		}
	}
	if !root.SpanContext.IsValid() {
		t.Fatalf("no API span for the order among %v", names(spans.GetSpans()[before:]))
	}
	tid := root.SpanContext.TraceID()
	var chain []tracetest.SpanStub
	eventually(t, "the order's trace to reach the webhook attempt", func() bool {
		chain = chain[:0]
		byID := map[trace.SpanID]tracetest.SpanStub{}
		for _, s := range spans.GetSpans() {
			if s.SpanContext.TraceID() == tid {
				byID[s.SpanContext.SpanID()] = s
			}
		}
		// Walk up from the webhook attempt's client span to the root.
		for _, s := range byID {
			if s.SpanKind == trace.SpanKindClient && strings.HasPrefix(attr(s, "url.full"), receiver.URL) {
				for cur, ok := s, true; ok; cur, ok = byID[cur.Parent.SpanID()] {
					chain = append([]tracetest.SpanStub{cur}, chain...)
				}
			}
		}
		// Parents end after their children: wait for the whole chain.
		return len(chain) > 0 && chain[0].SpanContext.SpanID() == root.SpanContext.SpanID()
	})
	got := names(chain)
	want := []string{"api POST", "relay request.created", "dispatcher message", "HTTP POST"}
	if strings.Join(got, " > ") != strings.Join(want, " > ") {
		t.Errorf("the chain from the API request to the webhook attempt = %v, want %v", got, want)
	}
	// The AWS SDK's calls are spans of the same trace: the order's
	// transaction is a child of its API request.
	var tx bool
	for _, s := range spans.GetSpans() {
		tx = tx || (s.Parent.SpanID() == root.SpanContext.SpanID() && s.Name == "DynamoDB.TransactWriteItems")
	}
	if !tx {
		t.Errorf("no DynamoDB.TransactWriteItems span below the order's API request")
	}
	if chain[0].SpanContext.SpanID() != root.SpanContext.SpanID() {
		t.Errorf("the chain starts at %q, not at the order's API request: %v", chain[0].Name, got)
	}
	// The attempt is also in the metrics, as a success with its latency.
	var delivered, latency bool
	for _, pt := range parseEMF(t, logs.String()) {
		delivered = delivered || pt.Name == "DeliveriesSucceeded"
		latency = latency || (pt.Name == "DeliveryLatency" && pt.Unit == "Milliseconds")
	}
	if !delivered || !latency {
		t.Errorf("EMF has DeliveriesSucceeded %v, DeliveryLatency %v: want both after the attempt", delivered, latency)
	}
}

func attr(s tracetest.SpanStub, key string) string {
	for _, kv := range s.Attributes {
		if string(kv.Key) == key {
			return kv.Value.AsString()
		}
	}
	return ""
}

func names(ss []tracetest.SpanStub) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Name
	}
	return out
}
