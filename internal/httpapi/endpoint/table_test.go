package endpoint

import (
	"net/url"
	"slices"
	"testing"
)

func TestServer_RouteTableLeavesOddPathsToTheMux(t *testing.T) {
	for _, path := range []string{"/public/v1//products", "/public/v1/./products", "/public/v1/products/..", "*"} {
		if segs, ok := segments(mustURL(t, path)); ok {
			t.Errorf("segments(%q) = %q, want the fallback", path, segs)
		}
	}
	if segs, ok := segments(mustURL(t, "/public/v1/products/a%2Fb/")); !ok || !slices.Equal(segs, []string{"public", "v1", "products", "a/b", ""}) {
		t.Errorf("segments = %q, %v", segs, ok)
	}
}

func mustURL(t *testing.T, path string) *url.URL {
	t.Helper()
	u, err := url.ParseRequestURI(path)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
