package fulfillment

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/mercato-dev/mercato/internal/catalog"
)

// Problem is one reason an order line cannot be bought. Kind lets each API
// face pick its error code.
type Problem struct {
	Kind    string // "item", "quantity", "param"
	Message string
}

// Problem kinds.
const (
	ProblemItem     = "item"
	ProblemQuantity = "quantity"
	ProblemParam    = "param"
)

// PurchaseInput is one line of an order, already resolved to the product
// version and the listing it is bought on.
type PurchaseInput struct {
	Version      catalog.Version
	Listing      catalog.Listing
	Quantities   map[string]string // item id or local id → quantity
	Params       map[string]string // parameter name or id → value
	Tiers        Tiers
	ExternalID   string
	ExternalUID  string
	Subscription Subscription
	Connection   *Connection
}

// BuildPurchase makes the asset and its purchase request for a line, or
// says every reason it cannot.
func BuildPurchase(in PurchaseInput, now time.Time) (Asset, Request, []Problem) {
	if in.Listing.EndOfSale {
		return Asset{}, Request{}, []Problem{{ProblemItem, fmt.Sprintf("product %s is at end of sale: it takes no new purchases", in.Version.Product.ID)}}
	}
	var problems []Problem
	items, ps := orderedItems(in.Version, in.Listing, in.Quantities)
	problems = append(problems, ps...)
	params, ps := orderingParams(in.Version, in.Params)
	problems = append(problems, ps...)
	if len(problems) > 0 {
		return Asset{}, Request{}, problems
	}
	a := Asset{
		ID: NewAssetID(), Status: AssetProcessing, ExternalID: in.ExternalID, ExternalUID: in.ExternalUID,
		Product: Ref{ID: in.Version.Product.ID, Name: in.Version.Product.Name}, Version: in.Version.Version,
		Marketplace: in.Listing.Marketplace, Vendor: in.Listing.Vendor, Provider: in.Listing.Provider,
		Currency: in.Listing.Currency, Tiers: in.Tiers, Items: items, Params: params,
		Subscription: in.Subscription, Connection: in.Connection, Created: now, Updated: now,
	}
	if a.ExternalUID == "" {
		a.ExternalUID = a.ID
	}
	r := Request{ID: RequestID(a.ID, 1), Type: TypePurchase, Status: StatusPending, Marketplace: a.Marketplace,
		Created: now, Updated: now}
	a.PendingRequest = &Ref{ID: r.ID, Name: TypePurchase}
	r.Asset = a
	return a, r, nil
}

// orderedItems checks each ordered quantity against the item's type,
// precision and limits in the version, and its price on the listing.
func orderedItems(v catalog.Version, l catalog.Listing, quantities map[string]string) ([]AssetItem, []Problem) {
	var problems []Problem
	var out []AssetItem
	keys := slices.Sorted(maps.Keys(quantities))
	if len(keys) == 0 {
		return nil, []Problem{{ProblemItem, "at least one item must be ordered"}}
	}
	for _, k := range keys {
		it, ok := v.Item(k)
		price, priced := l.PriceOf(k)
		if !ok || !priced || it.Status == catalog.StatusEndOfSale {
			problems = append(problems, Problem{ProblemItem, fmt.Sprintf("item %s is not on sale in product %s on marketplace %s", k, v.Product.ID, l.Marketplace.ID)})
			continue
		}
		q, err := checkQuantity(it, quantities[k])
		if err != "" {
			problems = append(problems, Problem{ProblemQuantity, err})
			continue
		}
		out = append(out, AssetItem{ID: it.ID, LocalID: it.LocalID, MPN: it.MPN, Name: it.Name, Type: it.Type,
			Period: it.Period, Unit: string(it.Unit), Quantity: q, Price: price.Price})
	}
	return out, problems
}

// checkQuantity returns the canonical quantity, or why it is wrong.
func checkQuantity(it catalog.Item, raw string) (string, string) {
	d, err := decimal.NewFromString(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Sprintf("quantity %q of item %s is not a number", raw, it.ID)
	}
	if !d.Equal(d.Round(int32(catalog.Decimals(it.Precision)))) {
		return "", fmt.Sprintf("quantity %s of item %s has more decimals than its precision %s", raw, it.ID, it.Precision)
	}
	if it.Type == catalog.ItemPPU {
		// Pay-per-use items are bought with no quantity: usage files bill them.
		return "0", ""
	}
	min := decimal.NewFromInt(int64(it.MinQuantity))
	if d.LessThan(min) || (it.MaxQuantity != nil && d.GreaterThan(decimal.NewFromInt(int64(*it.MaxQuantity)))) {
		return "", fmt.Sprintf("quantity %s of item %s is not within the minimum %d and maximum %s", d, it.ID, it.MinQuantity, maxText(it.MaxQuantity))
	}
	return d.String(), ""
}

func maxText(max *int) string {
	if max == nil {
		return "(unlimited)"
	}
	return strconv.Itoa(*max)
}

// orderingParams copies every asset parameter of the version onto the
// asset, with the ordering values supplied, and checks the required ones.
func orderingParams(v catalog.Version, values map[string]string) ([]AssetParam, []Problem) {
	var problems []Problem
	known := map[string]bool{}
	var out []AssetParam
	for _, p := range v.Parameters {
		if p.Scope != catalog.ScopeAsset {
			continue
		}
		known[p.Name], known[p.ID] = true, true
		ap := AssetParam{ID: p.ID, Name: p.Name, Title: p.Title, Type: p.Type, Scope: p.Scope, Phase: p.Phase,
			Required: p.Constraints.Required}
		val, given := values[p.Name]
		if !given {
			val, given = values[p.ID]
		}
		switch {
		case given && p.Phase != catalog.PhaseOrdering:
			problems = append(problems, Problem{ProblemParam, fmt.Sprintf("parameter %s is set by the vendor during fulfillment, not when ordering", p.Name)})
		case given:
			if err := ValidValue(p, val); err != nil {
				problems = append(problems, Problem{ProblemParam, err.Error()})
			}
			ap.Value = val
		case p.Phase == catalog.PhaseOrdering && p.Constraints.Required:
			problems = append(problems, Problem{ProblemParam, fmt.Sprintf("required ordering parameter %s (%s) is missing", p.Name, p.Title)})
		}
		out = append(out, ap)
	}
	for _, k := range slices.Sorted(maps.Keys(values)) {
		if !known[k] {
			problems = append(problems, Problem{ProblemParam, fmt.Sprintf("product %s has no asset parameter %s", v.Product.ID, k)})
		}
	}
	return out, problems
}

// The host-name expressions compile to large programs (a label's 61
// optional characters), the phone number's to a smaller one: compiled on
// first use, not in every cold start of the functions that link this
// package.
var (
	hostLabel = `[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?`
	domainRe  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(` + hostLabel + `\.)+[A-Za-z]{2,63}$`) })
	subRe     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^` + hostLabel + `$`) })
	phoneRe   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\+?[0-9 ()\-.]{7,25}$`) })
)

// ValidValue checks a parameter value against the parameter's type: an
// email is an address, a url is http(s) with a host, a dropdown value is
// one of its choices, and so on. Empty values are left to the required
// check.
func ValidValue(p catalog.Parameter, v string) error {
	if v == "" {
		return nil
	}
	bad := func(what string) error { return fmt.Errorf("parameter %s: %q is not %s", p.Name, v, what) }
	switch p.Type {
	case catalog.ParamEmail:
		if a, err := mail.ParseAddress(v); err != nil || a.Address != v {
			return bad("an email address")
		}
	case catalog.ParamURL:
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return bad("an http(s) URL")
		}
	case catalog.ParamDomain:
		if !domainRe().MatchString(v) {
			return bad("a domain name")
		}
	case catalog.ParamSubdomain:
		if !subRe().MatchString(v) {
			return bad("a subdomain label")
		}
	case catalog.ParamPhone:
		if !phoneRe().MatchString(v) {
			return bad("a phone number")
		}
	case catalog.ParamCheckbox:
		if v != "true" && v != "false" {
			return bad("true or false")
		}
	case catalog.ParamDropdown:
		for _, c := range p.Constraints.Choices {
			if c.Value == v {
				return nil
			}
		}
		return bad("one of the parameter's choices")
	case catalog.ParamObject:
		var obj map[string]any
		if json.Unmarshal([]byte(v), &obj) != nil {
			return bad("a JSON object")
		}
	}
	return nil
}
