package tracing

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
)

func TestHeader_ExtractRoundTrip(t *testing.T) {
	tp := NewProvider(NewFileExporter(&bytes.Buffer{}))
	ctx, span := tp.Tracer("t").Start(context.Background(), "origin")
	defer span.End()
	h := Header(ctx)
	if !regexp.MustCompile(`^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=1$`).MatchString(h) {
		t.Fatalf("Header = %q, want an X-Amzn-Trace-Id value", h)
	}
	got := trace.SpanContextFromContext(Extract(context.Background(), h))
	if got.TraceID() != span.SpanContext().TraceID() || got.SpanID() != span.SpanContext().SpanID() || !got.IsRemote() {
		t.Errorf("Extract(Header) = %v, want the remote span %v", got, span.SpanContext())
	}
	if Header(context.Background()) != "" {
		t.Error("Header of a context without a span is not empty")
	}
	if Extract(context.Background(), "garbage") != context.Background() && trace.SpanContextFromContext(Extract(context.Background(), "garbage")).IsValid() {
		t.Error("a malformed header became a parent")
	}
}

func TestFromLambda(t *testing.T) {
	//lint:ignore SA1029 the key is aws-lambda-go's, a plain string
	ctx := context.WithValue(context.Background(), "x-amzn-trace-id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
	sc := trace.SpanContextFromContext(FromLambda(ctx))
	if sc.TraceID().String() != "5759e988bd862e3fe1be46a994272793" || sc.SpanID().String() != "53995c3f42cd8ad8" || !sc.IsSampled() {
		t.Errorf("FromLambda = %v, want Lambda's segment as the parent", sc)
	}
}

func TestDaemonExporter_Segments(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	exp, err := NewDaemonExporter(pc.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	tp := NewProvider(exp)
	ctx, parent := tp.Tracer("t").Start(context.Background(), "parent")
	_, child := tp.Tracer("t").Start(ctx, "child", trace.WithSpanKind(trace.SpanKindClient))
	child.End()
	parent.End()
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	var segs []Segment
	buf := make([]byte, 64<<10)
	for range 2 {
		_ = pc.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		header, doc, ok := strings.Cut(string(buf[:n]), "\n")
		if !ok || header != `{"format":"json","version":1}` {
			t.Fatalf("datagram without the daemon's header: %q", buf[:n])
		}
		var s Segment
		if err := json.Unmarshal([]byte(doc), &s); err != nil {
			t.Fatal(err)
		}
		segs = append(segs, s)
	}
	c, p := segs[0], segs[1]
	if c.Name != "child" || p.Name != "parent" {
		t.Fatalf("segments %q, %q: want child then parent", c.Name, p.Name)
	}
	if c.TraceID != p.TraceID || !regexp.MustCompile(`^1-[0-9a-f]{8}-[0-9a-f]{24}$`).MatchString(c.TraceID) {
		t.Errorf("trace ids %q, %q: want one X-Ray trace id", c.TraceID, p.TraceID)
	}
	if c.ParentID != p.ID || c.Type != "subsegment" || c.Namespace != "remote" {
		t.Errorf("child = %+v, want a remote subsegment of %s", c, p.ID)
	}
	if p.ParentID != "" || p.Type != "" || p.EndTime < p.StartTime || p.StartTime <= 0 {
		t.Errorf("parent = %+v, want a root segment with times", p)
	}
}
