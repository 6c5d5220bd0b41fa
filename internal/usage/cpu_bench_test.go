package usage_test

import (
	"path/filepath"
	"testing"

	"github.com/mercato-dev/mercato/internal/usage"
)

// BenchmarkValidateCPU measures the CPU time (user and system, every
// goroutine) the first pass spends per CSV row, the figure that scales
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
