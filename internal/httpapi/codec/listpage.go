package codec

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
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/httpapi/endpoint"
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
const MaxOffset = 10000

// cursorVersion changes when the cursor's content does.
const cursorVersion = 1

// Cursor continues a list after the last entry a page answered. It is
// bound to the list, the account and the filters it was made for, so a
// cursor used elsewhere is refused rather than misread. It carries no
// secret and needs none: whatever a client writes in it, the read stays
// inside the caller's own list.
type Cursor struct {
	V       int    `json:"v"`
	List    string `json:"l"`
	Account string `json:"a"`
	Query   string `json:"q"`
	After   string `json:"k"`
}

// ListPage is what a list request asks for, parsed.
type ListPage struct {
	Paging
	List, Account, Query string
	After                string // from the cursor
	Cursor               bool   // the request named a cursor
}

// QueryID names a list's filters and ordering, which a cursor is bound to.
func QueryID(q rql.Query) string {
	order := make([]string, len(q.Order))
	for i, o := range q.Order {
		order[i] = fmt.Sprintf("%s:%v", o.Field, o.Desc)
	}
	sum := sha256.Sum256([]byte(q.String() + "|" + strings.Join(order, ",")))
	return hex.EncodeToString(sum[:8])
}

// ParseListPage reads limit, offset and cursor for list of account's.
func ParseListPage(r *http.Request, list, account string, q rql.Query) (ListPage, error) {
	p, err := ParsePaging(r)
	if err != nil {
		return ListPage{}, err
	}
	lp := ListPage{Paging: p, List: list, Account: account, Query: QueryID(q)}
	raw, named := r.URL.Query()["cursor"]
	if !named {
		if p.Offset > MaxOffset {
			return ListPage{}, fault.Invalidf("offset must be at most %d; page deeper with the cursor of the Link header", MaxOffset)
		}
		return lp, nil
	}
	lp.Cursor = true
	if p.Offset != 0 {
		return ListPage{}, fault.Invalidf("offset cannot be combined with cursor")
	}
	if raw[0] == "" {
		return lp, nil // the first page, in cursor mode
	}
	c, err := DecodeCursor(raw[0])
	if err != nil {
		return ListPage{}, err
	}
	switch {
	case c.List != list:
		return ListPage{}, fault.Invalidf("the cursor belongs to another list")
	case c.Account != account:
		return ListPage{}, fault.Invalidf("the cursor belongs to another account")
	case c.Query != lp.Query:
		return ListPage{}, fault.Invalidf("the cursor was made for other filters or another ordering; send the same ones, or start again without it")
	}
	lp.After = c.After
	return lp, nil
}

// DecodeCursor reads a cursor a list answered, refusing one that is not.
func DecodeCursor(raw string) (Cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(raw)
	var c Cursor
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.V != cursorVersion || c.After == "" {
		return Cursor{}, fault.Invalidf("the cursor is malformed; use the one a list answered, unchanged")
	}
	return c, nil
}

// Encode is the cursor of lp's list that continues after the key after.
func (lp ListPage) Encode(after string) string {
	b, _ := json.Marshal(Cursor{V: cursorVersion, List: lp.List, Account: lp.Account, Query: lp.Query, After: after})
	return base64.RawURLEncoding.EncodeToString(b)
}

// KeyRange turns the created filters into sort-key bounds and the created
// ordering into a direction. Any other ordering cannot be read in order
// from the keys, and is refused.
func KeyRange(q rql.Query, timeField string) (from, to string, desc bool, err error) {
	for _, o := range q.Order {
		if o.Field != timeField {
			return "", "", false, fault.Invalidf("this list is ordered by %s only (ordering=%s or ordering=-%s), not by %s", timeField, timeField, timeField, o.Field)
		}
		desc = o.Desc
	}
	from, to = TimeBounds(q, timeField)
	return from, to, desc, nil
}

// TimeBounds turns the comparisons of timeField into sort-key bounds.
func TimeBounds(q rql.Query, timeField string) (from, to string) {
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

// Residual is q without the filters keys already applied.
func Residual(q rql.Query, pushed func(rql.Filter) bool) rql.Query {
	var out rql.Query
	for _, f := range q.Filters {
		if !pushed(f) {
			out.Filters = append(out.Filters, f)
		}
	}
	return out
}

// Matcher applies q's filters to one row; nil when there are none.
func Matcher[T any](q rql.Query, value rql.Value[T]) func(T) bool {
	if len(q.Filters) == 0 {
		return nil
	}
	return func(v T) bool { return len(rql.Apply(q, []T{v}, value)) == 1 }
}

// IsTimeBound is a created comparison that keyRange turned into bounds.
func IsTimeBound(field string) func(rql.Filter) bool {
	return func(f rql.Filter) bool {
		if f.Field != field {
			return false
		}
		_, ok := rql.ParseTime(f.Values[0])
		return ok && f.Op != rql.In && f.Op != rql.Out && f.Op != rql.Ne
	}
}

// WriteListPage answers a page in its views: Content-Range with the total
// (or "*" when it is not known), and a Link to the next page when there is
// one.
func WriteListPage[T, V any](w http.ResponseWriter, r *http.Request, lp ListPage, p fulfillment.Page[T], total int, view func(T) V) error {
	if p.Short && !lp.Cursor {
		return fulfillment.ErrBudget
	}
	if p.Next != "" {
		next := url.Values{}
		for k, v := range r.URL.Query() {
			if k != "offset" && k != "cursor" {
				next[k] = v
			}
		}
		next.Set("cursor", lp.Encode(p.Next))
		w.Header().Set("Link", fmt.Sprintf("<%s?%s>; rel=\"next\"", r.URL.Path, next.Encode()))
	}
	offset := lp.Offset
	if total < 0 {
		total = UnknownTotal
	}
	WritePage(w, MapViews(p.Items, view), offset, total)
	return nil
}

// CreatedQuery parses a page of a list whose sort key starts with the
// created time: created bounds and the created order are key conditions;
// the caller sets what else the keys narrow and Match.
func CreatedQuery[T any](r *http.Request, name string, fields []string) (rql.Query, ListPage, fulfillment.ListQuery[T], error) {
	q, err := rql.Parse(r.URL.Query(), fields...)
	if err != nil {
		return q, ListPage{}, fulfillment.ListQuery[T]{}, err
	}
	lp, err := ParseListPage(r, name, endpoint.Principal(r).AccountID, q)
	if err != nil {
		return q, ListPage{}, fulfillment.ListQuery[T]{}, err
	}
	lq := fulfillment.ListQuery[T]{After: lp.After, Offset: lp.Offset, Limit: lp.Limit}
	lq.From, lq.To, lq.Desc, err = KeyRange(q, "created")
	return q, lp, lq, err
}

// CreatedList answers a page of a list whose sort key starts with the
// created time and whose other filters all match the rows read.
func CreatedList[T, V any](w http.ResponseWriter, r *http.Request, name string, fields []string, value rql.Value[T],
	read func(context.Context, account.Principal, fulfillment.ListQuery[T]) (fulfillment.Page[T], error),
	count func(context.Context, account.Principal) (int, error), view func(T) V) error {
	q, lp, lq, err := CreatedQuery[T](r, name, fields)
	if err != nil {
		return err
	}
	lq.Match = Matcher(Residual(q, IsTimeBound("created")), value)
	actor := endpoint.Principal(r)
	page, err := read(r.Context(), actor, lq)
	return WriteCountedPage(w, r, lp, lq, page, err, func() (int, error) { return count(r.Context(), actor) }, view)
}

// WriteCountedPage answers the page read for lq, with its total: when the
// page did not reach the list's end and nothing but the keys' lists
// narrows it, count (the list's count items) gives the total.
func WriteCountedPage[T, V any](w http.ResponseWriter, r *http.Request, lp ListPage, lq fulfillment.ListQuery[T], page fulfillment.Page[T], err error,
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
	return WriteListPage(w, r, lp, page, total, view)
}
