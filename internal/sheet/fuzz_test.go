package sheet

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
)

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
