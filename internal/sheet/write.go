package sheet

import (
	"archive/zip"
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Sheet is one worksheet to write: its name and its rows of text cells.
type Sheet struct {
	Name string
	Rows [][]string
}

// WriteXLSX writes a workbook of text-only sheets, the smallest package
// Excel, LibreOffice and this package's reader open: a workbook, its
// relationships and one worksheet per sheet, cells as inline strings (no
// shared strings, no styles). Empty cells are left out. The usage template
// is its only user, which saves the API a spreadsheet library.
func WriteXLSX(w io.Writer, sheets []Sheet) error {
	zw := zip.NewWriter(w)
	if err := writeXLSXParts(zw, sheets); err != nil {
		return fmt.Errorf("sheet: write xlsx: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("sheet: write xlsx: %w", err)
	}
	return nil
}

const (
	mainNS    = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
	xmlHead   = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"
	pkgRelNS  = "http://schemas.openxmlformats.org/package/2006/relationships"
	officeRel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	sheetMime = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
)

func writeXLSXParts(zw *zip.Writer, sheets []Sheet) error {
	types := `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
		`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>`
	book := `<workbook xmlns="` + mainNS + `" xmlns:r="` + officeRel + `"><sheets>`
	rels := `<Relationships xmlns="` + pkgRelNS + `"><Relationship Id="rIdStyles" Type="` + officeRel + `/styles" Target="styles.xml"/>`
	for i, s := range sheets {
		n := strconv.Itoa(i + 1)
		types += `<Override PartName="/xl/worksheets/sheet` + n + `.xml" ContentType="` + sheetMime + `"/>`
		book += `<sheet name="` + escape(s.Name) + `" sheetId="` + n + `" r:id="rId` + n + `"/>`
		rels += `<Relationship Id="rId` + n + `" Type="` + officeRel + `/worksheet" Target="worksheets/sheet` + n + `.xml"/>`
	}
	parts := []struct{ name, body string }{
		{"[Content_Types].xml", types + `</Types>`},
		{"_rels/.rels", `<Relationships xmlns="` + pkgRelNS + `"><Relationship Id="rId1" Type="` + officeRel + `/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", book + `</sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", rels + `</Relationships>`},
		{"xl/styles.xml", styles},
	}
	for _, p := range parts {
		f, err := zw.Create(p.name)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(f, xmlHead+p.body); err != nil {
			return err
		}
	}
	for i, s := range sheets {
		f, err := zw.Create("xl/worksheets/sheet" + strconv.Itoa(i+1) + ".xml")
		if err != nil {
			return err
		}
		if err := writeWorksheet(f, s.Rows); err != nil {
			return err
		}
	}
	return nil
}

// styles is the default style sheet (one font, the two fills every
// workbook has, one border, the Normal style): without it a spreadsheet
// program, or excelize, that formats a cell of the file (a date typed into
// the template) has no style table to add to.
const styles = `<styleSheet xmlns="` + mainNS + `">` +
	`<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>` +
	`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
	`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
	`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
	`<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>` +
	`<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>` +
	`</styleSheet>`

func writeWorksheet(w io.Writer, rows [][]string) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(xmlHead + `<worksheet xmlns="` + mainNS + `"><sheetData>`)
	for i, row := range rows {
		r := strconv.Itoa(i + 1)
		bw.WriteString(`<row r="` + r + `">`)
		for j, v := range row {
			if v == "" {
				continue
			}
			bw.WriteString(`<c r="` + columnName(j) + r + `" t="inlineStr"><is><t xml:space="preserve">`)
			bw.WriteString(escape(v))
			bw.WriteString(`</t></is></c>`)
		}
		bw.WriteString(`</row>`)
	}
	bw.WriteString(`</sheetData></worksheet>`)
	return bw.Flush()
}

// columnName is the letters of column j, from 0: A, …, Z, AA, ….
func columnName(j int) string {
	var b []byte
	for j++; j > 0; j = (j - 1) / 26 {
		b = append([]byte{byte('A' + (j-1)%26)}, b...)
	}
	return string(b)
}

func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder never fails
	return b.String()
}
