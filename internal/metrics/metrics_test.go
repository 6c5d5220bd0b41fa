package metrics

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRecorder_Count(t *testing.T) {
	var buf bytes.Buffer
	at := time.UnixMilli(1_700_000_000_123)
	r := New(&buf, "Mercato/test", func() time.Time { return at })
	r.Count(context.Background(), OrdersRefused, 1, Dimension{"Code", "VAL_001"})
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("not one JSON document: %v\n%s", err, buf.String())
	}
	want := map[string]any{
		"Code":          "VAL_001",
		"OrdersRefused": 1.0,
		"_aws": map[string]any{
			"Timestamp": 1_700_000_000_123.0,
			"CloudWatchMetrics": []any{map[string]any{
				"Namespace":  "Mercato/test",
				"Dimensions": []any{[]any{"Code"}},
				"Metrics":    []any{map[string]any{"Name": "OrdersRefused", "Unit": "Count"}},
			}},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("EMF document (-want +got):\n%s", diff)
	}
}

func TestRecorder_Duration(t *testing.T) {
	var buf bytes.Buffer
	r := New(&buf, "ns", nil)
	r.Duration(context.Background(), RelayLag, 1500*time.Microsecond)
	r.Duration(context.Background(), RelayLag, 2*time.Second)
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("%d lines, want one per data point:\n%s", len(lines), buf.String())
	}
	var doc struct {
		RelayLag float64
		AWS      struct {
			CloudWatchMetrics []directive
		} `json:"_aws"`
	}
	if err := json.Unmarshal(lines[0], &doc); err != nil {
		t.Fatal(err)
	}
	if doc.RelayLag != 1.5 {
		t.Errorf("RelayLag = %v ms, want 1.5", doc.RelayLag)
	}
	want := []directive{{Namespace: "ns", Dimensions: [][]string{{}}, Metrics: []metric{{Name: RelayLag, Unit: Milliseconds}}}}
	if diff := cmp.Diff(want, doc.AWS.CloudWatchMetrics); diff != "" {
		t.Errorf("directive (-want +got):\n%s", diff)
	}
}

func TestRecorder_Nil(t *testing.T) {
	var r *Recorder
	r.Count(context.Background(), OrdersPlaced, 1) // must not panic
}
