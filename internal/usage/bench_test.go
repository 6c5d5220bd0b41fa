package usage_test

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/fulfillment/timeline"
	"github.com/mercato-dev/mercato/internal/sheet"
	"github.com/mercato-dev/mercato/internal/usage"
)

// benchAssets is the number of distinct assets the generated rows name.
const benchAssets = 1000

// memAssets serves benchAssets active assets from memory, so that the
// benchmark measures parsing and validation, not DynamoDB.
type memAssets struct{}

func (memAssets) ByID(_ context.Context, id string) (*usage.AssetInfo, error) {
	tl := timeline.Timeline{{At: nov1.AddDate(0, -1, 0), Status: fulfillment.AssetActive}}
	return &usage.AssetInfo{ID: id, Vendor: "VA-111-111", Product: "PRD-111-222-333", Marketplace: "MP-12345", Timeline: tl,
		Prices: map[string]string{minut.ID: "0.05"}}, nil
}

func (memAssets) ByParam(context.Context, string, string) ([]*usage.AssetInfo, error) {
	return nil, nil
}

func benchRow(i int) []string {
	start := nov1.Add(time.Duration(i%(29*24)) * time.Hour)
	return []string{fmt.Sprintf("rec-%08d", i), "", "item.mpn", "MIN", strconv.Itoa(i%500) + "." + strconv.Itoa(i%100),
		start.Format(time.DateTime), start.Add(time.Hour).Format(time.DateTime), "asset.id", fmt.Sprintf("AS-0000-0000-%04d", i%benchAssets)}
}

// writeCSV generates a usage file of n rows.
func writeCSV(tb testing.TB, path string, n int) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	cw := csv.NewWriter(w)
	_ = cw.Write(usage.Columns)
	for i := range n {
		_ = cw.Write(benchRow(i))
	}
	cw.Flush()
	if err := errors.Join(cw.Error(), w.Flush(), f.Close()); err != nil {
		tb.Fatal(err)
	}
}

// writeXLSX generates a usage workbook of n rows with excelize's stream
// writer.
func writeXLSX(tb testing.TB, path string, n int) {
	tb.Helper()
	wb := excelize.NewFile()
	sw, err := wb.NewStreamWriter("Sheet1")
	if err != nil {
		tb.Fatal(err)
	}
	row := func(i int, cells []string) {
		vals := make([]any, len(cells))
		for j, c := range cells {
			vals[j] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, i)
		if err := sw.SetRow(cell, vals); err != nil {
			tb.Fatal(err)
		}
	}
	row(1, usage.Columns)
	for i := range n {
		row(i+2, benchRow(i))
	}
	if err := errors.Join(sw.Flush(), wb.SaveAs(path), wb.Close()); err != nil {
		tb.Fatal(err)
	}
}

func benchValidator() *usage.Validator {
	f := testFile()
	return usage.NewValidator(f, usage.Catalog{Items: []catalog.Item{minut, gbs, seats}}, memAssets{})
}

// scanFile runs the usage function's pipeline over a file on disk and
// returns the records it found. anyRows lifts MaxRows, to measure memory
// on larger files.
func scanFile(path string, xlsx, anyRows bool) (int, error) {
	v := benchValidator()
	if anyRows {
		usage.LiftRowCap(v)
	}
	var rows sheet.Rows
	if xlsx {
		r, err := sheet.OpenXLSX(path, os.TempDir())
		if err != nil {
			return 0, err
		}
		rows = r
	} else {
		f, err := os.Open(path)
		if err != nil {
			return 0, err
		}
		defer func() { _ = f.Close() }()
		rows = sheet.NewCSV(f)
	}
	defer func() { _ = rows.Close() }()
	if err := v.Scan(context.Background(), rows, nil, nil); err != nil {
		return 0, err
	}
	rep := v.Report()
	if rep.Count > 0 {
		return 0, fmt.Errorf("%d errors: %v", rep.Count, rep.Errors[:min(3, len(rep.Errors))])
	}
	return rep.Records, nil
}

// plainRead reads a CSV with encoding/csv and nothing else: the baseline.
func plainRead(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer func() { _ = f.Close() }()
	r := csv.NewReader(f)
	n := -1
	for {
		_, err := r.Read()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return 0, err
		}
		n++
	}
}

// peakRSS scans the file in a fresh process of this test binary and
// returns that process's peak resident set, in MiB: the VmHWM it reports
// itself. The child's ru_maxrss would not do: Linux carries the parent's
// peak into it when the child execs (os/exec forks with the parent's
// memory), and the parent has just generated the file.
func peakRSS(b *testing.B, path string, xlsx bool) float64 {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestScanHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), "USAGE_SCAN_FILE="+path, "USAGE_SCAN_XLSX="+strconv.FormatBool(xlsx))
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "scanned") {
		b.Fatalf("helper process: %v\n%s", err, out)
	}
	_, after, ok := strings.Cut(string(out), "peak RSS ")
	kib, err := strconv.Atoi(strings.Fields(after + " x")[0])
	if !ok || err != nil {
		b.Skipf("no peak RSS from the helper process on this platform:\n%s", out)
	}
	return float64(kib) / 1024
}

// TestScanHelper is the child process of peakRSS; it does nothing in a
// normal test run. Run by hand, it measures a file of any size:
//
//	USAGE_SCAN_FILE=big.csv USAGE_SCAN_ANY_ROWS=true go test -run '^TestScanHelper$' ./internal/usage/
func TestScanHelper(t *testing.T) {
	path := os.Getenv("USAGE_SCAN_FILE")
	if path == "" {
		t.Skip("only run by the benchmarks' memory measurement")
	}
	n, err := scanFile(path, os.Getenv("USAGE_SCAN_XLSX") == "true", os.Getenv("USAGE_SCAN_ANY_ROWS") == "true")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("scanned %d records\n", n)
	if kib, ok := vmHWM(); ok {
		fmt.Printf("peak RSS %d KiB\n", kib)
	}
}

// vmHWM is this process's peak resident set, from Linux's
// /proc/self/status.
func vmHWM() (int, bool) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			kib, err := strconv.Atoi(f[0])
			return kib, err == nil && len(f) == 2 && f[1] == "kB"
		}
	}
	return 0, false
}

// benchPipeline times the pipeline and a plain encoding/csv read of the
// same rows (as CSV) in the same run, and reports both rates, their ratio
// (the target is at least 0.5) and the pipeline's peak RSS. For an XLSX
// file it also times a plain read of the workbook itself with the standard
// library (archive/zip and encoding/xml, every token of the sheet, no
// shared strings), the XLSX counterpart of the encoding/csv read, and
// reports the pipeline's ratio to that too.
func benchPipeline(b *testing.B, rows int, xlsx bool) {
	dir := b.TempDir()
	csvPath := filepath.Join(dir, "usage.csv")
	writeCSV(b, csvPath, rows)
	path := csvPath
	if xlsx {
		path = filepath.Join(dir, "usage.xlsx")
		writeXLSX(b, path, rows)
	}
	type reader struct {
		name string
		read func() (int, error)
		took time.Duration
	}
	readers := []reader{
		{name: "plain-csv", read: func() (int, error) { return plainRead(csvPath) }},
		{name: "pipeline", read: func() (int, error) { return scanFile(path, xlsx, false) }},
	}
	if xlsx {
		readers = append(readers, reader{name: "plain-xml", read: func() (int, error) { return plainXLSXRead(path) }})
	}
	b.ResetTimer()
	for range b.N {
		for i := range readers {
			// Each reader starts with a collected heap, so none pays for
			// another's garbage.
			runtime.GC()
			t0 := time.Now()
			n, err := readers[i].read()
			readers[i].took += time.Since(t0)
			if err != nil || n != rows {
				b.Fatalf("%s: %d rows, %v", readers[i].name, n, err)
			}
		}
	}
	b.StopTimer()
	total := float64(rows * b.N)
	plain, pipe := readers[0].took, readers[1].took
	b.ReportMetric(total/pipe.Seconds(), "rows/s")
	b.ReportMetric(total/plain.Seconds(), "plain-csv-rows/s")
	b.ReportMetric(plain.Seconds()/pipe.Seconds(), "ratio")
	if xlsx {
		xml := readers[2].took
		b.ReportMetric(total/xml.Seconds(), "plain-xml-rows/s")
		b.ReportMetric(xml.Seconds()/pipe.Seconds(), "xml-ratio")
	}
	b.ReportMetric(peakRSS(b, path, xlsx), "peak-RSS-MiB")
}

// plainXLSXRead reads every token of the workbook's first sheet with
// encoding/xml and counts the rows after the header, resolving nothing.
func plainXLSXRead(path string) (int, error) {
	z, err := zip.OpenReader(path)
	if err != nil {
		return 0, err
	}
	defer func() { _ = z.Close() }()
	f, err := z.Open("xl/worksheets/sheet1.xml")
	if err != nil {
		return 0, err
	}
	defer func() { _ = f.Close() }()
	d := xml.NewDecoder(f)
	n := -1
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return 0, err
		}
		if end, ok := tok.(xml.EndElement); ok && end.Name.Local == "row" {
			n++
		}
	}
}

func BenchmarkPipeline_CSV1M(b *testing.B)    { benchPipeline(b, 1_000_000, false) }
func BenchmarkPipeline_XLSX100k(b *testing.B) { benchPipeline(b, 100_000, true) }
