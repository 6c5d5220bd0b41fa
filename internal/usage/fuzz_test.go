package usage

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"
)

// FuzzParseQuantity checks the row parser's fast quantity path against
// shopspring/decimal: whatever it accepts is a non-negative decimal of the
// same value within the precision, and whatever such decimal it refuses is
// refused for a stated reason.
func FuzzParseQuantity(f *testing.F) {
	for _, s := range []string{"12.5", "0", "007", ".5", "5.", "1e3", "-1", "99999999999999999999", "1.234", "1.50", "+2", " 1"} {
		f.Add(s, uint8(2))
	}
	f.Fuzz(func(t *testing.T, s string, prec uint8) {
		d := int(prec % 9)
		q, err := parseQuantity(s, d)
		ref, rerr := decimal.NewFromString(s)
		if strings.HasPrefix(s, "-") {
			// A signed quantity is refused, even -0: usage is never
			// negative, and a sign means the file was made wrong.
			if err == nil {
				t.Fatalf("parseQuantity(%q, %d) accepted a signed quantity", s, d)
			}
			return
		}
		if err != nil {
			if rerr == nil && ref.Sign() >= 0 && ref.Equal(ref.Round(int32(d))) {
				t.Fatalf("parseQuantity(%q, %d) refused a valid quantity: %v", s, d, err)
			}
			return
		}
		if rerr != nil {
			t.Fatalf("parseQuantity(%q, %d) accepted what decimal refuses: %v", s, d, rerr)
		}
		got, perr := decimal.NewFromString(q.String())
		if perr != nil || !got.Equal(ref) || ref.Sign() < 0 {
			t.Fatalf("parseQuantity(%q, %d) = %s, want %s", s, d, q.String(), ref)
		}
	})
}

// FuzzFastTime checks the fast time path against time.Parse: every time it
// accepts, time.Parse accepts too, as the same instant.
func FuzzFastTime(f *testing.F) {
	for _, s := range []string{"2026-11-01", "2026-11-01 10:00:00", "2026-11-01T10:00:00Z", "2026-02-30", "2024-02-29T23:59:59", "0000-01-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := fastTime(s)
		if !ok {
			return
		}
		layout, v := "2006-01-02T15:04:05", strings.Replace(strings.TrimSuffix(s, "Z"), " ", "T", 1)
		if len(v) == 10 {
			layout = time.DateOnly
		}
		want, err := time.Parse(layout, v)
		if err != nil || !want.Equal(got) {
			t.Fatalf("fastTime(%q) = %v, time.Parse says %v, %v", s, got, want, err)
		}
	})
}

// FuzzSheetReader reads arbitrary worksheet and shared strings XML: the
// reader never panics, fails only with a FormatError, and where excelize
// reads the workbook too, the two agree on every row.
func FuzzSheetReader(f *testing.F) {
	for _, s := range []struct{ rows, sst string }{
		{`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="inlineStr"><is><t>a&amp;b</t></is></c></row>`, `<si><t>x</t></si>`},
		{`<row r="2"><c r="B2"><v>1.5</v></c><c r="C2" t="inlineStr"><is><r><t>ri</t></r><r><t>ch</t></r></is></c></row>`, ""},
		{`<row><c t="str"><f>A1</f><v>&lt;</v></c><c/><c t="inlineStr"><is><t>_x000D_</t></is></c></row><row r="9"/>`, ""},
		{`<row r="1"><c r="A1" t="s"><v>1</v></c></row>`, `<si><t>a</t><rPh><t>p</t></rPh></si><si><r><t>b</t></r></si>`},
		{"<row r=\"1\">\n <c r=\"A1\" t=\"inlineStr\"><is><t><![CDATA[<&>]]></t></is></c></row>", ""},
	} {
		f.Add(s.rows, s.sst)
	}
	f.Fuzz(func(t *testing.T, rows, sst string) {
		parts := workbookXML(rows, "")
		if sst != "" {
			parts["xl/sharedStrings.xml"] = `<sst ` + smlNS + `>` + sst + `</sst>`
		}
		data := zipOf(t, parts)
		limit := sstMemory
		if len(sst)%2 == 1 {
			limit = 64 // and the table on disk
		}
		got, err := readSheet(t, data, limit)
		var fe *FormatError
		if err != nil && !errors.As(err, &fe) {
			t.Fatalf("error %v is not a FormatError", err)
		}
		want, ok := excelizeReads(data)
		if err != nil || !ok {
			return
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("rows (-excelize +reader):\n%s", diff)
		}
	})
}

// excelizeReads reads the first sheet with excelize, as readSheet shows
// rows; ok is false when excelize cannot.
func excelizeReads(data []byte) ([]string, bool) {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, false
	}
	defer func() { _ = f.Close() }()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, false
	}
	rows, err := f.GetRows(sheets[0], excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, false
	}
	var out []string
	for i, cells := range rows {
		for len(cells) > 0 && cells[len(cells)-1] == "" {
			cells = cells[:len(cells)-1]
		}
		if len(cells) > 0 {
			out = append(out, fmt.Sprintf("%d: %s", i+1, strings.Join(cells, "|")))
		}
	}
	return out, true
}
