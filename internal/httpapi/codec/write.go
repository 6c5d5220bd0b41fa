package codec

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/mercato-dev/mercato/internal/httpapi/endpoint"
	"github.com/mercato-dev/mercato/internal/pclink"
	"github.com/mercato-dev/mercato/internal/rql"
)

// Connect's clients read an object, change a field and PUT it back. Connect
// ignores the read-only properties of such a body; so does Mercato. A
// property is read-only here when the resource's answer has it and the
// write's body does not (id, created, status…). A name that belongs to
// neither is still refused, so a typo never passes silently.

// DecodeWrite decodes a strict write body into in, first dropping the
// properties that only answer (see dropReadOnly).
func DecodeWrite(r *http.Request, in, answer any) error {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return DecodeError(err)
	}
	raw = dropReadOnly(raw, reflect.TypeOf(answer), reflect.TypeOf(in))
	return DecodeReader(bytes.NewReader(raw), in, true)
}

// dropReadOnly removes from the JSON object raw the properties that
// answer's type has and in's type lacks, and does so again inside each
// object property both have with different types (a product's
// capabilities, whose Connect parts only answer). Anything else, a
// malformed body included, is left to the strict decoding.
func dropReadOnly(raw []byte, answer, in reflect.Type) []byte {
	ans, wr := jsonFields(answer), jsonFields(in)
	if len(ans) == 0 {
		return raw
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil || m == nil {
		return raw
	}
	changed := false
	for k, v := range m {
		name := strings.ToLower(k)
		at, answered := ans[name]
		wt, writable := wr[name]
		switch {
		case !answered:
		case !writable:
			delete(m, k)
			changed = true
		case at != wt && at.Kind() == reflect.Struct && wt.Kind() == reflect.Struct:
			if nv := dropReadOnly(v, at, wt); !bytes.Equal(nv, v) {
				m[k] = nv
				changed = true
			}
		}
	}
	if !changed {
		return raw
	}
	out, err := json.Marshal(m)
	if err != nil {
		return raw
	}
	return out
}

var jsonFieldCache sync.Map // reflect.Type → map[string]reflect.Type

// jsonFields maps the lower-cased JSON property names of a struct type,
// those of embedded structs included, to their types (pointers followed).
// A shallower field hides a deeper one of the same name, as in
// encoding/json.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	if v, ok := jsonFieldCache.Load(t); ok {
		return v.(map[string]reflect.Type)
	}
	fields := map[string]reflect.Type{}
	var embedded []reflect.Type
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" {
			continue
		}
		if f.Anonymous && tag == "" {
			embedded = append(embedded, f.Type)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if tag == "" {
			tag = f.Name
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		fields[strings.ToLower(tag)] = ft
	}
	for _, e := range embedded {
		for n, ft := range jsonFields(e) {
			if _, ok := fields[n]; !ok {
				fields[n] = ft
			}
		}
	}
	jsonFieldCache.Store(t, fields)
	return fields
}

// JSONNames lists the lower-cased JSON property names of a struct type,
// those of embedded structs included.
func JSONNames(t reflect.Type) map[string]bool {
	names := map[string]bool{}
	for n := range jsonFields(t) {
		names[n] = true
	}
	return names
}

// MapViews is view of each item.
func MapViews[T, V any](items []T, view func(T) V) []V {
	out := make([]V, len(items))
	for i, it := range items {
		out[i] = view(it)
	}
	return out
}

// Create decodes a strict body (less the answer's read-only properties,
// see decodeWrite), calls fn and answers 201 with its result.
func Create[In, Out any](w http.ResponseWriter, r *http.Request, fn func(In) (Out, error)) error {
	return write(w, r, http.StatusCreated, fn)
}

// Update is create answering 200.
func Update[In, Out any](w http.ResponseWriter, r *http.Request, fn func(In) (Out, error)) error {
	return write(w, r, http.StatusOK, fn)
}

func write[In, Out any](w http.ResponseWriter, r *http.Request, status int, fn func(In) (Out, error)) error {
	var in In
	if err := DecodeWrite(r, &in, new(Out)); err != nil {
		return err
	}
	out, err := fn(in)
	return Respond(w, status, out, err)
}

// Respond answers status with out, unless err.
func Respond[Out any](w http.ResponseWriter, status int, out Out, err error) error {
	if err != nil {
		return err
	}
	endpoint.WriteJSON(w, status, out)
	return nil
}

// Show answers 200 with out, unless err.
func Show[Out any](w http.ResponseWriter, out Out, err error) error {
	return Respond(w, http.StatusOK, out, err)
}

// List answers a page of items, filtered and ordered by the request's RQL
// on the allowed fields.
func List[T any](w http.ResponseWriter, r *http.Request, items []T, err error, value rql.Value[T], allowed ...string) error {
	return ListAs(w, r, items, err, value, func(it T) T { return it }, allowed...)
}

// ListAs is list answering view(item) for each item.
func ListAs[T, V any](w http.ResponseWriter, r *http.Request, items []T, err error, value rql.Value[T], view func(T) V, allowed ...string) error {
	if err != nil {
		return err
	}
	q, err := rql.Parse(r.URL.Query(), allowed...)
	if err != nil {
		return err
	}
	return ListQuery(w, r, q, items, value, view)
}

// ListQuery answers a page of view(item) for the items q keeps, in q's order.
func ListQuery[T, V any](w http.ResponseWriter, r *http.Request, q rql.Query, items []T, value rql.Value[T], view func(T) V) error {
	p, err := ParsePaging(r)
	if err != nil {
		return err
	}
	kept := rql.Apply(q, items, value)
	start := min(p.Offset, len(kept))
	WritePage(w, MapViews(kept[start:min(start+p.Limit, len(kept))], view), p.Offset, len(kept))
	return nil
}

// NoContent answers 204, unless err.
func NoContent(w http.ResponseWriter, err error) error {
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Stamp is t as the lists compare times: RFC 3339 in UTC.
func Stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// collection is Partner Center's list envelope.
type collection[T any] struct {
	TotalCount int                    `json:"totalCount"`
	Items      []T                    `json:"items"`
	Links      map[string]pclink.Link `json:"links"`
	Attributes pclink.Attributes      `json:"attributes"`
}

// WriteCollection answers items in Partner Center's list envelope.
func WriteCollection[T any](w http.ResponseWriter, r *http.Request, items []T) {
	if items == nil {
		items = []T{}
	}
	endpoint.WriteJSON(w, http.StatusOK, collection[T]{
		TotalCount: len(items), Items: items,
		Links:      map[string]pclink.Link{"self": pclink.Get(r.URL.RequestURI())},
		Attributes: pclink.Attributes{ObjectType: "Collection"},
	})
}
