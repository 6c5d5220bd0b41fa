// Package codec holds what the HTTP routes of every function share beyond
// package endpoint: decoding request bodies, and answering objects, lists
// and pages with their cursors. httpapi's routes and the files routes
// (package files, FilesFunction's) both build on it, so that neither
// imports the other's services.
package codec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode"

	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/httpapi/endpoint"
)

// DecodeJSON reads the request body into v. Every way a body can be wrong
// becomes a 4xx that says what to fix: empty, oversize, not JSON, a field of
// the wrong type, or (when strict) a field the endpoint does not know.
// Property names match in any case, as Partner Center clients expect.
func DecodeJSON(r *http.Request, v any, strict bool) error {
	return DecodeReader(r.Body, v, strict)
}

// DecodeReader is DecodeJSON on any reader of a body.
func DecodeReader(body io.Reader, v any, strict bool) error {
	dec := json.NewDecoder(body)
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return DecodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return DecodeError(err)
		}
		return fault.Malformedf("request body has data after the JSON value")
	}
	return nil
}

// DecodeOptionalJSON decodes a strict body that may be left out: an empty
// body (or one of white space) leaves v as it is.
func DecodeOptionalJSON(r *http.Request, v any) error {
	raw, err := io.ReadAll(r.Body)
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return DecodeError(err)
	}
	if err != nil {
		return fault.Malformedf("request body could not be read: %v", err)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	r.Body = io.NopCloser(bytes.NewReader(raw))
	return DecodeJSON(r, v, true)
}

// DecodeError turns a JSON decoding error into the 4xx that says what to fix.
func DecodeError(err error) error {
	var (
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
		maxErr    *http.MaxBytesError
	)
	switch {
	case errors.Is(err, io.EOF):
		return fault.Malformedf("request body is empty; send a JSON object")
	case errors.As(err, &maxErr):
		return fault.TooLargef("request body exceeds the limit of %d bytes", maxErr.Limit)
	case errors.As(err, &syntaxErr):
		return fault.Malformedf("request body is not valid JSON: %s (at byte %d)", syntaxErr.Error(), syntaxErr.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fault.Malformedf("request body is not valid JSON: it ends too early")
	case errors.As(err, &typeErr):
		field := jsonPath(typeErr.Field)
		if field == "" {
			return fault.Malformedf("request body must be %s, not %s", jsonKind(typeErr.Type), typeErr.Value)
		}
		return fault.Malformedf("field %q must be %s, not %s", field, jsonKind(typeErr.Type), typeErr.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return fault.Invalidf("unknown field %s", name)
	}
	return fault.Malformedf("request body is not valid JSON: %v", err)
}

// jsonPath is a type error's field path as the client wrote it: encoding/json
// names an embedded struct's fields through the Go type (ProductInput.name),
// which no client sent. JSON names here all start in lower case.
func jsonPath(field string) string {
	parts := strings.Split(field, ".")
	kept := parts[:0]
	for _, p := range parts {
		if p != "" && !unicode.IsUpper(rune(p[0])) {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, ".")
}

func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "of type " + t.String()
}

// Paging is the limit/offset of a /public/v1 list.
type Paging struct {
	Limit, Offset int
}

const (
	defaultLimit = 100
	maxLimit     = 1000
)

// ParsePaging reads limit and offset, refusing values that are not
// non-negative integers or that exceed the maximum.
func ParsePaging(r *http.Request) (Paging, error) {
	p := Paging{Limit: defaultLimit}
	q := r.URL.Query()
	for _, f := range []struct {
		name string
		dst  *int
		max  int
	}{{"limit", &p.Limit, maxLimit}, {"offset", &p.Offset, -1}} {
		raw := q.Get(f.name)
		if raw == "" {
			continue
		}
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 {
			return Paging{}, fault.Invalidf("%s must be a non-negative integer, not %q", f.name, raw)
		}
		if f.max > 0 && n > f.max {
			return Paging{}, fault.Invalidf("%s must be at most %d", f.name, f.max)
		}
		*f.dst = n
	}
	if p.Limit == 0 {
		p.Limit = defaultLimit
	}
	return p, nil
}

// WriteList answers one page of items with Connect's Content-Range header,
// "items 0-99/1234".
func WriteList[T any](w http.ResponseWriter, all []T, p Paging) {
	start := min(p.Offset, len(all))
	WritePage(w, all[start:min(start+p.Limit, len(all))], p.Offset, len(all))
}

// UnknownTotal is the total of a list that was not read to its end.
const UnknownTotal = -1

// WritePage answers a page read at offset of a list of total items, or of
// unknownTotal, which Content-Range writes "*".
func WritePage[T any](w http.ResponseWriter, page []T, offset, total int) {
	if page == nil {
		page = []T{}
	}
	start, of := offset, "*"
	if total != UnknownTotal {
		start, of = min(offset, total), strconv.Itoa(total)
	}
	last := max(start+len(page)-1, start)
	w.Header().Set("Content-Range", fmt.Sprintf("items %d-%d/%s", start, last, of))
	endpoint.WriteJSON(w, http.StatusOK, page)
}
