package usage

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/xuri/excelize/v2"
)

// Rows reads a usage file one row at a time, never the whole file.
type Rows interface {
	// Next returns the next row's cells and its 1-based row number, or
	// io.EOF after the last row. The slice is reused by the next call.
	Next() (cells []string, row int, err error)
	Close() error
}

// zipMagic starts every XLSX file (a ZIP archive).
var zipMagic = []byte("PK\x03\x04")

// utf8BOM is what Excel puts before a CSV it saves as UTF-8.
var utf8BOM = []byte("\xEF\xBB\xBF")

// IsXLSX reports whether the start of a file is an XLSX (ZIP) archive.
func IsXLSX(head []byte) bool { return bytes.HasPrefix(head, zipMagic) }

type csvRows struct {
	r   *csv.Reader
	row int
}

// NewCSVRows reads CSV from r, streaming. A UTF-8 byte order mark is
// skipped; rows may have different numbers of fields.
func NewCSVRows(r io.Reader) Rows {
	br := bufio.NewReaderSize(r, 64<<10)
	if head, err := br.Peek(len(utf8BOM)); err == nil && bytes.Equal(head, utf8BOM) {
		_, _ = br.Discard(len(utf8BOM))
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	return &csvRows{r: cr}
}

func (c *csvRows) Next() ([]string, int, error) {
	rec, err := c.r.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, pe.StartLine, formatErrorf("row %d: not valid CSV: %v", pe.StartLine, pe.Err)
		}
		return nil, 0, err
	}
	line, _ := c.r.FieldPos(0)
	c.row = line
	return rec, line, nil
}

func (c *csvRows) Close() error { return nil }

// xlsxRows reads the first sheet of a workbook on disk. excelize keeps the
// compressed workbook in memory and spills the worksheet and the shared
// strings to temporary files past xlsxSpill, so memory follows the
// compressed size, which MaxXLSXBytes bounds.
type xlsxRows struct {
	f    *excelize.File
	rows *excelize.Rows
	row  int
}

// MaxXLSXBytes bounds an XLSX upload: excelize holds the compressed
// workbook in memory. CSV files have no such limit.
const MaxXLSXBytes = 50 << 20

// xlsxSpill is the uncompressed size past which excelize reads a worksheet
// or the shared strings from a temporary file rather than memory.
const xlsxSpill = 1 << 20

// OpenXLSXRows opens the workbook at path and reads its first sheet. Cell
// values are read raw (numbers and dates as stored, not as formatted), so
// that quantities keep their digits; dates stored as serial numbers are
// turned into times by the validator.
func OpenXLSXRows(path, tmpDir string) (Rows, error) {
	f, err := excelize.OpenFile(path, excelize.Options{RawCellValue: true, UnzipXMLSizeLimit: xlsxSpill, TmpDir: tmpDir})
	if err != nil {
		return nil, formatErrorf("not a readable XLSX workbook: %v", err)
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		_ = f.Close()
		return nil, formatErrorf("the workbook has no sheet")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		_ = f.Close()
		return nil, formatErrorf("sheet %s cannot be read: %v", sheets[0], err)
	}
	return &xlsxRows{f: f, rows: rows}, nil
}

func (x *xlsxRows) Next() ([]string, int, error) {
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return nil, x.row, formatErrorf("the sheet cannot be read after row %d: %v", x.row, err)
		}
		return nil, 0, io.EOF
	}
	x.row++
	cells, err := x.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, x.row, formatErrorf("row %d cannot be read: %v", x.row, err)
	}
	return cells, x.row, nil
}

func (x *xlsxRows) Close() error {
	err := x.rows.Close()
	if cerr := x.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// spool copies r to a temporary file in dir (at most limit bytes) for the
// XLSX reader, which needs random access. The caller removes the file.
func spool(r io.Reader, dir string, limit int64) (string, error) {
	tmp, err := os.CreateTemp(dir, "usage-*.xlsx")
	if err != nil {
		return "", fmt.Errorf("usage: temp file: %w", err)
	}
	n, err := io.Copy(tmp, io.LimitReader(r, limit+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return "", fmt.Errorf("usage: spool xlsx: %w", err)
	}
	if n > limit {
		_ = os.Remove(tmp.Name())
		return "", errTooLarge
	}
	return tmp.Name(), nil
}

var errTooLarge = formatErrorf("XLSX files are limited to %d MB; send larger usage as CSV, which has no limit", MaxXLSXBytes>>20)

// FormatError is a file that cannot be read as CSV or XLSX: the file is
// invalid, where an error reading it from S3 is retried.
type FormatError struct{ Msg string }

func (e *FormatError) Error() string { return e.Msg }

func formatErrorf(format string, args ...any) *FormatError {
	return &FormatError{Msg: fmt.Sprintf(format, args...)}
}
