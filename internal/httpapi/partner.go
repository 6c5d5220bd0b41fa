package httpapi

import (
	"net/http"

	"github.com/mercato-dev/mercato/internal/pclink"
)

// Link is Partner Center's hypermedia link.
type Link = pclink.Link

func get(uri string) Link { return pclink.Get(uri) }

// attributes names a resource's type, as every Partner Center resource does.
type attributes = pclink.Attributes

// collection is Partner Center's list envelope.
type collection[T any] struct {
	TotalCount int             `json:"totalCount"`
	Items      []T             `json:"items"`
	Links      map[string]Link `json:"links"`
	Attributes attributes      `json:"attributes"`
}

func writeCollection[T any](w http.ResponseWriter, r *http.Request, items []T) {
	if items == nil {
		items = []T{}
	}
	writeJSON(w, http.StatusOK, collection[T]{
		TotalCount: len(items), Items: items,
		Links:      map[string]Link{"self": get(r.URL.RequestURI())},
		Attributes: attributes{ObjectType: "Collection"},
	})
}

// withCountry appends ?country= as Partner Center's links carry it.
func withCountry(path, country string) string { return pclink.WithCountry(path, country) }
