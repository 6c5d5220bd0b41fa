// Package rql parses the list filters of the Connect-style API: plain query
// parameters (status=pending, created.gt=2026-01-01, asset.product.id=PRD-…)
// and the RQL subset DESIGN.md promises (eq, ne, in, out, gt, ge, lt, le,
// and, ordering), and applies them to a list. Fields are checked against
// what each endpoint allows, so a typo answers 400 instead of an empty list.
package rql

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mercato-dev/mercato/internal/fault"
)

// Op is a comparison.
type Op string

// The supported comparisons.
const (
	Eq  Op = "eq"
	Ne  Op = "ne"
	In  Op = "in"
	Out Op = "out"
	Gt  Op = "gt"
	Ge  Op = "ge"
	Lt  Op = "lt"
	Le  Op = "le"
)

// Filter is one condition on a field.
type Filter struct {
	Field  string
	Op     Op
	Values []string
}

// Order is one sort key.
type Order struct {
	Field string
	Desc  bool
}

// Query is a parsed list request. Filters are and-ed.
type Query struct {
	Filters []Filter
	Order   []Order
}

// reserved are query parameters that are not filters.
var reserved = map[string]bool{"limit": true, "offset": true, "search": true, "select": true, "cursor": true}

// Parse reads q. allowed lists the fields that may be filtered and ordered.
func Parse(q url.Values, allowed ...string) (Query, error) {
	var out Query
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if reserved[k] {
			continue
		}
		for _, v := range q[k] {
			if err := out.add(k, v); err != nil {
				return Query{}, err
			}
		}
	}
	return out, out.check(allowed)
}

// add handles one key=value pair: a plain filter (with an optional .op
// suffix), or an RQL expression given as a bare key ("?eq(status,draft)").
func (q *Query) add(k, v string) error {
	if strings.Contains(k, "(") {
		expr := k
		if v != "" {
			expr += "=" + v
		}
		return q.parseExpr(expr)
	}
	field, op := k, Eq
	if i := strings.LastIndexByte(k, '.'); i > 0 {
		if o := Op(k[i+1:]); isOp(o) {
			field, op = k[:i], o
		}
	}
	vals := []string{v}
	if op == In || op == Out {
		vals = strings.Split(v, ",")
	}
	q.Filters = append(q.Filters, Filter{Field: field, Op: op, Values: vals})
	return nil
}

func isOp(o Op) bool {
	switch o {
	case Eq, Ne, In, Out, Gt, Ge, Lt, Le:
		return true
	}
	return false
}

func (q *Query) parseExpr(s string) error {
	n, rest, err := parseNode(strings.TrimSpace(s))
	if err != nil {
		return err
	}
	if strings.TrimSpace(rest) != "" {
		return fault.Invalidf("RQL: unexpected %q after the expression", rest)
	}
	return q.apply(n)
}

// node is a parsed RQL call: name(args...), where an arg is a node or a
// plain value (leaf with empty name).
type node struct {
	name   string
	value  string
	args   []node
	isList bool // "(a,b)": a call without a name
}

const maxDepth = 8

func parseNode(s string) (node, string, error) { return parseNodeDepth(s, 0) }

func parseNodeDepth(s string, depth int) (node, string, error) {
	if depth > maxDepth {
		return node{}, "", fault.Invalidf("RQL: expression nested deeper than %d", maxDepth)
	}
	i := strings.IndexAny(s, "(),")
	if i < 0 || s[i] != '(' {
		// A plain value runs to the next comma or closing parenthesis.
		if i < 0 {
			i = len(s)
		}
		v, err := url.QueryUnescape(strings.TrimSpace(s[:i]))
		if err != nil {
			return node{}, "", fault.Invalidf("RQL: bad escape in %q", s[:i])
		}
		return node{value: v}, s[i:], nil
	}
	n := node{name: strings.TrimSpace(s[:i])}
	n.isList = n.name == ""
	rest := s[i+1:]
	for {
		rest = strings.TrimLeft(rest, " ")
		if strings.HasPrefix(rest, ")") {
			return n, rest[1:], nil
		}
		arg, r, err := parseNodeDepth(rest, depth+1)
		if err != nil {
			return node{}, "", err
		}
		n.args = append(n.args, arg)
		rest = strings.TrimLeft(r, " ")
		switch {
		case strings.HasPrefix(rest, ","):
			rest = rest[1:]
		case strings.HasPrefix(rest, ")"):
			return n, rest[1:], nil
		default:
			return node{}, "", fault.Invalidf("RQL: unclosed %s(", n.name)
		}
	}
}

func (n node) leaf() bool { return n.name == "" && !n.isList }

// listValues reads "(a,b)" or a single value.
func listValues(n node) ([]string, error) {
	if n.leaf() {
		return []string{n.value}, nil
	}
	if !n.isList {
		return nil, fault.Invalidf("RQL: a list is written (v1,v2)")
	}
	if len(n.args) == 0 {
		return nil, fault.Invalidf("RQL: an empty list matches nothing; give at least one value")
	}
	vals := make([]string, 0, len(n.args))
	for _, a := range n.args {
		if !a.leaf() {
			return nil, fault.Invalidf("RQL: a list holds plain values")
		}
		vals = append(vals, a.value)
	}
	return vals, nil
}

func (q *Query) apply(n node) error {
	switch {
	case n.name == "and":
		for _, a := range n.args {
			if a.leaf() || a.isList {
				return fault.Invalidf("RQL: and() takes expressions, not %q", a.value)
			}
			if err := q.apply(a); err != nil {
				return err
			}
		}
		return nil
	case n.name == "ordering":
		for _, a := range n.args {
			f := a.value
			desc := strings.HasPrefix(f, "-")
			f = strings.TrimLeft(f, "+-")
			if !a.leaf() || f == "" {
				return fault.Invalidf("RQL: ordering() takes field names")
			}
			q.Order = append(q.Order, Order{Field: f, Desc: desc})
		}
		return nil
	case n.name == string(In) || n.name == string(Out):
		if len(n.args) != 2 || !n.args[0].leaf() {
			return fault.Invalidf("RQL: %s(field,(v1,v2)) takes a field and a list", n.name)
		}
		vals, err := listValues(n.args[1])
		if err != nil {
			return err
		}
		q.Filters = append(q.Filters, Filter{Field: n.args[0].value, Op: Op(n.name), Values: vals})
		return nil
	case isOp(Op(n.name)):
		if len(n.args) != 2 || !n.args[0].leaf() || !n.args[1].leaf() {
			return fault.Invalidf("RQL: %s(field,value) takes a field and a value", n.name)
		}
		q.Filters = append(q.Filters, Filter{Field: n.args[0].value, Op: Op(n.name), Values: []string{n.args[1].value}})
		return nil
	}
	return fault.Invalidf("RQL: unsupported operator %q (supported: eq, ne, in, out, gt, ge, lt, le, and, ordering)", n.name)
}

func (q Query) check(allowed []string) error {
	var bad []string
	for _, f := range q.Filters {
		if !slices.Contains(allowed, f.Field) {
			bad = append(bad, f.Field)
		}
	}
	for _, o := range q.Order {
		if !slices.Contains(allowed, o.Field) {
			bad = append(bad, o.Field)
		}
	}
	if len(bad) > 0 {
		return fault.Invalidf("cannot filter or order by %s; allowed: %s", strings.Join(bad, ", "), strings.Join(allowed, ", "))
	}
	var msgs []string
	for _, f := range q.Filters {
		if !timeField(f.Field) {
			continue
		}
		for _, v := range f.Values {
			if _, ok := parseTime(v); !ok {
				msgs = append(msgs, fmt.Sprintf("%s takes an RFC 3339 time (2026-01-31T10:00:00Z) or a date (2026-01-31), not %q", f.Field, v))
			}
		}
	}
	if len(msgs) > 0 {
		return fault.InvalidList(msgs...)
	}
	return nil
}

// timeField reports whether a field holds times, by the API's naming:
// created, updated, and names ending in _at or _utc. A filter on one that
// is not a time would match nothing, so it is refused instead.
func timeField(name string) bool {
	return name == "created" || name == "updated" || strings.HasSuffix(name, "_at") || strings.HasSuffix(name, "_utc")
}

// Value reads a field of one list element as a string.
type Value[T any] func(item T, field string) string

// Apply filters and orders items. Values compare as strings, except that
// a value that reads as an RFC 3339 time (or a date, as midnight UTC) is
// compared as that instant, and a whole number as that number: the API
// writes times with as many fraction digits as they need ("10:00:00.5Z",
// "10:00:00Z"), and numbers with as many digits, and as strings those
// misorder ("10" < "9").
func Apply[T any](q Query, items []T, value Value[T]) []T {
	filters := make([]Filter, len(q.Filters))
	for i, f := range q.Filters {
		filters[i] = f.canonical()
	}
	out := make([]T, 0, len(items))
	for _, it := range items {
		keep := true
		for _, f := range filters {
			if !f.matches(canonical(value(it, f.Field))) {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, it)
		}
	}
	if len(q.Order) > 0 {
		orderBy(out, q.Order, value)
	}
	return out
}

// orderBy sorts items stably by the keys, each read and canonicalised
// once per item rather than once per comparison.
func orderBy[T any](items []T, order []Order, value Value[T]) {
	keys := make([][]string, len(items))
	for i, it := range items {
		keys[i] = make([]string, len(order))
		for j, o := range order {
			keys[i][j] = canonical(value(it, o.Field))
		}
	}
	idx := make([]int, len(items))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(x, y int) bool {
		a, b := keys[idx[x]], keys[idx[y]]
		for j, o := range order {
			if a[j] != b[j] {
				return (a[j] < b[j]) != o.Desc
			}
		}
		return false
	})
	sorted := make([]T, len(items))
	for i, k := range idx {
		sorted[i] = items[k]
	}
	copy(items, sorted)
}

// canonicalTime has a fixed width, so that canonical times compare as
// strings in time order.
const canonicalTime = "2006-01-02T15:04:05.000000000Z"

// canonical rewrites a value that reads as a time to canonicalTime in
// UTC, and a whole number to numberWidth digits; any other value is itself.
// Keeping one string form for all keeps the comparison a total order even
// on a field that mixes them.
func canonical(v string) string {
	if isWholeNumber(v) {
		return strings.Repeat("0", numberWidth-len(v)) + v
	}
	if t, ok := parseTime(v); ok {
		return t.UTC().Format(canonicalTime)
	}
	return v
}

// ParseTime reads a time filter's value as the filter compares it.
func ParseTime(v string) (time.Time, bool) { return parseTime(v) }

// parseTime reads v as an RFC 3339 time, or a date as midnight UTC.
func parseTime(v string) (time.Time, bool) {
	if !looksLikeDate(v) {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil && len(v) == len(time.DateOnly) {
		t, err = time.Parse(time.DateOnly, v)
	}
	return t, err == nil
}

// numberWidth is the width whole numbers are padded to; longer digit
// strings (none the API writes) stay as they are.
const numberWidth = 19

func isWholeNumber(v string) bool {
	if v == "" || len(v) > numberWidth {
		return false
	}
	for i := range len(v) {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

// looksLikeDate is a cheap pre-check ("dddd-dd-dd…") that spares ids,
// names and statuses a failed time.Parse.
func looksLikeDate(v string) bool {
	if len(v) < len(time.DateOnly) || v[4] != '-' || v[7] != '-' {
		return false
	}
	for _, i := range []int{0, 1, 2, 3, 5, 6, 8, 9} {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

func (f Filter) canonical() Filter {
	vals := make([]string, len(f.Values))
	for i, v := range f.Values {
		vals[i] = canonical(v)
	}
	f.Values = vals
	return f
}

func (f Filter) matches(v string) bool {
	switch f.Op {
	case Eq:
		return v == f.Values[0]
	case Ne:
		return v != f.Values[0]
	case In:
		return slices.Contains(f.Values, v)
	case Out:
		return !slices.Contains(f.Values, v)
	case Gt:
		return v > f.Values[0]
	case Ge:
		return v >= f.Values[0]
	case Lt:
		return v < f.Values[0]
	case Le:
		return v <= f.Values[0]
	}
	return false
}

// String renders the query for logs and errors.
func (q Query) String() string {
	parts := make([]string, 0, len(q.Filters)+1)
	for _, f := range q.Filters {
		parts = append(parts, fmt.Sprintf("%s(%s,%s)", f.Op, f.Field, strings.Join(f.Values, ",")))
	}
	return strings.Join(parts, "&")
}
