package usage_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/mercato-dev/mercato/internal/sheet"
	"github.com/mercato-dev/mercato/internal/usage"
)

// BenchmarkValidateCPU measures the CPU time (user and system, every
// goroutine) validation alone spends per CSV row, the figure that scales
// to a Lambda's share of a core; the pipeline benchmarks measure rows a
// second on this machine's two cores. One op is one pass over 200,000
// rows.
func BenchmarkValidateCPU(b *testing.B) {
	const rows = 200_000
	path := filepath.Join(b.TempDir(), "usage.csv")
	writeCSV(b, path, rows)
	cpu0 := usage.CPUTime(b)
	b.ResetTimer()
	for range b.N {
		if n, err := scanFile(path, false, false); err != nil || n != rows {
			b.Fatalf("scan = %d, %v", n, err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((usage.CPUTime(b)-cpu0).Nanoseconds())/1e3/float64(b.N*rows), "cpu-µs/row")
}

// BenchmarkProcessCPU measures the CPU time per CSV row of the usage
// function's whole pass over a valid file: parsing, every row rule, the
// claim reads (BatchGetItem of 100 ids) and the record writes
// (BatchWriteItem of 25, DefaultWorkers in flight), against an endpoint
// that answers at once, whose own share is included (an upper bound).
// This is the CPU side of the 2,000,000-row figure in the README's "Usage
// at its stated limits". One op is one pass over 200,000 rows.
func BenchmarkProcessCPU(b *testing.B) {
	const rows = 200_000
	path := filepath.Join(b.TempDir(), "usage.csv")
	writeCSV(b, path, rows)
	store := usage.EndpointStore(b)
	b.ReportAllocs()
	cpu0 := usage.CPUTime(b)
	b.ResetTimer()
	for range b.N {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		rs := sheet.NewCSV(f)
		n, err := usage.OnePass(context.Background(), benchValidator(), rs, store, testFile())
		_ = rs.Close()
		_ = f.Close()
		if err != nil || n != rows {
			b.Fatalf("pass = %d, %v", n, err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((usage.CPUTime(b)-cpu0).Nanoseconds())/1e3/float64(b.N*rows), "cpu-µs/row")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e3/float64(b.N*rows), "wall-µs/row")
}
