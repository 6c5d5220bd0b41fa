package sheet

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
)

const (
	smlNS   = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	relNS   = `xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
	relType = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
)

// workbookParts are the parts of a one-sheet workbook around a sheet's
// rows and, when sst is not "", its shared strings' <si> elements.
func workbookXML(rows, sst string) map[string]string {
	parts := map[string]string{
		"xl/workbook.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
			`<workbook ` + smlNS + ` ` + relNS + `><sheets><sheet name="usage" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="` + relType + `worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="` + relType + `sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
		"xl/worksheets/sheet1.xml": sheetXML(rows),
	}
	if sst != "" {
		parts["xl/sharedStrings.xml"] = `<?xml version="1.0" encoding="UTF-8"?><sst ` + smlNS + `>` + sst + `</sst>`
	}
	return parts
}

func sheetXML(rows string) string {
	return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" + `<worksheet ` + smlNS + `><dimension ref="A1:I9"/><sheetData>` +
		rows + `</sheetData><pageMargins left="0.7"/></worksheet>`
}

func zipOf(t testing.TB, parts map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range slices.Sorted(maps.Keys(parts)) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, parts[name]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readSheet reads every row of a workbook through the same path as the
// usage function (the read-ahead goroutines included), keeping up to
// sstLimit bytes of shared strings in memory. A row shows as "N: a|b|c",
// its trailing empty cells dropped; rows with no text are left out, as
// Scan skips them.
func readSheet(t testing.TB, data []byte, sstLimit int) ([]string, error) {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, formatErrorf("not a readable XLSX workbook: %v", err)
	}
	if err := checkParts(bytes.NewReader(data), int64(len(data))); err != nil {
		return nil, err
	}
	sheet, err := openSheet(z, t.TempDir(), sstLimit)
	if err != nil {
		return nil, err
	}
	rows := newAheadRows(sheet)
	defer func() {
		if err := rows.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}()
	var out []string
	for {
		cells, n, err := rows.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		for len(cells) > 0 && cells[len(cells)-1] == "" {
			cells = cells[:len(cells)-1]
		}
		if len(cells) > 0 {
			out = append(out, fmt.Sprintf("%d: %s", n, strings.Join(cells, "|")))
		}
	}
}

func inline(ref, text string) string {
	return `<c r="` + ref + `" t="inlineStr"><is><t>` + text + `</t></is></c>`
}

func TestSheetReader_Cells(t *testing.T) {
	tests := []struct {
		name  string
		rows  string
		sst   string
		parts map[string]string // replaces workbookXML(rows, sst)
		want  []string
	}{
		{
			name: "shared strings",
			sst: `<si><t>record_id</t></si><si><t xml:space="preserve"> a &amp; b </t></si>` +
				`<si><r><t>ri</t></r><r><rPr><b/><sz val="11"/></rPr><t>ch</t></r></si>` +
				`<si><t>漢字</t><rPh sb="0" eb="2"><t>かんじ</t></rPh></si><si/><si><t>last</t></si>`,
			rows: `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s" s="2"><v>2</v></c>` +
				`<c r="D1" t="s"><v>3</v></c><c r="E1" t="s"><v>4</v></c><c r="F1" t="s"><v> 5 </v></c></row>`,
			want: []string{"1: record_id| a & b |rich|漢字||last"},
		},
		{
			name: "inline strings",
			rows: `<row r="1">` + inline("A1", "plain") + `<c r="B1" t="inlineStr"><is><r><t>ri</t></r><r><rPr><i/></rPr><t>ch</t></r></is></c>` +
				`<c r="C1" t="inlineStr"><is><t xml:space="preserve"> spaced </t></is></c>` + inline("D1", "") + inline("E1", "é") + `</row>`,
			want: []string{"1: plain|rich| spaced ||é"},
		},
		{
			name: "gaps between cells and rows",
			rows: `<row r="1">` + inline("A1", "x") + inline("D1", "y") + `</row><row r="4">` + inline("B4", "z") + `</row>` +
				`<row r="7">` + inline("AA7", "far") + `</row>`,
			want: []string{"1: x|||y", "4: |z", "7: " + strings.Repeat("|", 26) + "far"},
		},
		{
			name: "cells and rows without references",
			rows: `<row><c t="inlineStr"><is><t>a</t></is></c><c t="inlineStr"><is><t>b</t></is></c></row><row><c><v>1</v></c>` +
				`<c r="C2"><v>3</v></c><c><v>4</v></c></row>`,
			want: []string{"1: a|b", "2: 1||3|4"},
		},
		{
			name: "entities",
			rows: `<row r="1">` + inline("A1", "&lt;a&gt; &amp; &quot;b&quot; &apos;c&apos; &#233;&#xE9;&#x1F600; &unknown; &#xD800; &#0; &amp") +
				`<c r="B1" t="str"><v>x&amp;y</v></c><c r="C1" t="s"><v>0</v></c></row>`,
			sst:  `<si><t>&lt;&#10;&gt;</t></si>`,
			want: []string{"1: <a> & \"b\" 'c' éé😀 &unknown; &#xD800; &#0; &amp|x&y|<\n>"},
		},
		{
			name: "line ends and Excel escapes",
			rows: `<row r="1">` + inline("A1", "a\r\nb\rc&#13;d") + inline("B1", "e_x000D_f _x005F_x0041_ _x41_ _xD800_g _x00e9_") +
				`<c r="C1"><v>_x0041_</v></c></row>`,
			want: []string{"1: a\nb\nc\rd|e\rf _x0041_ _x41_ g é|_x0041_"},
		},
		{
			name: "numbers, dates and other types as stored",
			rows: `<row r="1"><c r="A1"><v>1.5</v></c><c r="B1" s="3"><v>46328.416666666664</v></c><c r="C1" t="n"><v>7</v></c>` +
				`<c r="D1" t="b"><v>1</v></c><c r="E1" t="str"><f>A1*2</f><v>3</v></c><c r="F1" t="e"><v>#N/A</v></c>` +
				`<c r="G1" t="d"><v>2026-11-02T10:00:00Z</v></c><c r="H1" t="inlineStr"><v>inline v</v></c></row>`,
			want: []string{"1: 1.5|46328.416666666664|7|1|3|#N/A|2026-11-02T10:00:00Z|inline v"},
		},
		{
			name: "empty rows and cells",
			rows: `<row r="1">` + inline("A1", "h") + `</row><row r="2"/><row r="3"><c r="A3" s="1"/><c r="B3"/><c r="C3"><v></v></c>` +
				`<c r="D3"><v/></c></row><row r="5" spans="1:2" ht="15">` + inline("B5", "e") + `</row>`,
			want: []string{"1: h", "5: |e"},
		},
		{
			name: "the first sheet of the workbook, whatever its part's name",
			parts: map[string]string{
				"xl/workbook.xml": `<workbook ` + smlNS + ` ` + relNS + `><sheets><sheet name="usage_records" sheetId="2" r:id="rId7"/>` +
					`<sheet name="items" sheetId="1" r:id="rId1"/></sheets></workbook>`,
				"xl/_rels/workbook.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
					`<Relationship Id="rId1" Type="` + relType + `worksheet" Target="worksheets/sheet1.xml"/>` +
					`<Relationship Id="rId7" Type="` + relType + `worksheet" Target="/xl/worksheets/sheet2.xml"/></Relationships>`,
				"xl/worksheets/sheet1.xml": sheetXML(`<row r="1">` + inline("A1", "items sheet") + `</row>`),
				"xl/worksheets/sheet2.xml": sheetXML(`<row r="1">` + inline("A1", "usage sheet") + `</row>`),
			},
			want: []string{"1: usage sheet"},
		},
		{
			name:  "no workbook part: sheet1",
			parts: map[string]string{"xl/worksheets/sheet1.xml": sheetXML(`<row r="2">` + inline("B2", "alone") + `</row>`)},
			want:  []string{"2: |alone"},
		},
		{
			name: "namespace prefixes",
			parts: map[string]string{"xl/worksheets/sheet1.xml": `<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
				`<x:sheetData><x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>p</x:t></x:is></x:c><x:c r="B1"><x:v>2</x:v></x:c></x:row>` +
				`</x:sheetData></x:worksheet>`},
			want: []string{"1: p|2"},
		},
		{
			name: "comments, CDATA, indentation, odd attributes",
			rows: "\n  <!-- a note -->\n  <row r=\"1\">\n    <c r='A1' t='inlineStr' x14ac:foo=\"a>b\"><is><t><![CDATA[a<b&amp;]]></t></is></c>\n" +
				"    <c r=\"B1\" t=\"inlineStr\" ><is><t>q<![CDATA[]]>r</t></is></c>\n    <?pi x?>\n  </row>\n",
			want: []string{"1: a<b&amp;|qr"},
		},
		{
			name: "long tags and CDATA across the read-ahead blocks",
			rows: `<row r="1">` + strings.Repeat(`<c r="A1" t="inlineStr" x="`+strings.Repeat("a", 9000)+`"><is><t>v</t></is></c>`, 40) +
				`<c r="B1" t="inlineStr"><is><t><![CDATA[` + strings.Repeat("<&>", 100000) + `]]></t></is></c></row>`,
			want: []string{"1: v|" + strings.Repeat("<&>", 100000)},
		},
		{
			name: "long text across the scanner's buffer",
			rows: `<row r="1">` + inline("A1", strings.Repeat("x&amp;", 30000)) + inline("B1", "after") + `</row>`,
			want: []string{"1: " + strings.Repeat("x&", 30000) + "|after"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts := tt.parts
			if parts == nil {
				parts = workbookXML(tt.rows, tt.sst)
			}
			got, err := readSheet(t, zipOf(t, parts), sstMemory)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSheetReader_Errors(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"not a zip", []byte("PK\x03\x04 not really"), "not a readable XLSX workbook"},
		{"no sheet", zipOf(t, map[string]string{"[Content_Types].xml": "<Types/>"}), "not a readable XLSX workbook"},
		{"workbook without sheets", zipOf(t, map[string]string{"xl/workbook.xml": `<workbook ` + smlNS + `><sheets/></workbook>`}), "the workbook has no sheet"},
		{"cut short", zipOf(t, map[string]string{"xl/worksheets/sheet1.xml": `<worksheet><sheetData><row r="1">` + inline("A1", "x") + `</row>`}), "cut short"},
		{"unknown shared string", zipOf(t, workbookXML(`<row r="1"><c r="A1" t="s"><v>1</v></c></row>`, `<si><t>only</t></si>`)), `shared string "1"`},
		{"shared string without a table", zipOf(t, map[string]string{"xl/worksheets/sheet1.xml": sheetXML(`<row><c t="s"><v>0</v></c></row>`)}), "shared string"},
		{"document type", zipOf(t, map[string]string{"xl/worksheets/sheet1.xml": `<!DOCTYPE x [<!ENTITY a "b">]>` + sheetXML("")}), "document type"},
		{"row past a sheet's rows", zipOf(t, workbookXML(`<row r="1048577">`+inline("A1", "x")+`</row>`, "")), "past a worksheet's 1048576 rows"},
		{"bad row number", zipOf(t, workbookXML(`<row r="x1">`+inline("A1", "x")+`</row>`, "")), `row numbered "x1"`},
		{"column past a sheet's columns", zipOf(t, workbookXML(`<row r="1">`+inline("XFE1", "x")+`</row>`, "")), "past a worksheet's 16384 columns"},
		{"cut inside a tag", zipOf(t, map[string]string{"xl/worksheets/sheet1.xml": `<worksheet><sheetData><row r="1"><c r="A1" t="inl`}), "not well-formed"},
		{"malformed tag", zipOf(t, workbookXML(`<row r="1"><c r="A1" <v>1</v></c></row>`, "")), "not well-formed"},
		{"cell outside a row", zipOf(t, workbookXML(inline("A1", "x"), "")), "outside a row"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readSheet(t, tt.data, sstMemory)
			var fe *FormatError
			if !errors.As(err, &fe) || !strings.Contains(fe.Msg, tt.want) {
				t.Fatalf("error = %v, want a FormatError containing %q", err, tt.want)
			}
		})
	}
}

// TestSheetReader_File reads a workbook from a file, as the usage
// function does once it has spooled the object.
func TestSheetReader_File(t *testing.T) {
	path := t.TempDir() + "/usage.xlsx"
	if err := os.WriteFile(path, zipOf(t, workbookXML(`<row r="3">`+inline("C3", "x")+`</row>`, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	rows, err := OpenXLSX(path, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cells, n, err := rows.Next()
	if err != nil || n != 3 || !slices.Equal(cells, []string{"", "", "x"}) {
		t.Errorf("first row = %q, %d, %v", cells, n, err)
	}
	if _, _, err := rows.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("after the last row: %v, want io.EOF", err)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenXLSX(t.TempDir()+"/missing.xlsx", ""); err == nil {
		t.Error("a missing file opened")
	}
}

// TestSheetReader_TooManyParts checks that a ZIP directory is counted
// before archive/zip reads it into memory.
func TestSheetReader_TooManyParts(t *testing.T) {
	parts := map[string]string{}
	for i := range maxParts + 1 {
		parts[fmt.Sprintf("p%d", i)] = ""
	}
	data := zipOf(t, parts)
	err := checkParts(bytes.NewReader(data), int64(len(data)))
	var fe *FormatError
	if !errors.As(err, &fe) || !strings.Contains(fe.Msg, "10001 parts") {
		t.Fatalf("error = %v", err)
	}
}

// randomText is a cell's text with what XML, Excel and the scanner find
// hard: markup characters, entities' look-alikes, line ends, Excel's
// escapes, spaces at the ends, multi-byte characters, and now and then a
// text longer than the scanner's buffer.
func randomText(r *rand.Rand) string {
	pieces := []string{"a", "Z", "9", " ", "<", ">", "&", "&amp;", "\"", "'", "\n", "\r\n", "\t", "_x000D_", "_x005F_", "é", "漢", "😀", "]]>", "</t>", "1.5"}
	n := r.IntN(12)
	if r.IntN(200) == 0 {
		n = 20000 + r.IntN(20000)
	}
	var b strings.Builder
	for range n {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}

// TestSheetReader_AgainstExcelize writes workbooks with excelize, with
// shared strings (SetSheetRow) and with inline strings (its stream
// writer), and reads them back with excelize and with the reader.
func TestSheetReader_AgainstExcelize(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var rows [][]any
	for i := range 600 {
		row := make([]any, 6)
		for j := range row {
			switch r.IntN(8) {
			case 0:
				row[j] = nil
			case 1:
				row[j] = r.Float64() * 1000
			case 2:
				row[j] = r.IntN(100000)
			case 3:
				row[j] = time.Date(2026, 11, 1+i%30, i%24, 0, 0, 0, time.UTC)
			case 4:
				row[j] = r.IntN(2) == 0
			default:
				row[j] = randomText(r)
			}
		}
		rows = append(rows, row)
	}
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprintf("stream=%v", stream), func(t *testing.T) {
			data := excelizeWorkbook(t, rows, stream)
			want := excelizeRows(t, data)
			for _, limit := range []int{sstMemory, 256} {
				got, err := readSheet(t, data, limit)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("shared strings in memory up to %d: rows (-excelize +reader):\n%s", limit, diff)
				}
			}
		})
	}
}

func excelizeWorkbook(t *testing.T, rows [][]any, stream bool) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer func() { _ = f.Close() }()
	style, err := f.NewStyle(&excelize.Style{NumFmt: 22})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.NewSheet("second"); err != nil {
		t.Fatal(err)
	}
	if err := f.SetSheetRow("second", "A1", &[]any{"not", "this", "one"}); err != nil {
		t.Fatal(err)
	}
	var sw *excelize.StreamWriter
	if stream {
		if sw, err = f.NewStreamWriter("Sheet1"); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for i, row := range rows {
		n += 1 + i%3/2 // a gap now and then
		cell, _ := excelize.CoordinatesToCellName(1, n)
		if stream {
			err = sw.SetRow(cell, row, excelize.RowOpts{StyleID: style})
		} else {
			err = f.SetSheetRow("Sheet1", cell, &row)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if stream {
		if err := sw.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// excelizeRows reads the first sheet with excelize, raw, as readSheet
// shows rows.
func excelizeRows(t *testing.T, data []byte) []string {
	t.Helper()
	rows, ok := excelizeReads(data)
	if !ok {
		t.Fatal("excelize cannot read the workbook")
	}
	return rows
}

// TestSharedStrings_OnDisk checks a table past its memory: every entry
// reads back from the temporary files, which Close removes.
func TestSharedStrings_OnDisk(t *testing.T) {
	dir := t.TempDir()
	var si strings.Builder
	var want []string
	for i := range 5000 {
		s := fmt.Sprintf("entry %d %s", i, strings.Repeat("é", i%300))
		want = append(want, s)
		si.WriteString("<si><t>" + s + "</t></si>")
	}
	tbl, err := readSharedStrings(newReaderSource(strings.NewReader("<sst>"+si.String()+"</sst>")), dir, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if tbl.spill == nil || tbl.count() != len(want) {
		t.Fatalf("spilled %v, %d entries", tbl.spill != nil, tbl.count())
	}
	// Backwards, and then forwards, so that the cache misses.
	order := make([]int, 0, 2*len(want))
	for i := len(want) - 1; i >= 0; i-- {
		order = append(order, i)
	}
	for i := range want {
		order = append(order, i)
	}
	for _, i := range order {
		got, err := tbl.appendTo(nil, i)
		if err != nil || string(got) != want[i] {
			t.Fatalf("entry %d = %q, %v; want %q", i, got, err, want[i])
		}
	}
	if err := tbl.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
