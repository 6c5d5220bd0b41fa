package httpapi

import (
	"context"
	"net/http"
	"reflect"
	"time"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/httpapi/codec"
	"github.com/mercato-dev/mercato/internal/httpapi/endpoint"
	"github.com/mercato-dev/mercato/internal/rql"
)

// The decoding of bodies and the answers of objects, lists and pages are
// package codec's, which the files routes share; these are the names the
// handlers' files use.
type (
	paging   = codec.Paging
	listPage = codec.ListPage
)

const unknownTotal = codec.UnknownTotal

func decodeJSON(r *http.Request, v any, strict bool) error { return codec.DecodeJSON(r, v, strict) }
func decodeOptionalJSON(r *http.Request, v any) error      { return codec.DecodeOptionalJSON(r, v) }
func decodeError(err error) error                          { return codec.DecodeError(err) }
func decodeWrite(r *http.Request, in, answer any) error {
	return codec.DecodeWrite(r, in, answer)
}
func jsonNames(t reflect.Type) map[string]bool { return codec.JSONNames(t) }

// writeJSON writes v with status (endpoint.WriteJSON).
func writeJSON(w http.ResponseWriter, status int, v any) { endpoint.WriteJSON(w, status, v) }

func parsePaging(r *http.Request) (paging, error) { return codec.ParsePaging(r) }
func writeList[T any](w http.ResponseWriter, all []T, p paging) {
	codec.WriteList(w, all, p)
}
func writePage[T any](w http.ResponseWriter, page []T, offset, total int) {
	codec.WritePage(w, page, offset, total)
}
func mapViews[T, V any](items []T, view func(T) V) []V { return codec.MapViews(items, view) }

func create[In, Out any](w http.ResponseWriter, r *http.Request, fn func(In) (Out, error)) error {
	return codec.Create(w, r, fn)
}
func update[In, Out any](w http.ResponseWriter, r *http.Request, fn func(In) (Out, error)) error {
	return codec.Update(w, r, fn)
}
func respond[Out any](w http.ResponseWriter, status int, out Out, err error) error {
	return codec.Respond(w, status, out, err)
}
func show[Out any](w http.ResponseWriter, out Out, err error) error { return codec.Show(w, out, err) }
func list[T any](w http.ResponseWriter, r *http.Request, items []T, err error, value rql.Value[T], allowed ...string) error {
	return codec.List(w, r, items, err, value, allowed...)
}
func listAs[T, V any](w http.ResponseWriter, r *http.Request, items []T, err error, value rql.Value[T], view func(T) V, allowed ...string) error {
	return codec.ListAs(w, r, items, err, value, view, allowed...)
}
func listQuery[T, V any](w http.ResponseWriter, r *http.Request, q rql.Query, items []T, value rql.Value[T], view func(T) V) error {
	return codec.ListQuery(w, r, q, items, value, view)
}
func noContent(w http.ResponseWriter, err error) error { return codec.NoContent(w, err) }
func stamp(t time.Time) string                         { return codec.Stamp(t) }
func writeCollection[T any](w http.ResponseWriter, r *http.Request, items []T) {
	codec.WriteCollection(w, r, items)
}

func queryID(q rql.Query) string { return codec.QueryID(q) }
func parseListPage(r *http.Request, list, account string, q rql.Query) (listPage, error) {
	return codec.ParseListPage(r, list, account, q)
}
func decodeCursor(raw string) (codec.Cursor, error) { return codec.DecodeCursor(raw) }
func timeBounds(q rql.Query, timeField string) (from, to string) {
	return codec.TimeBounds(q, timeField)
}
func residual(q rql.Query, pushed func(rql.Filter) bool) rql.Query { return codec.Residual(q, pushed) }
func matcher[T any](q rql.Query, value rql.Value[T]) func(T) bool  { return codec.Matcher(q, value) }
func isTimeBound(field string) func(rql.Filter) bool               { return codec.IsTimeBound(field) }
func writeListPage[T, V any](w http.ResponseWriter, r *http.Request, lp listPage, p fulfillment.Page[T], total int, view func(T) V) error {
	return codec.WriteListPage(w, r, lp, p, total, view)
}
func createdQuery[T any](r *http.Request, name string, fields []string) (rql.Query, listPage, fulfillment.ListQuery[T], error) {
	return codec.CreatedQuery[T](r, name, fields)
}
func createdList[T, V any](w http.ResponseWriter, r *http.Request, name string, fields []string, value rql.Value[T],
	read func(context.Context, account.Principal, fulfillment.ListQuery[T]) (fulfillment.Page[T], error),
	count func(context.Context, account.Principal) (int, error), view func(T) V) error {
	return codec.CreatedList(w, r, name, fields, value, read, count, view)
}
func writeCountedPage[T, V any](w http.ResponseWriter, r *http.Request, lp listPage, lq fulfillment.ListQuery[T], page fulfillment.Page[T], err error,
	count func() (int, error), view func(T) V) error {
	return codec.WriteCountedPage(w, r, lp, lq, page, err, count, view)
}
