package usage_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/mercato-dev/mercato/internal/sheet"
	"github.com/mercato-dev/mercato/internal/usage"
)

// cpuRows is the rows of one op of the CPU benchmarks.
const cpuRows = 200_000

// BenchmarkValidateCPU measures the CPU time (user and system, every
// goroutine) validation alone spends per CSV row, the figure that scales
// to a Lambda's share of a core; the pipeline benchmarks measure rows a
// second on this machine's two cores. One op is one pass over 200,000
// rows.
func BenchmarkValidateCPU(b *testing.B) {
	cpuPerRow(b, func(path string) (int, error) { return scanFile(path, false, false) })
}

// BenchmarkProcessCPU measures the CPU time per CSV row of the usage
// function's whole pass over a valid file: parsing, every row rule, the
// claim reads (BatchGetItem of 100 ids) and the record writes
// (BatchWriteItem of 25, DefaultWorkers in flight), against an endpoint
// that answers at once, whose own share is included (an upper bound).
// This is the CPU side of the 2,000,000-row figure in the README's "Usage
// at its stated limits". One op is one pass over 200,000 rows.
func BenchmarkProcessCPU(b *testing.B) {
	store := usage.EndpointStore(b)
	b.ReportAllocs()
	cpuPerRow(b, func(path string) (int, error) {
		f, err := os.Open(path)
		if err != nil {
			return 0, err
		}
		defer func() { _ = f.Close() }()
		rs := sheet.NewCSV(f)
		defer func() { _ = rs.Close() }()
		return usage.OnePass(context.Background(), benchValidator(), rs, store, testFile())
	})
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e3/float64(b.N*cpuRows), "wall-µs/row")
}

// cpuPerRow passes over a valid CSV file of cpuRows rows b.N times and
// reports the CPU time each row took.
func cpuPerRow(b *testing.B, pass func(path string) (int, error)) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "usage.csv")
	writeCSV(b, path, cpuRows)
	cpu0 := usage.CPUTime(b)
	b.ResetTimer()
	for range b.N {
		if n, err := pass(path); err != nil || n != cpuRows {
			b.Fatalf("pass = %d, %v", n, err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((usage.CPUTime(b)-cpu0).Nanoseconds())/1e3/float64(b.N*cpuRows), "cpu-µs/row")
}
