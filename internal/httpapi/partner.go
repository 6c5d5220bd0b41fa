package httpapi

import (
	"github.com/mercato-dev/mercato/internal/pclink"
)

// Link is Partner Center's hypermedia link.
type Link = pclink.Link

func get(uri string) Link { return pclink.Get(uri) }

// attributes names a resource's type, as every Partner Center resource does.
type attributes = pclink.Attributes

// withCountry appends ?country= as Partner Center's links carry it.
func withCountry(path, country string) string { return pclink.WithCountry(path, country) }

// Partner Center's paged links (pclink.SeekLink) and their header.
type (
	pcSeekLink = pclink.SeekLink
	pcHeader   = pclink.Header
)

const continuationToken = pclink.ContinuationToken
