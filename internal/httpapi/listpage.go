package httpapi

import (
	"context"
	"github.com/mercato-dev/mercato/internal/httpapi/codec"
	"net/http"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/rql"
)

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
	return codec.WriteListPage(w, r, lp, page, page.Total, view)
}

// keyedQuery parses a page of l: ordering by keyField (either direction)
// and keyField's time bounds are keys; ordering by another field sorts the
// list in memory, within dynamo.MatchBudget entries, and pages by offset
// only (a cursor follows the key order); every other filter matches the
// rows read, within the same budget.
func keyedQuery[T any](r *http.Request, l keyedList[T]) (rql.Query, codec.ListPage, dynamo.ListQuery[T], error) {
	q, err := rql.Parse(r.URL.Query(), l.fields...)
	if err != nil {
		return q, codec.ListPage{}, dynamo.ListQuery[T]{}, err
	}
	lp, err := codec.ParseListPage(r, l.name, principal(r).AccountID, q)
	if err != nil {
		return q, codec.ListPage{}, dynamo.ListQuery[T]{}, err
	}
	lq := dynamo.ListQuery[T]{After: lp.After, Offset: lp.Offset, Limit: lp.Limit}
	for _, o := range q.Order {
		if o.Field != l.keyField {
			if lp.Cursor {
				return q, codec.ListPage{}, lq, fault.Invalidf("the cursor follows this list's %s order; ordering by %s pages with offset", l.keyField, o.Field)
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
		lq.From, lq.To = codec.TimeBounds(q, l.keyField)
		pushed = codec.IsTimeBound(l.keyField)
	}
	lq.Match = codec.Matcher(codec.Residual(q, pushed), l.value)
	return q, lp, lq, nil
}
