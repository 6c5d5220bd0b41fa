package sheet

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
)

// TestWriteXLSX_ReadsBack writes a workbook and reads every sheet back
// with excelize, and the first with this package's reader.
func TestWriteXLSX_ReadsBack(t *testing.T) {
	wide := make([]string, 30) // past column Z
	for i := range wide {
		wide[i] = "c" + columnName(i)
	}
	sheets := []Sheet{
		{Name: "usage_records", Rows: [][]string{
			{"record_id", "quantity", "note"},
			{"R-1", "12.5", "a & b < c > d \"q\" 'a'"},
			{"", "3", " leading and trailing "},
			{"R-3", "", "é ünïcödé 日本"},
			wide,
		}},
		{Name: "items & more", Rows: [][]string{{"id", "mpn"}, {"PRD-1-0001", "BACKUP-100GB"}}},
	}
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, sheets); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("excelize cannot open the workbook: %v", err)
	}
	defer func() { _ = f.Close() }()
	if diff := cmp.Diff([]string{sheets[0].Name, sheets[1].Name}, f.GetSheetList()); diff != "" {
		t.Errorf("sheet names (-want +got):\n%s", diff)
	}
	for _, s := range sheets {
		got, err := f.GetRows(s.Name)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(trimmed(s.Rows), got); diff != "" {
			t.Errorf("%s read by excelize (-want +got):\n%s", s.Name, diff)
		}
	}
	// A date typed into the workbook needs a style: the style table is there.
	if err := f.SetCellValue(sheets[1].Name, "C2", time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)); err != nil {
		t.Errorf("excelize cannot set a date cell: %v", err)
	}
	rows, err := openXLSX(bytes.NewReader(buf.Bytes()), int64(buf.Len()), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	var got [][]string
	for {
		cells, _, err := rows.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, append([]string(nil), cells...))
	}
	if diff := cmp.Diff(trimmed(sheets[0].Rows), trimmed(got)); diff != "" {
		t.Errorf("first sheet read by the reader (-want +got):\n%s", diff)
	}
}

func TestColumnName(t *testing.T) {
	for j, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 51: "AZ", 52: "BA", 701: "ZZ", 702: "AAA"} {
		if got := columnName(j); got != want {
			t.Errorf("columnName(%d) = %s, want %s", j, got, want)
		}
	}
}

// trimmed drops trailing empty cells, which neither reader reports.
func trimmed(rows [][]string) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		n := len(r)
		for n > 0 && r[n-1] == "" {
			n--
		}
		out[i] = r[:n]
	}
	return out
}
