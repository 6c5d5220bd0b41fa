package httpapi

import (
	"github.com/mercato-dev/mercato/internal/httpapi/codec"
	"github.com/mercato-dev/mercato/internal/httpapi/endpoint"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/rql"
)

// Partner Center's collections (customers, a customer's orders and
// subscriptions) page as its invoice line items do: `size` items a page,
// and a next link that repeats the query with seekOperation=Next and
// carries the continuation token in the MS-ContinuationToken header (and
// in the body's continuationToken). totalCount is the count of the page,
// as Partner Center's is. Without `size` a page holds pcDefaultSize.
const (
	pcDefaultSize = 100
	pcMaxSize     = 500
)

// pcPage is a parsed Partner Center page request.
type pcPage struct {
	size int
	// cursor is the continuation token's list cursor, which binds it to
	// the collection and the account (the tokens are listpage.go's).
	cursor codec.ListPage
}

// parsePCPage reads size, seekOperation and the continuation token for
// the collection list of account's.
func parsePCPage(r *http.Request, list, account string) (pcPage, error) {
	q := r.URL.Query()
	p := pcPage{size: pcDefaultSize, cursor: codec.ListPage{List: list, Account: account, Query: codec.QueryID(rql.Query{}), Cursor: true}}
	if raw := q.Get("size"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > pcMaxSize {
			return pcPage{}, fault.Invalidf("size must be an integer from 1 to %d (got %q)", pcMaxSize, raw)
		}
		p.size = n
	}
	switch seek := q.Get("seekOperation"); {
	case strings.EqualFold(seek, "next"):
		token := r.Header.Get(continuationToken)
		if token == "" {
			return pcPage{}, fault.Invalidf("seekOperation=Next needs the %s header of the previous page's next link", continuationToken)
		}
		c, err := codec.DecodeCursor(token)
		if err != nil {
			return pcPage{}, err
		}
		if c.List != list || c.Account != account {
			return pcPage{}, fault.Invalidf("the continuation token belongs to another collection")
		}
		p.cursor.After = c.After
	case seek != "":
		return pcPage{}, fault.Invalidf("seekOperation must be Next (got %q)", seek)
	}
	return p, nil
}

// pagedCollection is Partner Center's list envelope with its next link.
type pagedCollection[T any] struct {
	TotalCount        int                   `json:"totalCount"`
	Items             []T                   `json:"items"`
	ContinuationToken string                `json:"continuationToken,omitempty"`
	Links             map[string]pcSeekLink `json:"links"`
	Attributes        attributes            `json:"attributes"`
}

// writePCPage answers items, with the next link when next is set.
func writePCPage[T any](w http.ResponseWriter, r *http.Request, p pcPage, items []T, next string) {
	if items == nil {
		items = []T{}
	}
	out := pagedCollection[T]{TotalCount: len(items), Items: items,
		Links:      map[string]pcSeekLink{"self": {URI: r.URL.RequestURI(), Method: http.MethodGet, Headers: []pcHeader{}}},
		Attributes: attributes{ObjectType: "Collection"}}
	if next != "" {
		token := p.cursor.Encode(next)
		q := url.Values{}
		for k, v := range r.URL.Query() {
			q[k] = v
		}
		q.Set("size", strconv.Itoa(p.size))
		q.Set("seekOperation", "Next")
		out.ContinuationToken = token
		out.Links["next"] = pcSeekLink{URI: r.URL.Path + "?" + q.Encode(), Method: http.MethodGet,
			Headers: []pcHeader{{Key: continuationToken, Value: token}}}
	}
	endpoint.WriteJSON(w, http.StatusOK, out)
}
