package httpapi_test

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mercato-dev/mercato/internal/usage"
)

var contentRange = regexp.MustCompile(`^items \d+-\d+/(\d+)$`)

// listTotal is the total a list's Content-Range states.
func listTotal(t *testing.T, res response) int {
	t.Helper()
	m := contentRange.FindStringSubmatch(res.header.Get("Content-Range"))
	if m == nil {
		t.Fatalf("Content-Range = %q, want an exact total", res.header.Get("Content-Range"))
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// nextPage is the path of a Link rel="next", or "".
func nextPage(t *testing.T, res response) string {
	t.Helper()
	link := res.header.Get("Link")
	if link == "" {
		return ""
	}
	path, ok := strings.CutPrefix(link, "<")
	path, _, found := strings.Cut(path, ">; rel=\"next\"")
	if !ok || !found {
		t.Fatalf("Link = %q", link)
	}
	return path
}

// usageFilesPaging: the file list reads a page, not the whole list. Its
// total comes from the count items kept when files are created, deeper
// pages follow the cursor, and a cursor used elsewhere is refused.
func usageFilesPaging(t *testing.T, s *usageShop) {
	const list = "/public/v1/usage/files"
	v, p := s.vendor.Token.Value, s.provider.Token.Value
	before := listTotal(t, s.do(http.MethodGet, list+"?limit=0", v, nil, http.StatusOK, nil))
	providerBefore := listTotal(t, s.do(http.MethodGet, list+"?limit=0", p, nil, http.StatusOK, nil))
	var made []string
	for range 3 {
		made = append(made, s.newFile(t).ID)
	}
	if got := listTotal(t, s.do(http.MethodGet, list+"?limit=0", v, nil, http.StatusOK, nil)); got != before+3 {
		t.Errorf("vendor's total = %d, want %d", got, before+3)
	}
	if got := listTotal(t, s.do(http.MethodGet, list+"?limit=0", p, nil, http.StatusOK, nil)); got != providerBefore+3 {
		t.Errorf("provider's total = %d, want %d", got, providerBefore+3)
	}

	// Every file once, oldest first, two a page through the cursor.
	var ids []string
	var first string
	for path := list + "?limit=2&cursor="; path != ""; {
		var page []usage.File
		res := s.do(http.MethodGet, path, v, nil, http.StatusOK, &page)
		if len(page) > 2 {
			t.Fatalf("a page of %d files, limit 2", len(page))
		}
		for _, f := range page {
			ids = append(ids, f.ID)
		}
		if path = nextPage(t, res); first == "" {
			first = path
		}
	}
	if len(ids) != before+3 || !slicesEqual(ids[len(ids)-3:], made) {
		t.Errorf("paged %d files ending %v, want %d ending %v", len(ids), ids[max(0, len(ids)-3):], before+3, made)
	}
	var newest []usage.File
	s.do(http.MethodGet, list+"?ordering(-created)&limit=1", v, nil, http.StatusOK, &newest)
	if len(newest) != 1 || newest[0].ID != made[2] {
		t.Errorf("newest first = %v, want %s", newest, made[2])
	}

	other := s.createAccount("vendor", "Paging Vendor")
	for _, c := range []struct {
		name, path, token, fragment string
	}{
		{"malformed cursor", list + "?cursor=not-a-cursor", v, "cursor is malformed"},
		{"another account's cursor", first, other.Token.Value, "another account"},
		{"another list's cursor", strings.Replace(first, list, "/public/v1/requests", 1), v, "another list"},
		{"offset past the maximum", list + "?offset=10001", v, "offset must be at most"},
		{"ordering no key gives", list + "?ordering(name)", v, "ordered by created only"},
	} {
		t.Run(c.name, func(t *testing.T) {
			connectError(t, s.call(http.MethodGet, c.path, c.token, nil), http.StatusBadRequest, "VAL_001", c.fragment)
		})
	}
}

func slicesEqual(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }
