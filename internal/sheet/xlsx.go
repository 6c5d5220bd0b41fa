package sheet

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"

	kflate "github.com/klauspost/compress/flate"
)

// MaxXLSXBytes bounds an XLSX upload, which is spooled to /tmp to be read
// (a ZIP archive needs random access) next to its shared strings past
// sstMemory. Memory does not depend on it. CSV files have no such limit.
const MaxXLSXBytes = 50 << 20

// maxParts bounds the entries of a workbook's ZIP directory, which
// archive/zip reads into memory whole: a workbook has a few dozen.
const maxParts = 10_000

// maxSheetRows and maxSheetCols are a worksheet's limits in Excel.
const (
	maxSheetRows = 1 << 20
	maxSheetCols = 1 << 14
)

// maxRowBytes bounds the text of one row that is not a shared string.
const maxRowBytes = 8 << 20

// relTypeSST ends the type of the workbook's relationship to its shared
// strings, in the transitional and the strict namespaces alike.
const relTypeSST = "/sharedStrings"

// OpenXLSXRows opens the workbook in a file and reads its first sheet
// (first in the workbook's order, not by name), a row at a time. Cell
// values are read raw, as stored: numbers with their digits, dates as
// serial numbers (the validator turns those into times), text from the
// shared strings or the cell. Temporary files, for a large table of
// shared strings, go to tmpDir ("" is the system's).
func OpenXLSX(filename, tmpDir string) (Rows, error) {
	f, err := os.Open(filename)
	if err != nil {
		return nil, fmt.Errorf("sheet: open xlsx: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("sheet: stat xlsx: %w", err)
	}
	rows, err := openXLSX(f, fi.Size(), tmpDir)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	rows.file = f
	return newAheadRows(rows), nil
}

// openXLSX reads the workbook in r, of size bytes.
func openXLSX(r io.ReaderAt, size int64, tmpDir string) (*sheetRows, error) {
	if err := checkParts(r, size); err != nil {
		return nil, err
	}
	z, err := zip.NewReader(r, size)
	if err != nil {
		return nil, formatErrorf("not a readable XLSX workbook: %v", err)
	}
	// Inflating the sheet is most of an XLSX read's CPU; klauspost's
	// inflater does it in less time than compress/flate's.
	z.RegisterDecompressor(zip.Deflate, func(r io.Reader) io.ReadCloser { return kflate.NewReader(r) })
	return openSheet(z, tmpDir, sstMemory)
}

// openSheet finds the first sheet and the shared strings of a workbook,
// reads the shared strings, keeping up to sstLimit bytes of them in memory
// (sstMemory but in tests), and starts reading the sheet.
func openSheet(z *zip.Reader, tmpDir string, sstLimit int) (*sheetRows, error) {
	sheetName, sstName, err := workbookParts(z)
	if err != nil {
		return nil, err
	}
	sheet := zipPart(z, sheetName)
	if sheet == nil {
		return nil, formatErrorf("not a readable XLSX workbook: it has no part %s for its first sheet", sheetName)
	}
	x := &sheetRows{}
	if part := zipPart(z, sstName); part != nil {
		if x.sst, err = loadSharedStrings(part, tmpDir, sstLimit); err != nil {
			return nil, err
		}
	}
	rc, err := sheet.Open()
	if err != nil {
		_ = x.Close()
		return nil, formatErrorf("the first sheet cannot be read: %v", err)
	}
	x.part, x.ahead = rc, newReadAhead(rc)
	x.sc = newXMLScanner(x.ahead)
	return x, nil
}

func loadSharedStrings(part *zip.File, tmpDir string, limit int) (*sharedStrings, error) {
	rc, err := part.Open()
	if err != nil {
		return nil, formatErrorf("the workbook's shared strings cannot be read: %v", err)
	}
	defer func() { _ = rc.Close() }()
	ahead := newReadAhead(rc)
	defer ahead.Close()
	return readSharedStrings(ahead, tmpDir, limit)
}

// checkParts refuses a ZIP whose directory lists more than maxParts
// entries before archive/zip reads it: 50 MB of bare entries would take
// hundreds of MB of memory.
func checkParts(f io.ReaderAt, size int64) error {
	const eocdLen, zip64LocLen = 22, 20
	n := min(size, eocdLen+65535)
	tail := make([]byte, n)
	if _, err := f.ReadAt(tail, size-n); err != nil {
		return fmt.Errorf("sheet: read xlsx: %w", err)
	}
	i := bytes.LastIndex(tail, []byte("PK\x05\x06"))
	if i < 0 || len(tail)-i < eocdLen {
		return formatErrorf("not a readable XLSX workbook: it is not a complete ZIP archive")
	}
	count := uint64(binary.LittleEndian.Uint16(tail[i+10:]))
	if count == 0xFFFF && i >= zip64LocLen && bytes.HasPrefix(tail[i-zip64LocLen:], []byte("PK\x06\x07")) {
		// ZIP64: the count is in the ZIP64 end record the locator points at.
		var rec [40]byte
		at := int64(binary.LittleEndian.Uint64(tail[i-zip64LocLen+8:]))
		if _, err := f.ReadAt(rec[:], at); err != nil || !bytes.HasPrefix(rec[:], []byte("PK\x06\x06")) {
			return formatErrorf("not a readable XLSX workbook: its ZIP64 directory is broken")
		}
		count = binary.LittleEndian.Uint64(rec[32:])
	}
	if count > maxParts {
		return formatErrorf("not a readable XLSX workbook: it has %d parts (a workbook has a few dozen)", count)
	}
	return nil
}

// zipPart finds a part by name; part names are case-insensitive in OOXML.
func zipPart(z *zip.Reader, name string) *zip.File {
	for _, f := range z.File {
		if f.Name == name {
			return f
		}
	}
	for _, f := range z.File {
		if strings.EqualFold(f.Name, name) {
			return f
		}
	}
	return nil
}

// xmlWorkbook is what the reader needs of xl/workbook.xml: each sheet's
// relationship id (r:id, in whichever namespace). Like the relationships,
// it is a small part, read with encoding/xml.
type xmlWorkbook struct {
	Sheets []struct {
		Attrs []xml.Attr `xml:",any,attr"`
	} `xml:"sheets>sheet"`
}

// xmlRels is xl/_rels/workbook.xml.rels: where the workbook's parts are.
type xmlRels struct {
	Rels []struct {
		ID     string `xml:"Id,attr"`
		Type   string `xml:"Type,attr"`
		Target string `xml:"Target,attr"`
	} `xml:"Relationship"`
}

// maxSmallPart bounds the workbook and relationships parts read whole.
const maxSmallPart = 4 << 20

// workbookParts returns the names of the first sheet's part and of the
// shared strings part. Without a usable workbook part or relationships,
// it falls back to the names Excel gives them.
func workbookParts(z *zip.Reader) (sheet, sst string, err error) {
	sheet, sst = "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"
	var wb xmlWorkbook
	if err := readSmallPart(z, "xl/workbook.xml", &wb); err != nil {
		if zipPart(z, sheet) != nil {
			return sheet, sst, nil
		}
		return "", "", formatErrorf("not a readable XLSX workbook: %v", err)
	}
	if len(wb.Sheets) == 0 {
		return "", "", formatErrorf("the workbook has no sheet")
	}
	var rels xmlRels
	if readSmallPart(z, "xl/_rels/workbook.xml.rels", &rels) != nil {
		return sheet, sst, nil
	}
	id := ""
	for _, a := range wb.Sheets[0].Attrs {
		if a.Name.Local == "id" {
			id = a.Value
		}
	}
	for _, r := range rels.Rels {
		switch {
		case r.ID == id && id != "":
			sheet = partName(r.Target)
		case strings.HasSuffix(r.Type, relTypeSST):
			sst = partName(r.Target)
		}
	}
	return sheet, sst, nil
}

// partName resolves a relationship's target against xl/, where the
// workbook part is.
func partName(target string) string {
	if strings.HasPrefix(target, "/") {
		return path.Clean(target[1:])
	}
	return path.Join("xl", target)
}

func readSmallPart(z *zip.Reader, name string, v any) error {
	part := zipPart(z, name)
	if part == nil {
		return fmt.Errorf("it has no part %s", name)
	}
	rc, err := part.Open()
	if err != nil {
		return fmt.Errorf("part %s: %w", name, err)
	}
	defer func() { _ = rc.Close() }()
	if err := xml.NewDecoder(io.LimitReader(rc, maxSmallPart)).Decode(v); err != nil {
		return fmt.Errorf("part %s: %w", name, err)
	}
	return nil
}

// Cell types (the t attribute) that change how a value is read; any
// other is the <v> text as it is (numbers, booleans, errors, formula
// strings, ISO dates).
const (
	cellOther = iota
	cellShared
	cellInline
)

// cellRef is where a cell's value is: a substring of the row's text, or
// a shared string held in memory (shared is its index in the row's
// shared, else -1). It holds no pointer, so that it costs no GC write
// barrier.
type cellRef struct {
	col, start, end, shared int32
}

// cellState is the cell being read: where its <v> and <is> texts are in
// the row's buffer (start -1 without one).
type cellState struct {
	col     int
	typ     int
	vStart  int
	vEnd    int
	isStart int
	isEnd   int
}

// sheetRows reads a worksheet's <sheetData> a row at a time. Each row's
// text (what is not a shared string in memory) is gathered in one buffer
// and made one string, so that a row costs one allocation, as a CSV
// record does.
type sheetRows struct {
	file  io.Closer
	part  io.ReadCloser
	ahead *readAhead
	sc    *xmlScanner
	sst   *sharedStrings

	row     int // the current row's number
	lastCol int // the last cell's column (0-based), -1 before the first
	inData  bool
	inRow   bool
	done    bool
	collect bool // text goes to the current cell
	inV     bool
	inIS    bool
	inPh    bool // a phonetic run, whose text is not the cell's
	cell    cellState
	inCell  bool
	buf     []byte
	refs    []cellRef
	shared  []string
	cells   []string
}

func (x *sheetRows) Next() ([]string, int, error) {
	if x.done {
		return nil, 0, io.EOF
	}
	for {
		if x.inRow && !x.inCell {
			ok, err := x.fastCell()
			if err != nil {
				x.done = true
				return nil, x.row, err
			}
			if ok {
				continue
			}
		}
		kind, err := x.sc.next()
		if err != nil {
			return nil, x.row, x.readError(err)
		}
		var rowDone bool
		switch kind {
		case tokText:
			err = x.text()
		case tokStart:
			rowDone, err = x.start()
		case tokEnd:
			rowDone, err = x.end()
		}
		if err != nil {
			x.done = true
			return nil, x.row, err
		}
		if rowDone {
			return x.cells, x.row, nil
		}
		if x.done {
			return nil, 0, io.EOF
		}
	}
}

func (x *sheetRows) readError(err error) error {
	x.done = true
	if errors.Is(err, io.EOF) {
		if x.inData {
			return formatErrorf("the sheet ends after row %d, inside its data: the file is cut short", x.row)
		}
		return io.EOF
	}
	return formatErrorf("the sheet cannot be read after row %d: %v", x.row, err)
}

func (x *sheetRows) text() error {
	if !x.collect {
		return nil
	}
	x.buf = appendText(x.buf, x.sc)
	if len(x.buf) > maxRowBytes {
		return errRowSize(x.row)
	}
	return nil
}

func errRowSize(row int) error {
	return formatErrorf("row %d holds more than %d MB of text", row, maxRowBytes>>20)
}

// start handles a start tag; rowDone is true for an empty row element.
func (x *sheetRows) start() (rowDone bool, err error) {
	empty := x.sc.empty
	name := x.sc.bytes(x.sc.name)
	if !x.inData {
		if string(name) == "sheetData" {
			x.inData, x.done = !empty, empty
		}
		return false, nil
	}
	switch string(name) {
	case "row":
		if err := x.startRow(); err != nil {
			return false, err
		}
		if empty {
			return x.endRow(), nil
		}
	case "c":
		if !x.inRow {
			return false, formatErrorf("the sheet has a cell outside a row after row %d", x.row)
		}
		return false, x.startCell(empty)
	case "v":
		if x.inCell && !x.inV && !x.inIS && !empty {
			x.inV, x.collect, x.cell.vStart = true, true, len(x.buf)
		}
	case "is":
		if x.inCell && !x.inV && !x.inIS && !empty {
			x.inIS, x.cell.isStart = true, len(x.buf)
		}
	case "t":
		if x.inIS {
			x.collect = !x.inPh && !empty
		}
	case "rPh":
		if x.inIS {
			x.inPh = !empty
		}
	}
	return false, nil
}

func (x *sheetRows) end() (rowDone bool, err error) {
	if !x.inData {
		return false, nil
	}
	switch string(x.sc.bytes(x.sc.name)) {
	case "v":
		x.endV()
	case "t":
		if x.inIS {
			x.collect = false
		}
	case "rPh":
		x.inPh = false
	case "is":
		x.endIS()
	case "c":
		if x.inCell {
			return false, x.endCell()
		}
	case "row":
		if x.inCell {
			if err := x.endCell(); err != nil {
				return false, err
			}
		}
		if x.inRow {
			return x.endRow(), nil
		}
	case "sheetData":
		x.inData, x.done = false, true
	}
	return false, nil
}

func (x *sheetRows) startRow() error {
	n := x.row + 1
	if r, ok := x.sc.attr("r"); ok {
		v, err := strconv.Atoi(string(r))
		if err != nil || v < 1 {
			return formatErrorf("the sheet has a row numbered %q after row %d", r, x.row)
		}
		n = v
	}
	if n > maxSheetRows {
		return formatErrorf("the sheet has a row %d, past a worksheet's %d rows", n, maxSheetRows)
	}
	x.row, x.lastCol, x.inRow = n, -1, true
	x.buf, x.refs = x.buf[:0], x.refs[:0]
	clear(x.shared)
	x.shared = x.shared[:0]
	return nil
}

func (x *sheetRows) startCell(empty bool) error {
	col := x.lastCol + 1
	if r, ok := x.sc.attr("r"); ok {
		if c, ok := columnOf(r); ok {
			col = c
		}
	}
	if col >= maxSheetCols {
		return formatErrorf("row %d has a cell past a worksheet's %d columns", x.row, maxSheetCols)
	}
	typ := cellOther
	if t, ok := x.sc.attr("t"); ok {
		typ = cellTypeOf(t)
	}
	x.lastCol = col
	x.cell = cellState{col: col, typ: typ, vStart: -1, isStart: -1}
	x.inCell, x.inV, x.inIS, x.inPh, x.collect = !empty, false, false, false, false
	return nil
}

func (x *sheetRows) endV() {
	if x.inV {
		x.inV, x.collect, x.cell.vEnd = false, false, len(x.buf)
	}
}

// endIS ends an inline string: its text is the runs' joined, Excel's
// escapes decoded.
func (x *sheetRows) endIS() {
	if x.inIS {
		x.inIS, x.inPh, x.collect = false, false, false
		x.buf = x.buf[:x.cell.isStart+len(unescapeBSTR(x.buf[x.cell.isStart:]))]
		x.cell.isEnd = len(x.buf)
	}
}

// columnOf reads the column of a cell reference ("B2" is 1).
func columnOf(ref []byte) (int, bool) {
	col, i := 0, 0
	for ; i < len(ref) && i < 4; i++ {
		c := ref[i] | 0x20 // lower case
		if c < 'a' || c > 'z' {
			break
		}
		col = col*26 + int(c-'a'+1)
	}
	return col - 1, i > 0
}

// endCell records the value of the cell just read; a <v> or <is> it
// left open ends with it.
func (x *sheetRows) endCell() error {
	x.endV()
	x.endIS()
	c := x.cell
	x.inCell = false
	switch {
	case c.typ == cellShared && c.vStart >= 0:
		return x.sharedCell(c)
	case c.typ == cellInline && c.isStart >= 0:
		x.refs = append(x.refs, cellRef{col: int32(c.col), start: int32(c.isStart), end: int32(c.isEnd), shared: -1})
	case c.vStart >= 0:
		x.refs = append(x.refs, cellRef{col: int32(c.col), start: int32(c.vStart), end: int32(c.vEnd), shared: -1})
	}
	return nil
}

func (x *sheetRows) sharedCell(c cellState) error {
	raw := bytes.TrimSpace(x.buf[c.vStart:c.vEnd])
	i, err := strconv.Atoi(string(raw))
	x.buf = x.buf[:c.vStart]
	if x.sst == nil || err != nil || i < 0 || i >= x.sst.count() {
		return formatErrorf("row %d: a cell names shared string %q, which the workbook does not have", x.row, raw)
	}
	if s, ok := x.sst.get(i); ok {
		x.refs = append(x.refs, cellRef{col: int32(c.col), shared: int32(len(x.shared))})
		x.shared = append(x.shared, s)
		return nil
	}
	if x.buf, err = x.sst.appendTo(x.buf, i); err != nil {
		return err
	}
	if len(x.buf) > maxRowBytes {
		return errRowSize(x.row)
	}
	x.refs = append(x.refs, cellRef{col: int32(c.col), start: int32(c.vStart), end: int32(len(x.buf)), shared: -1})
	return nil
}

// endRow makes the row's cells: one string of the row's text, and a
// cell, empty or a substring, for each column up to the last.
func (x *sheetRows) endRow() bool {
	x.inRow, x.inCell, x.collect = false, false, false
	n := 0
	for _, r := range x.refs {
		n = max(n, int(r.col)+1)
	}
	if cap(x.cells) < n {
		x.cells = make([]string, n)
	}
	x.cells = x.cells[:n]
	clear(x.cells)
	text := string(x.buf)
	for _, r := range x.refs {
		if r.shared >= 0 {
			x.cells[r.col] = x.shared[r.shared]
		} else {
			x.cells[r.col] = text[r.start:r.end]
		}
	}
	return true
}

func (x *sheetRows) Close() error {
	var errs []error
	if x.ahead != nil {
		x.ahead.Close()
	}
	if x.part != nil {
		errs = append(errs, x.part.Close())
	}
	if x.sst != nil {
		errs = append(errs, x.sst.Close())
	}
	if x.file != nil {
		errs = append(errs, x.file.Close())
	}
	return errors.Join(errs...)
}
