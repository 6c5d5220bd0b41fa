package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/layout"
	"github.com/mercato-dev/mercato/internal/rql"
)

// The request and asset lists read what they answer (README: "What a list
// reads"). Their keys carry the creation time, so created bounds and the
// created order are key conditions, and the vendor's status filter picks
// the status lists; every other filter is applied to the rows read, within
// fulfillment.MatchBudget. Offsets past maxOffset are refused: deeper pages
// follow the cursor of the Link header instead, which costs the same at
// any depth.
const maxOffset = 10000

// cursorVersion changes when the cursor's content does.
const cursorVersion = 1

// listCursor continues a list after the last entry a page answered. It is
// bound to the list, the account and the filters it was made for, so a
// cursor used elsewhere is refused rather than misread. It carries no
// secret and needs none: whatever a client writes in it, the read stays
// inside the caller's own list.
type listCursor struct {
	V       int    `json:"v"`
	List    string `json:"l"`
	Account string `json:"a"`
	Query   string `json:"q"`
	After   string `json:"k"`
}

// listPage is what a list request asks for, parsed.
type listPage struct {
	paging
	list, account, query string
	after                string // from the cursor
	cursor               bool   // the request named a cursor
}

func queryID(q rql.Query) string {
	order := make([]string, len(q.Order))
	for i, o := range q.Order {
		order[i] = fmt.Sprintf("%s:%v", o.Field, o.Desc)
	}
	sum := sha256.Sum256([]byte(q.String() + "|" + strings.Join(order, ",")))
	return hex.EncodeToString(sum[:8])
}

// parseListPage reads limit, offset and cursor for list of account's.
func parseListPage(r *http.Request, list, account string, q rql.Query) (listPage, error) {
	p, err := parsePaging(r)
	if err != nil {
		return listPage{}, err
	}
	lp := listPage{paging: p, list: list, account: account, query: queryID(q)}
	raw, named := r.URL.Query()["cursor"]
	if !named {
		if p.Offset > maxOffset {
			return listPage{}, fault.Invalidf("offset must be at most %d; page deeper with the cursor of the Link header", maxOffset)
		}
		return lp, nil
	}
	lp.cursor = true
	if p.Offset != 0 {
		return listPage{}, fault.Invalidf("offset cannot be combined with cursor")
	}
	if raw[0] == "" {
		return lp, nil // the first page, in cursor mode
	}
	c, err := decodeCursor(raw[0])
	if err != nil {
		return listPage{}, err
	}
	switch {
	case c.List != list:
		return listPage{}, fault.Invalidf("the cursor belongs to another list")
	case c.Account != account:
		return listPage{}, fault.Invalidf("the cursor belongs to another account")
	case c.Query != lp.query:
		return listPage{}, fault.Invalidf("the cursor was made for other filters or another ordering; send the same ones, or start again without it")
	}
	lp.after = c.After
	return lp, nil
}

func decodeCursor(raw string) (listCursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(raw)
	var c listCursor
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.V != cursorVersion || c.After == "" {
		return listCursor{}, fault.Invalidf("the cursor is malformed; use the one a list answered, unchanged")
	}
	return c, nil
}

func (lp listPage) encode(after string) string {
	b, _ := json.Marshal(listCursor{V: cursorVersion, List: lp.list, Account: lp.account, Query: lp.query, After: after})
	return base64.RawURLEncoding.EncodeToString(b)
}

// keyRange turns the created filters into sort-key bounds and the created
// ordering into a direction. Any other ordering cannot be read in order
// from the keys, and is refused.
func keyRange(q rql.Query, timeField string) (from, to string, desc bool, err error) {
	for _, o := range q.Order {
		if o.Field != timeField {
			return "", "", false, fault.Invalidf("this list is ordered by %s only (ordering=%s or ordering=-%s), not by %s", timeField, timeField, timeField, o.Field)
		}
		desc = o.Desc
	}
	from, to = timeBounds(q, timeField)
	return from, to, desc, nil
}

// timeBounds turns the comparisons of timeField into sort-key bounds.
func timeBounds(q rql.Query, timeField string) (from, to string) {
	for _, f := range q.Filters {
		if f.Field != timeField {
			continue
		}
		t, ok := rql.ParseTime(f.Values[0])
		if !ok {
			continue // rql refused non-times already; an in() of times stays a row filter
		}
		from, to = narrow(from, to, f.Op, t)
	}
	return from, to
}

// narrow tightens [from, to) by one comparison with t. Index sort keys are
// <created>#<id>, so a bare time sorts before every key of that instant
// and "<time>#~" after them.
func narrow(from, to string, op rql.Op, t time.Time) (string, string) {
	at := layout.SortKey(t, "")
	at = at[:len(at)-1] // without the "#"
	lo, hi := "", ""
	switch op {
	case rql.Gt:
		lo = at + "#~"
	case rql.Ge, rql.Eq:
		lo = at
	case rql.Lt:
		hi = at
	case rql.Le:
		hi = at + "#~"
	}
	if op == rql.Eq {
		hi = at + "#~"
	}
	if lo != "" && lo > from {
		from = lo
	}
	if hi != "" && (to == "" || hi < to) {
		to = hi
	}
	return from, to
}

// residual is q without the filters keys already applied.
func residual(q rql.Query, pushed func(rql.Filter) bool) rql.Query {
	var out rql.Query
	for _, f := range q.Filters {
		if !pushed(f) {
			out.Filters = append(out.Filters, f)
		}
	}
	return out
}

// matcher applies q's filters to one row; nil when there are none.
func matcher[T any](q rql.Query, value rql.Value[T]) func(T) bool {
	if len(q.Filters) == 0 {
		return nil
	}
	return func(v T) bool { return len(rql.Apply(q, []T{v}, value)) == 1 }
}

// isTimeBound is a created comparison that keyRange turned into bounds.
func isTimeBound(field string) func(rql.Filter) bool {
	return func(f rql.Filter) bool {
		if f.Field != field {
			return false
		}
		_, ok := rql.ParseTime(f.Values[0])
		return ok && f.Op != rql.In && f.Op != rql.Out && f.Op != rql.Ne
	}
}

// writeListPage answers a page in its views: Content-Range with the total
// (or "*" when it is not known), and a Link to the next page when there is
// one.
func writeListPage[T, V any](w http.ResponseWriter, r *http.Request, lp listPage, p fulfillment.Page[T], total int, view func(T) V) error {
	if p.Short && !lp.cursor {
		return fulfillment.ErrBudget
	}
	if p.Next != "" {
		next := url.Values{}
		for k, v := range r.URL.Query() {
			if k != "offset" && k != "cursor" {
				next[k] = v
			}
		}
		next.Set("cursor", lp.encode(p.Next))
		w.Header().Set("Link", fmt.Sprintf("<%s?%s>; rel=\"next\"", r.URL.Path, next.Encode()))
	}
	offset := lp.Offset
	if total < 0 {
		total = unknownTotal
	}
	writePage(w, mapViews(p.Items, view), offset, total)
	return nil
}

// createdQuery parses a page of a list whose sort key starts with the
// created time: created bounds and the created order are key conditions;
// the caller sets what else the keys narrow and Match.
func createdQuery[T any](r *http.Request, name string, fields []string) (rql.Query, listPage, fulfillment.ListQuery[T], error) {
	q, err := rql.Parse(r.URL.Query(), fields...)
	if err != nil {
		return q, listPage{}, fulfillment.ListQuery[T]{}, err
	}
	lp, err := parseListPage(r, name, principal(r).AccountID, q)
	if err != nil {
		return q, listPage{}, fulfillment.ListQuery[T]{}, err
	}
	lq := fulfillment.ListQuery[T]{After: lp.after, Offset: lp.Offset, Limit: lp.Limit}
	lq.From, lq.To, lq.Desc, err = keyRange(q, "created")
	return q, lp, lq, err
}

// createdList answers a page of a list whose sort key starts with the
// created time and whose other filters all match the rows read.
func createdList[T, V any](w http.ResponseWriter, r *http.Request, name string, fields []string, value rql.Value[T],
	read func(context.Context, account.Principal, fulfillment.ListQuery[T]) (fulfillment.Page[T], error),
	count func(context.Context, account.Principal) (int, error), view func(T) V) error {
	q, lp, lq, err := createdQuery[T](r, name, fields)
	if err != nil {
		return err
	}
	lq.Match = matcher(residual(q, isTimeBound("created")), value)
	actor := principal(r)
	page, err := read(r.Context(), actor, lq)
	return writeCountedPage(w, r, lp, lq, page, err, func() (int, error) { return count(r.Context(), actor) }, view)
}

// writeCountedPage answers the page read for lq, with its total: when the
// page did not reach the list's end and nothing but the keys' lists
// narrows it, count (the list's count items) gives the total.
func writeCountedPage[T, V any](w http.ResponseWriter, r *http.Request, lp listPage, lq fulfillment.ListQuery[T], page fulfillment.Page[T], err error,
	count func() (int, error), view func(T) V) error {
	if err != nil {
		return err
	}
	total := page.Total
	if total < 0 && lq.Match == nil && lq.From == "" && lq.To == "" {
		if total, err = count(); err != nil {
			return err
		}
	}
	return writeListPage(w, r, lp, page, total, view)
}

// keyedList is a list whose sort key orders it by one field, for
// keyedQuery.
type keyedList[T any] struct {
	name     string   // the list a cursor names
	fields   []string // what the list filters and orders by
	keyField string   // the field the sort key orders by
	// timeKey: the sort key starts with keyField, a time, so that its
	// comparisons are key conditions.
	timeKey bool
	value   rql.Value[T]
}

// keyedPage answers a keyed list whose page the service reads alone: it
// parses the query, has read fetch the page and writes it through view.
func keyedPage[T, V any](w http.ResponseWriter, r *http.Request, l keyedList[T],
	read func(context.Context, account.Principal, dynamo.ListQuery[T]) (dynamo.ListPage[T], error), view func(T) V) error {
	_, lp, lq, err := keyedQuery(r, l)
	if err != nil {
		return err
	}
	page, err := read(r.Context(), principal(r), lq)
	if err != nil {
		return err
	}
	return writeListPage(w, r, lp, page, page.Total, view)
}

// keyedQuery parses a page of l: ordering by keyField (either direction)
// and keyField's time bounds are keys; ordering by another field sorts the
// list in memory, within dynamo.MatchBudget entries, and pages by offset
// only (a cursor follows the key order); every other filter matches the
// rows read, within the same budget.
func keyedQuery[T any](r *http.Request, l keyedList[T]) (rql.Query, listPage, dynamo.ListQuery[T], error) {
	q, err := rql.Parse(r.URL.Query(), l.fields...)
	if err != nil {
		return q, listPage{}, dynamo.ListQuery[T]{}, err
	}
	lp, err := parseListPage(r, l.name, principal(r).AccountID, q)
	if err != nil {
		return q, listPage{}, dynamo.ListQuery[T]{}, err
	}
	lq := dynamo.ListQuery[T]{After: lp.after, Offset: lp.Offset, Limit: lp.Limit}
	for _, o := range q.Order {
		if o.Field != l.keyField {
			if lp.cursor {
				return q, listPage{}, lq, fault.Invalidf("the cursor follows this list's %s order; ordering by %s pages with offset", l.keyField, o.Field)
			}
			order := rql.Query{Order: q.Order}
			lq.Sort = func(items []T) { copy(items, rql.Apply(order, items, l.value)) }
			break
		}
		lq.Desc = o.Desc
	}
	if lq.Sort != nil {
		lq.Desc = false
	}
	pushed := func(rql.Filter) bool { return false }
	if l.timeKey {
		lq.From, lq.To = timeBounds(q, l.keyField)
		pushed = isTimeBound(l.keyField)
	}
	lq.Match = matcher(residual(q, pushed), l.value)
	return q, lp, lq, nil
}
