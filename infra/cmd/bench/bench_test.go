package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/internal/app"
)

func parseString(t *testing.T, s string) []Result {
	t.Helper()
	res, err := Parse(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// sample is the raw output of one full `make bench`, as written to
// bin/bench.txt.
func sample(t *testing.T) []Result {
	t.Helper()
	b, err := os.ReadFile("testdata/sample.txt")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestParse_Lines(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Result
	}{
		{
			name: "custom metrics, procs suffix dropped",
			in:   "BenchmarkAPI_Order-2   \t      72\t 236567452 ns/op\t        24.00 bare-capacity-units/order\t         5.774 orders/s\t  501499 B/op\t    3415 allocs/op\n",
			want: []Result{{Name: "BenchmarkAPI_Order", N: 72, Metrics: map[string]float64{
				"ns/op": 236567452, "bare-capacity-units/order": 24, "orders/s": 5.774, "B/op": 501499, "allocs/op": 3415}}},
		},
		{
			name: "sub-benchmark, unit with a non-ASCII letter",
			in:   "BenchmarkColdStart/api-2  \t3\t 130857492 ns/op\t        31.10 MiB\nBenchmarkDispatcher_VsBareHTTP-2 \t15163\t82874 ns/op\t1334 p99-added-µs\n",
			want: []Result{
				{Name: "BenchmarkColdStart/api", N: 3, Metrics: map[string]float64{"ns/op": 130857492, "MiB": 31.1}},
				{Name: "BenchmarkDispatcher_VsBareHTTP", N: 15163, Metrics: map[string]float64{"ns/op": 82874, "p99-added-µs": 1334}},
			},
		},
		{
			name: "GOMAXPROCS=1 adds no suffix; a dash in a sub-benchmark's name stays",
			in:   "BenchmarkX\t5\t10 ns/op\nBenchmarkY/a-b\t5\t10 ns/op\n",
			want: []Result{
				{Name: "BenchmarkX", N: 5, Metrics: map[string]float64{"ns/op": 10}},
				{Name: "BenchmarkY/a-b", N: 5, Metrics: map[string]float64{"ns/op": 10}},
			},
		},
		{
			name: "a log line between the name and its figures",
			in: "BenchmarkPipeline_CSV1M-2   \t{\"level\":\"info\",\"msg\":\"child\"}\n" +
				"    bench_test.go:12: 3 rows in 2 s\n" +
				"       1\t1279318010 ns/op\t        57.31 peak-RSS-MiB\n",
			want: []Result{{Name: "BenchmarkPipeline_CSV1M", N: 1, Metrics: map[string]float64{"ns/op": 1279318010, "peak-RSS-MiB": 57.31}}},
		},
		{
			name: "everything else is skipped",
			in: "$ go test -run '^$' ./internal/usage\ngoos: linux\ncpu: AMD EPYC\n--- FAIL: BenchmarkColdStart\n" +
				"    coldstart_test.go:121: build: exit status 1\nFAIL\nok  \tgithub.com/x\t3.6s\n",
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, parseString(t, tt.in)); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParse_Malformed(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"odd fields", "BenchmarkX-2\t5\t10 ns/op\t3\n", "odd number of fields"},
		{"value not a number", "BenchmarkX-2\t5\t10 ns/op\tfast rows/s\n", "value of rows/s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestParse_Sample(t *testing.T) {
	var names []string
	for _, r := range sample(t) {
		names = append(names, r.Name)
	}
	want := []string{"BenchmarkAPI_Order", "BenchmarkAPI_Approve", "BenchmarkAPI_CatalogRead", "BenchmarkDispatcher_VsBareHTTP",
		"BenchmarkPipeline_CSV1M", "BenchmarkPipeline_XLSX100k"}
	for _, fn := range app.Functions() {
		want = append(want, "BenchmarkColdStart/"+fn)
	}
	want = append(want, "BenchmarkScale_Model")
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("benchmarks (-want +got):\n%s", diff)
	}
}

func TestFind_LastRunStands(t *testing.T) {
	res := parseString(t, "BenchmarkX-2\t1\t10 ns/op\nBenchmarkX-2\t1\t20 ns/op\n")
	got, ok := Find(res, "BenchmarkX")
	if !ok || got.Metrics["ns/op"] != 20 {
		t.Fatalf("Find = %+v, %v; want the second run", got, ok)
	}
}

func TestTable_Sample(t *testing.T) {
	rows, err := Table(sample(t), specs(app.Functions()))
	if err != nil {
		t.Fatal(err)
	}
	if want := 23 + 2*len(app.Functions()); len(rows) != want {
		t.Fatalf("%d rows, want %d", len(rows), want)
	}
	for _, r := range rows {
		if r.Mercato == "" || r.Baseline == "" || r.Ratio == "" {
			t.Errorf("row has a blank cell: %+v", r)
		}
		if (r.Baseline == none) != (r.Ratio == none) {
			t.Errorf("row has a ratio without a baseline or the reverse: %+v", r)
		}
	}
}

func TestTable_Row(t *testing.T) {
	res := parseString(t, "BenchmarkAPI_Order-2\t72\t1 ns/op\t5.774 orders/s\t15.78 bare-tx/s\t5 ddb-calls/order\t1 bare-ddb-calls/order\t1.5 added-ms/order\n"+
		"BenchmarkColdStart/api-2\t3\t1 ns/op\t31.1 MiB\t5.187 x-hello-size\n")
	tests := []struct {
		name string
		spec rowSpec
		want Row
	}{
		{"rate against a baseline", rowSpec{"API", "orders/s", "BenchmarkAPI_Order", figure{unit: "orders/s"}, figure{unit: "bare-tx/s"}},
			Row{"API", "orders/s", "5.77", "15.8", "0.37×"}},
		{"cost against a baseline", rowSpec{"Cost", "calls", "BenchmarkAPI_Order", figure{unit: "ddb-calls/order"}, figure{unit: "bare-ddb-calls/order"}},
			Row{"Cost", "calls", "5", "1", "5.00×"}},
		{"no baseline", rowSpec{"API", "added", "BenchmarkAPI_Order", figure{unit: "added-ms/order"}, figure{}},
			Row{"API", "added", "1.5", none, none}},
		{"baseline derived from a ratio", rowSpec{"Cold start", "MiB", "BenchmarkColdStart/api", figure{unit: "MiB"}, figure{unit: "MiB", per: "x-hello-size"}},
			Row{"Cold start", "MiB", "31.1", "6", "5.19×"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := Table(res, []rowSpec{tt.spec})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]Row{tt.want}, rows); diff != "" {
				t.Errorf("row (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTable_Missing(t *testing.T) {
	res := parseString(t, "BenchmarkAPI_Order-2\t72\t1 ns/op\t5.774 orders/s\n")
	tests := []struct {
		name string
		spec rowSpec
		want string
	}{
		{"benchmark absent", rowSpec{"Dispatcher", "deliveries/s", "BenchmarkDispatcher_VsBareHTTP", figure{unit: "deliveries/s"}, figure{}},
			"Dispatcher, deliveries/s: BenchmarkDispatcher_VsBareHTTP did not report"},
		{"metric absent", rowSpec{"Cost", "calls", "BenchmarkAPI_Order", figure{unit: "ddb-calls/order"}, figure{}},
			"Cost, calls: BenchmarkAPI_Order: no ddb-calls/order"},
		{"baseline absent", rowSpec{"API", "orders/s", "BenchmarkAPI_Order", figure{unit: "orders/s"}, figure{unit: "bare-tx/s"}},
			"API, orders/s: BenchmarkAPI_Order: no bare-tx/s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := Table(res, []rowSpec{tt.spec})
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Table error = %v, want %q", err, tt.want)
			}
			if len(rows) != 0 {
				t.Errorf("rows = %+v, want none", rows)
			}
		})
	}
	t.Run("every missing row is named", func(t *testing.T) {
		_, err := Table(nil, specs([]string{"api"}))
		if err == nil {
			t.Fatal("no error for an empty output")
		}
		if n, want := strings.Count(err.Error(), "did not report"), len(specs([]string{"api"})); n != want {
			t.Errorf("%d rows named missing, want %d:\n%v", n, want, err)
		}
	})
}

func TestNumber_Format(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0"}, {5, "5"}, {6.1, "6.1"}, {5.774, "5.77"}, {2.25, "2.25"}, {30.5, "30.5"}, {15.78, "15.8"},
		{0.0098, "0.0098"}, {99.96, "100"}, {382.1, "382"}, {20616, "20,616"}, {1246832, "1,246,832"}, {-1334, "-1,334"},
	}
	for _, tt := range tests {
		if got := number(tt.in); got != tt.want {
			t.Errorf("number(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestWrite_Forms(t *testing.T) {
	h := Header{Machine: "AMD EPYC, 2 cores, go1.26.8, linux/amd64", Command: "make bench", Commands: []string{"go test -bench X ./p"}}
	rows := []Row{{"API", "orders/s", "5.77", "15.8", "0.37×"}, {"API", "added, ms", "1.5", none, none}, {"Cost", "calls", "5", "1", "5.00×"}}
	tests := []struct {
		name  string
		write func(*bytes.Buffer) error
		want  []string
	}{
		{"text", func(b *bytes.Buffer) error { return WriteText(b, h, rows) }, []string{
			"machine: AMD EPYC, 2 cores, go1.26.8, linux/amd64\ncommand: make bench\n  go test -bench X ./p\n",
			"area  measure    Mercato  baseline  ratio\n",
			"API   orders/s   5.77     15.8      0.37×\n      added, ms  1.5      —         —\nCost  calls      5        1         5.00×\n",
		}},
		{"markdown", func(b *bytes.Buffer) error { return WriteMarkdown(b, h, rows) }, []string{
			"Machine: AMD EPYC, 2 cores, go1.26.8, linux/amd64. Command: `make bench`, which runs:\n\n    go test -bench X ./p\n",
			"| area | measure | Mercato | baseline | ratio |\n|---|---|---:|---:|---:|\n",
			"| API | orders/s | 5.77 | 15.8 | 0.37× |\n|  | added, ms | 1.5 | — | — |\n| Cost | calls | 5 | 1 | 5.00× |\n",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.write(&b); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, b.String())
				}
			}
		})
	}
}

// TestRun_From tabulates a saved run, as `make bench BENCHFLAGS='-from
// bin/bench.txt -markdown'` does, and fails on one that lacks a row.
func TestRun_From(t *testing.T) {
	raw, err := os.ReadFile("testdata/sample.txt")
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(line, "BenchmarkAPI_Approve") {
			kept = append(kept, line)
		}
	}
	partial := filepath.Join(t.TempDir(), "partial.txt")
	if err := os.WriteFile(partial, []byte(strings.Join(kept, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		o        options
		want     []string
		wantErrs []string
	}{
		{name: "text", o: options{from: "testdata/sample.txt"},
			want: []string{"machine: ", "load: 1-minute average", "command: make bench\n", "Cold start    api: exec to first event"}},
		{name: "markdown", o: options{from: "testdata/sample.txt", markdown: true},
			want: []string{"Machine: ", "| Cold start | api: exec to first event",
				"|  | p50 added per delivery, µs | 320 | — | — |\n|  | p99 added per delivery, µs | -26,719 | — | — |\n"}},
		{name: "a row missing", o: options{from: partial},
			wantErrs: []string{"API, approve: approves/s", "Cost, approve: DynamoDB calls", "BenchmarkAPI_Approve did not report", partial}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.o.goBin = "go"
			var out bytes.Buffer
			err := run(context.Background(), tt.o, &out, io.Discard)
			for _, w := range tt.wantErrs {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error = %v, want one containing %q", err, w)
				}
			}
			if len(tt.wantErrs) == 0 && err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			if len(tt.wantErrs) > 0 && out.Len() != 0 {
				t.Errorf("a table was printed for a run with a row missing:\n%s", out.String())
			}
		})
	}
}

func TestCommands_Quoted(t *testing.T) {
	got := commands("go")[0]
	want := "go test -run '^$' -bench '^BenchmarkAPI_Order$' -benchmem -timeout 30m -benchtime 3s ./internal/httpapi"
	if got != want {
		t.Errorf("command = %q, want %q", got, want)
	}
}

func TestLoad_FromRaw(t *testing.T) {
	tests := []struct {
		name, raw, want string
	}{
		{"both recorded", "load average before: 3.12\n$ go test\nload average after: 2.50\n", "1-minute average 3.12 before the run, 2.50 after"},
		{"an older output without them", "$ go test\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := load([]byte(tt.raw)); got != tt.want {
				t.Errorf("load = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestField_CPUInfo(t *testing.T) {
	info := []byte("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n")
	if got := field(info, "model name", ":"); got != "AMD EPYC 7B13" {
		t.Errorf("model name = %q", got)
	}
	if got := field([]byte("goos: linux\ncpu: AMD EPYC\n"), "cpu", ":"); got != "AMD EPYC" {
		t.Errorf("cpu = %q", got)
	}
}
