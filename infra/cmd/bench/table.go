package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
)

// none fills the baseline and ratio of a row that has no baseline.
const none = "—"

// figure reads one number of a row from a benchmark's metrics: the metric
// unit, divided by the metric per when per is set (a hello-world binary's
// size is the function's size over the reported ratio).
type figure struct {
	unit, per string
}

func (f figure) read(m map[string]float64) (float64, error) {
	v, ok := m[f.unit]
	if !ok {
		return 0, fmt.Errorf("no %s", f.unit)
	}
	if f.per == "" {
		return v, nil
	}
	d, ok := m[f.per]
	if !ok || d == 0 {
		return 0, fmt.Errorf("no %s", f.per)
	}
	return v / d, nil
}

// rowSpec says where a row's figures come from. A zero base means the
// measure has no baseline of its own in the run.
type rowSpec struct {
	area, measure string
	bench         string
	value, base   figure
}

// Row is one formatted line of the table.
type Row struct {
	Area, Measure, Mercato, Baseline, Ratio string
}

// specs lists the rows of the table, cold start once per function.
func specs(functions []string) []rowSpec {
	const (
		api, cost, disp, usage, cold = "API", "Cost", "Dispatcher", "Usage ingest", "Cold start"
		scl, model                   = "Scale", "BenchmarkScale_Model"
		order, approve, catalog      = "BenchmarkAPI_Order", "BenchmarkAPI_Approve", "BenchmarkAPI_CatalogRead"
		dispatcher                   = "BenchmarkDispatcher_VsBareHTTP"
		csv, xlsx                    = "BenchmarkPipeline_CSV1M", "BenchmarkPipeline_XLSX100k"
	)
	out := []rowSpec{
		{api, "order: orders/s vs bare TransactWriteItems/s (moto)", order, figure{unit: "orders/s"}, figure{unit: "bare-tx/s"}},
		{api, "order: ms added per order (median over bare tx)", order, figure{unit: "added-ms/order"}, figure{}},
		{api, "approve: approves/s vs bare TransactWriteItems/s (moto)", approve, figure{unit: "approves/s"}, figure{unit: "bare-tx/s"}},
		{api, "approve: ms added per approve (median over bare tx)", approve, figure{unit: "added-ms/approve"}, figure{}},
		{cost, "order: DynamoDB calls vs bare tx", order, figure{unit: "ddb-calls/order"}, figure{unit: "bare-ddb-calls/order"}},
		{cost, "order: capacity units vs bare tx", order, figure{unit: "capacity-units/order"}, figure{unit: "bare-capacity-units/order"}},
		{cost, "approve: DynamoDB calls vs bare tx", approve, figure{unit: "ddb-calls/approve"}, figure{unit: "bare-ddb-calls/approve"}},
		{cost, "approve: capacity units vs bare tx", approve, figure{unit: "capacity-units/approve"}, figure{unit: "bare-capacity-units/approve"}},
		{cost, "catalog read: DynamoDB calls vs one Query", catalog, figure{unit: "ddb-calls/read"}, figure{unit: "bare-ddb-calls/read"}},
		{cost, "catalog read: capacity units vs one Query", catalog, figure{unit: "capacity-units/read"}, figure{unit: "bare-capacity-units/read"}},
		{disp, "deliveries/s vs bare net/http POSTs/s", dispatcher, figure{unit: "deliveries/s"}, figure{unit: "bare-posts/s"}},
		{disp, "p99 latency per delivery, µs, vs bare POST", dispatcher, figure{unit: "p99-dispatch-µs"}, figure{unit: "p99-bare-µs"}},
		{disp, "p50 added per delivery, µs", dispatcher, figure{unit: "p50-added-µs"}, figure{}},
		{disp, "p99 added per delivery, µs", dispatcher, figure{unit: "p99-added-µs"}, figure{}},
		{usage, "CSV 1M rows: rows/s vs plain encoding/csv", csv, figure{unit: "rows/s"}, figure{unit: "plain-csv-rows/s"}},
		{usage, "CSV 1M rows: peak RSS, MiB", csv, figure{unit: "peak-RSS-MiB"}, figure{}},
		{usage, "XLSX 100k rows: rows/s vs plain encoding/csv of the same rows", xlsx, figure{unit: "rows/s"}, figure{unit: "plain-csv-rows/s"}},
		{usage, "XLSX 100k rows: rows/s vs plain encoding/xml of the same file", xlsx, figure{unit: "rows/s"}, figure{unit: "plain-xml-rows/s"}},
		{usage, "XLSX 100k rows: peak RSS, MiB", xlsx, figure{unit: "peak-RSS-MiB"}, figure{}},
		{scl, "one-vendor ceiling, orders/s (make scale), vs target", model, figure{unit: "ceiling-orders/s"}, figure{unit: "target-orders/s"}},
		{scl, "warm order: DynamoDB round trips, vs target", model, figure{unit: "warm-order-round-trips"}, figure{unit: "target-order-round-trips"}},
		{scl, "warm approve: DynamoDB round trips, vs target", model, figure{unit: "warm-approve-round-trips"}, figure{unit: "target-approve-round-trips"}},
		{scl, "order and its approvals, webhooks, events: WCU per order", model, figure{unit: "WCU/order"}, figure{}},
	}
	for _, fn := range functions {
		b := "BenchmarkColdStart/" + fn
		out = append(out,
			rowSpec{cold, fn + ": exec to first event, ms, vs hello-world", b, figure{unit: "ms/start"}, figure{unit: "hello-ms/start"}},
			rowSpec{cold, fn + ": binary, MiB, vs hello-world", b, figure{unit: "MiB"}, figure{unit: "MiB", per: "x-hello-size"}})
	}
	return out
}

// Table formats a row per spec. Every spec must find its benchmark and
// metrics: a missing row is an error naming all that are missing, never a
// blank cell.
func Table(results []Result, rs []rowSpec) ([]Row, error) {
	var rows []Row
	var errs []error
	for _, s := range rs {
		r, err := row(results, s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s, %s: %w", s.area, s.measure, err))
			continue
		}
		rows = append(rows, r)
	}
	return rows, errors.Join(errs...)
}

func row(results []Result, s rowSpec) (Row, error) {
	res, ok := Find(results, s.bench)
	if !ok {
		return Row{}, fmt.Errorf("%s did not report", s.bench)
	}
	v, err := s.value.read(res.Metrics)
	if err != nil {
		return Row{}, fmt.Errorf("%s: %w", s.bench, err)
	}
	r := Row{Area: s.area, Measure: s.measure, Mercato: number(v), Baseline: none, Ratio: none}
	if s.base.unit == "" {
		return r, nil
	}
	base, err := s.base.read(res.Metrics)
	if err != nil {
		return Row{}, fmt.Errorf("%s: %w", s.bench, err)
	}
	r.Baseline = number(base)
	if base != 0 {
		r.Ratio = strconv.FormatFloat(v/base, 'f', 2, 64) + "×"
	}
	return r, nil
}

// number prints three significant figures below 100 (6.1, 2.25, 30.4) and
// whole numbers with thousands separators above (20,616).
func number(v float64) string {
	if math.Abs(v) >= 100 {
		return thousands(strconv.FormatFloat(math.Round(v), 'f', 0, 64))
	}
	if v == 0 {
		return "0"
	}
	decimals := max(0, 2-int(math.Floor(math.Log10(math.Abs(v)))))
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

func thousands(digits string) string {
	sign := ""
	if strings.HasPrefix(digits, "-") {
		sign, digits = "-", digits[1:]
	}
	var b strings.Builder
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return sign + b.String()
}

// Header is what the table was measured on and with.
type Header struct {
	Machine  string
	Load     string // the machine's load around the run, when known
	Command  string
	Commands []string // the go test runs behind Command
}

// legend says what the baselines are, under the table.
const legend = "ratio = Mercato ÷ baseline; " + none + ": no baseline in the run. bare tx: one TransactWriteItems of the same items " +
	"on the same emulator, the API call and the bare one taking turns; one Query: of the product's partition; " +
	"hello-world: an aws-lambda-go binary built the same way."

// grouped blanks an area repeated from the row above, so each area reads
// as one block.
func grouped(rows []Row) []Row {
	out := make([]Row, len(rows))
	for i, r := range rows {
		if i > 0 && rows[i-1].Area == r.Area {
			r.Area = ""
		}
		out[i] = r
	}
	return out
}

// WriteText prints the header and the table in aligned columns.
func WriteText(w io.Writer, h Header, rows []Row) error {
	fmt.Fprintf(w, "machine: %s\n", h.Machine)
	if h.Load != "" {
		fmt.Fprintf(w, "load: %s\n", h.Load)
	}
	fmt.Fprintf(w, "command: %s\n", h.Command)
	for _, c := range h.Commands {
		fmt.Fprintf(w, "  %s\n", c)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "area\tmeasure\tMercato\tbaseline\tratio")
	for _, r := range grouped(rows) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Area, r.Measure, r.Mercato, r.Baseline, r.Ratio)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	_, err := fmt.Fprintf(w, "\n%s\n", legend)
	return err
}

// WriteMarkdown prints the same as WriteText in a form the README can
// paste.
func WriteMarkdown(w io.Writer, h Header, rows []Row) error {
	load := ""
	if h.Load != "" {
		load = " (load " + h.Load + ")"
	}
	fmt.Fprintf(w, "Machine: %s%s. Command: `%s`, which runs:\n\n", h.Machine, load, h.Command)
	for _, c := range h.Commands {
		fmt.Fprintf(w, "    %s\n", c)
	}
	fmt.Fprintln(w, "\n| area | measure | Mercato | baseline | ratio |\n|---|---|---:|---:|---:|")
	for _, r := range grouped(rows) {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", r.Area, r.Measure, r.Mercato, r.Baseline, r.Ratio)
	}
	_, err := fmt.Fprintf(w, "\n%s\n", legend)
	return err
}
