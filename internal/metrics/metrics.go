// Package metrics writes business and health metrics to the function logs
// in CloudWatch Embedded Metric Format (EMF): one JSON line per data point,
// which CloudWatch Logs turns into metrics with no API call and no agent.
//
// Dimensions are for bounded values only (a route, an outcome, an error
// code), never an id: every distinct dimension value is a new metric, billed
// and kept on its own.
package metrics

import (
	"context"
	"encoding/json"
	"io"
	"sync"
	"time"
)

// Unit is a CloudWatch unit.
type Unit string

// The units Mercato's metrics use.
const (
	Count        Unit = "Count"
	Milliseconds Unit = "Milliseconds"
)

// The metric names, in one place so that template.yaml's alarms and the
// README can be checked against them.
const (
	OrdersPlaced        = "OrdersPlaced"
	OrdersRefused       = "OrdersRefused" // Code
	RequestsApproved    = "RequestsApproved"
	RequestsFailed      = "RequestsFailed"
	RequestsInquired    = "RequestsInquired"
	OrderToApproval     = "OrderToApproval"
	RelayLag            = "RelayLag" // Route
	DeliveriesSucceeded = "DeliveriesSucceeded"
	DeliveriesFailed    = "DeliveriesFailed"
	DeliveryLatency     = "DeliveryLatency"
	UsageRowsProcessed  = "UsageRowsProcessed"
	UsageFilesInvalid   = "UsageFilesInvalid" // Reason: rows or processing
	BillingRuns         = "BillingRuns"       // Trigger: schedule or file; Outcome: ok or failed
)

// Dimension is one dimension of a data point; its value comes from a
// closed set.
type Dimension struct {
	Name, Value string
}

// Recorder writes data points to a log stream. A nil *Recorder records
// nothing, so that components built without one (tests, tools) need no
// guard.
type Recorder struct {
	mu        sync.Mutex
	w         io.Writer
	namespace string
	now       func() time.Time
}

// New returns a Recorder writing to w (the function's stdout in Lambda)
// under namespace; now is the clock, time.Now when nil.
func New(w io.Writer, namespace string, now func() time.Time) *Recorder {
	if now == nil {
		now = time.Now
	}
	return &Recorder{w: w, namespace: namespace, now: now}
}

// Count records n occurrences.
func (r *Recorder) Count(ctx context.Context, name string, n int, dims ...Dimension) {
	r.put(name, float64(n), Count, dims)
}

// Duration records a duration in milliseconds.
func (r *Recorder) Duration(ctx context.Context, name string, d time.Duration, dims ...Dimension) {
	r.put(name, float64(d)/float64(time.Millisecond), Milliseconds, dims)
}

type directive struct {
	Namespace  string     `json:"Namespace"`
	Dimensions [][]string `json:"Dimensions"`
	Metrics    []metric   `json:"Metrics"`
}

type metric struct {
	Name string `json:"Name"`
	Unit Unit   `json:"Unit"`
}

// put writes one EMF document: the metadata under _aws, and the value and
// each dimension as top-level members.
func (r *Recorder) put(name string, value float64, unit Unit, dims []Dimension) {
	if r == nil {
		return
	}
	names := make([]string, 0, len(dims))
	doc := make(map[string]any, len(dims)+2)
	for _, d := range dims {
		names = append(names, d.Name)
		doc[d.Name] = d.Value
	}
	doc[name] = value
	doc["_aws"] = map[string]any{
		"Timestamp": r.now().UnixMilli(),
		"CloudWatchMetrics": []directive{{
			Namespace: r.namespace, Dimensions: [][]string{names}, Metrics: []metric{{Name: name, Unit: unit}},
		}},
	}
	line, err := json.Marshal(doc)
	if err != nil {
		return // a map of strings and a float always marshals
	}
	line = append(line, '\n')
	r.mu.Lock()
	defer r.mu.Unlock()
	_, _ = r.w.Write(line)
}
