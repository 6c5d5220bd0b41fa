package fulfillment_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// page is one list answer: its ids, Content-Range and next link.
type page struct {
	status int
	ids    []string
	total  string
	next   string
	body   string
}

var linkRe = regexp.MustCompile(`^<([^>]+)>; rel="next"$`)

func (p *platform) page(t *testing.T, path, token string) page {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "ApiKey "+token)
	rec := httptest.NewRecorder()
	p.api.ServeHTTP(rec, req)
	out := page{status: rec.Code, body: rec.Body.String()}
	if rec.Code != http.StatusOK {
		return out
	}
	var items []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &items); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	for _, it := range items {
		out.ids = append(out.ids, it.ID)
	}
	cr := rec.Header().Get("Content-Range")
	out.total = cr[strings.LastIndexByte(cr, '/')+1:]
	if m := linkRe.FindStringSubmatch(rec.Header().Get("Link")); m != nil {
		out.next = m[1]
	}
	return out
}

// cursor is the cursor of the page's next link, unescaped.
func (pg page) cursor() string {
	c := pg.next[strings.Index(pg.next, "cursor=")+len("cursor="):]
	if i := strings.IndexByte(c, '&'); i >= 0 {
		c = c[:i]
	}
	c, _ = url.QueryUnescape(c)
	return c
}

type listCall struct{ name, path, token string }

// refuses checks that each call is refused with a 400 in the error shape.
func (p *platform) refuses(t *testing.T, calls []listCall) {
	t.Helper()
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			if pg := p.page(t, c.path, c.token); pg.status != http.StatusBadRequest || !strings.Contains(pg.body, `"error_code"`) {
				t.Errorf("GET %s = %d %s, want 400 in the error shape", c.path, pg.status, pg.body)
			}
		})
	}
}

// follow pages through a list by its Link header and returns every id.
func (p *platform) follow(t *testing.T, path, token string) []string {
	t.Helper()
	var all []string
	for n := 0; path != "" && n < 50; n++ {
		pg := p.page(t, path, token)
		if pg.status != http.StatusOK {
			t.Fatalf("GET %s = %d %s", path, pg.status, pg.body)
		}
		all = append(all, pg.ids...)
		path = pg.next
	}
	return all
}

// TestLists_PagingAndCounts pages the sharded request and asset lists with
// offsets and cursors, checks their totals (kept by the relay from the
// stream) as requests move between statuses, and the refusals.
func TestLists_PagingAndCounts(t *testing.T) {
	p := start(t)
	w := p.world("-lists")
	v, pr := w.vendor.Token.Value, w.provider.Token.Value
	var created []string // request ids in creation order
	for i := range 12 {
		created = append(created, p.connectPurchase(w, fmt.Sprintf("L-%02d", i)).ID)
	}
	eventually(t, "pending total 12", func() bool {
		return p.page(t, "/public/v1/requests?status=pending&limit=5", v).total == "12"
	})
	t.Run("offsets", func(t *testing.T) {
		if got := p.page(t, "/public/v1/requests?status=pending&limit=5&offset=5", v).ids; !cmp.Equal(got, created[5:10]) {
			t.Errorf("offset 5 = %v, want %v", got, created[5:10])
		}
		last := p.page(t, "/public/v1/requests?status=pending&limit=5&offset=10", v)
		if !cmp.Equal(last.ids, created[10:]) || last.next != "" {
			t.Errorf("last page = %v (next %q), want %v", last.ids, last.next, created[10:])
		}
	})
	t.Run("cursor, ascending and descending", func(t *testing.T) {
		if got := p.follow(t, "/public/v1/requests?status=pending&limit=5&cursor=", v); !cmp.Equal(got, created) {
			t.Errorf("cursor pages = %v, want %v", got, created)
		}
		reversed := make([]string, len(created))
		for i, id := range created {
			reversed[len(created)-1-i] = id
		}
		if got := p.follow(t, "/public/v1/requests?limit=4&ordering(-created)&cursor=", v); !cmp.Equal(got, reversed) {
			t.Errorf("descending cursor pages = %v, want %v", got, reversed)
		}
		if got := p.follow(t, "/public/v1/assets?limit=5&cursor=", pr); len(got) != 12 {
			t.Errorf("provider's assets through cursors = %d, want 12", len(got))
		}
	})
	t.Run("a filter no key narrows", func(t *testing.T) {
		pg := p.page(t, "/public/v1/requests?asset.external_id=L-03&limit=5", v)
		if !cmp.Equal(pg.ids, created[3:4]) || pg.total != "1" {
			t.Errorf("external id L-03 = %v total %s", pg.ids, pg.total)
		}
	})
	t.Run("totals follow status changes", func(t *testing.T) {
		for _, id := range created[:3] {
			p.do(http.MethodPut, "/public/v1/requests/"+id, v, params("param_license_key", "value", "K-"+id), http.StatusOK, nil)
			p.do(http.MethodPost, "/public/v1/requests/"+id+"/approve", v, map[string]any{"template_id": w.activation.ID}, http.StatusOK, nil)
		}
		eventually(t, "pending 9, approved 3, all 12", func() bool {
			return p.page(t, "/public/v1/requests?status=pending&limit=1", v).total == "9" &&
				p.page(t, "/public/v1/requests?status=approved&limit=1", v).total == "3" &&
				p.page(t, "/public/v1/requests?limit=1", v).total == "12" &&
				p.page(t, "/public/v1/assets?limit=1", pr).total == "12"
		})
	})
	t.Run("refusals", func(t *testing.T) {
		first := p.page(t, "/public/v1/requests?status=pending&limit=2&cursor=", v)
		cursor := first.cursor()
		p.refuses(t, []listCall{
			{"malformed cursor", "/public/v1/requests?status=pending&cursor=bm90LWEtY3Vyc29y", v},
			{"another list's cursor", "/public/v1/assets?cursor=" + url.QueryEscape(cursor), v},
			{"another tenant's cursor", "/public/v1/requests?status=pending&cursor=" + url.QueryEscape(cursor), pr},
			{"other filters", "/public/v1/requests?status=approved&cursor=" + url.QueryEscape(cursor), v},
			{"offset with a cursor", "/public/v1/requests?status=pending&offset=2&cursor=" + url.QueryEscape(cursor), v},
			{"an offset past the maximum", "/public/v1/requests?offset=10001", v},
			{"an order no key gives", "/public/v1/requests?ordering(-updated)", v},
		})
	})
}
