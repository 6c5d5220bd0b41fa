// Package sheet reads a table of rows from a CSV or XLSX file, one row at a
// time and never the whole file, with the XLSX reader's own ZIP, XML and
// shared-strings handling bounded in memory. It knows nothing of what the
// rows mean: usage validates them.
package sheet

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
)

// Rows reads a file one row at a time, never the whole file.
type Rows interface {
	// Next returns the next row's cells and its 1-based row number, or
	// io.EOF after the last row. The slice is reused by the next call.
	Next() (cells []string, row int, err error)
	Close() error
}

// zipMagic starts every XLSX file (a ZIP archive).
const zipMagic = "PK\x03\x04"

// utf8BOM is what Excel puts before a CSV it saves as UTF-8.
var utf8BOM = []byte("\xEF\xBB\xBF")

// HeadLen is how many bytes of a file's start IsXLSX needs.
const HeadLen = len(zipMagic)

// IsXLSX reports whether the start of a file is an XLSX (ZIP) archive.
func IsXLSX(head []byte) bool { return bytes.HasPrefix(head, []byte(zipMagic)) }

type csvRows struct {
	r   *csv.Reader
	row int
}

// NewCSVRows reads CSV from r, streaming, in a goroutine that parses rows
// a few batches ahead of the caller's validation, which costs about as much
// (see ahead.go). A UTF-8 byte order mark is skipped; rows may have
// different numbers of fields. Close stops the goroutine.
func NewCSV(r io.Reader) Rows {
	br := bufio.NewReaderSize(r, 64<<10)
	if head, err := br.Peek(len(utf8BOM)); err == nil && bytes.Equal(head, utf8BOM) {
		_, _ = br.Discard(len(utf8BOM))
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	return newAheadRows(&csvRows{r: cr})
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

// Spool copies r to a temporary file in dir (at most limit bytes) for the
// XLSX reader: a ZIP archive is read from its end, its directory, and
// needs random access. The caller removes the file.
func Spool(r io.Reader, dir string, limit int64) (string, error) {
	tmp, err := os.CreateTemp(dir, "sheet-*.xlsx")
	if err != nil {
		return "", fmt.Errorf("sheet: temp file: %w", err)
	}
	n, err := io.Copy(tmp, io.LimitReader(r, limit+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return "", fmt.Errorf("sheet: spool xlsx: %w", err)
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
