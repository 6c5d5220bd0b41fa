package tracing

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Segment is a span as an X-Ray segment document: a span with a parent is a
// subsegment of it (in Lambda, of the function's own segment).
type Segment struct {
	Name      string         `json:"name"`
	ID        string         `json:"id"`
	TraceID   string         `json:"trace_id"`
	ParentID  string         `json:"parent_id,omitempty"`
	Type      string         `json:"type,omitempty"`
	StartTime float64        `json:"start_time"`
	EndTime   float64        `json:"end_time"`
	Fault     bool           `json:"fault,omitempty"`
	Namespace string         `json:"namespace,omitempty"`
	Links     []string       `json:"links,omitempty"` // trace ids of linked spans, for reading a local file
	Metadata  map[string]any `json:"metadata,omitempty"`
}

// XRayTraceID writes an OpenTelemetry trace id (made by the X-Ray id
// generator: epoch seconds first) the way X-Ray does: 1-<8 hex>-<24 hex>.
func XRayTraceID(id trace.TraceID) string {
	s := id.String()
	return "1-" + s[:8] + "-" + s[8:]
}

// ToSegment converts an ended span.
func ToSegment(s sdktrace.ReadOnlySpan) Segment {
	seg := Segment{
		Name:      s.Name(),
		ID:        s.SpanContext().SpanID().String(),
		TraceID:   XRayTraceID(s.SpanContext().TraceID()),
		StartTime: float64(s.StartTime().UnixNano()) / 1e9,
		EndTime:   float64(s.EndTime().UnixNano()) / 1e9,
		Fault:     s.Status().Code == codes.Error,
	}
	if p := s.Parent(); p.IsValid() {
		seg.ParentID, seg.Type = p.SpanID().String(), "subsegment"
	}
	if s.SpanKind() == trace.SpanKindClient {
		seg.Namespace = "remote"
	}
	for _, l := range s.Links() {
		seg.Links = append(seg.Links, XRayTraceID(l.SpanContext.TraceID()))
	}
	if attrs := s.Attributes(); len(attrs) > 0 {
		otel := make(map[string]any, len(attrs))
		for _, kv := range attrs {
			otel[string(kv.Key)] = value(kv.Value)
		}
		seg.Metadata = map[string]any{"otel": otel}
	}
	return seg
}

func value(v attribute.Value) any {
	if v.Type() == attribute.STRING {
		return v.AsString()
	}
	return v.AsInterface()
}

// SegmentExporter writes each span as one segment document per Write. To
// the X-Ray daemon (UDP) every datagram starts with the daemon's header
// line; to a file each document is one line.
type SegmentExporter struct {
	mu     sync.Mutex
	w      io.Writer
	header []byte
}

// daemonHeader starts every datagram the X-Ray daemon reads.
const daemonHeader = `{"format":"json","version":1}` + "\n"

// NewDaemonExporter sends segments to the X-Ray daemon at addr (Lambda sets
// AWS_XRAY_DAEMON_ADDRESS when active tracing is on).
func NewDaemonExporter(addr string) (*SegmentExporter, error) {
	conn, err := net.Dial("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("tracing: X-Ray daemon %s: %w", addr, err)
	}
	return &SegmentExporter{w: conn, header: []byte(daemonHeader)}, nil
}

// NewFileExporter writes segments to w, one JSON document a line: what
// `make run -spans` writes, for following one order locally.
func NewFileExporter(w io.Writer) *SegmentExporter { return &SegmentExporter{w: w} }

// ExportSpans writes the spans; a span that cannot be written is dropped
// (tracing never fails a request).
func (e *SegmentExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range spans {
		doc, err := json.Marshal(ToSegment(s))
		if err != nil {
			continue
		}
		msg := append(append(append([]byte{}, e.header...), doc...), '\n')
		_, _ = e.w.Write(msg)
	}
	return nil
}

// Shutdown closes the connection or file.
func (e *SegmentExporter) Shutdown(context.Context) error {
	if c, ok := e.w.(io.Closer); ok && e.w != os.Stdout && e.w != os.Stderr {
		return c.Close()
	}
	return nil
}
