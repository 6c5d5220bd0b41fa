package catalog

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Item types, periods and precisions.
const (
	ItemReservation = "reservation"
	ItemPPU         = "ppu"

	PeriodOneTime = "onetime"
	PeriodMonthly = "monthly"
	PeriodYearly  = "yearly"

	PrecisionInteger = "integer"
)

// Item is a SKU of a product.
type Item struct {
	ID          string `json:"id"`
	LocalID     string `json:"local_id"`
	Name        string `json:"name"`
	MPN         string `json:"mpn"`
	Description string `json:"description"`
	Type        string `json:"type"`
	Period      string `json:"period"`
	Unit        Code   `json:"unit"`
	Precision   string `json:"precision"`
	MinQuantity int    `json:"min_quantity"`
	MaxQuantity *int   `json:"max_quantity"` // nil: unlimited
	Status      string `json:"status"`
	// ProductVersion is the version of the product the item was last
	// changed for: the one the next publish makes.
	ProductVersion int       `json:"product_version,omitempty"`
	Created        time.Time `json:"created"`
	Updated        time.Time `json:"updated"`
}

// ItemInput is the body of POST and PUT /items; on PUT, fields left out
// keep their value.
type ItemInput struct {
	Name        *string `json:"name"`
	MPN         *string `json:"mpn"`
	Description *string `json:"description"`
	Type        *string `json:"type"`
	Period      *string `json:"period"`
	Unit        *Code   `json:"unit"`
	Precision   *string `json:"precision"`
	MinQuantity *int    `json:"min_quantity"`
	MaxQuantity *int    `json:"max_quantity"`
	// Unlimited clears max_quantity (JSON cannot tell null from absent).
	Unlimited *bool   `json:"unlimited"`
	Status    *string `json:"status"`
}

var precisionRe = regexp.MustCompile(`^decimal\(([1-8])\)$`)

// Decimals returns how many decimal places a precision allows.
func Decimals(precision string) int {
	if m := precisionRe.FindStringSubmatch(precision); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// apply sets the given fields on it. published forbids changing what
// orders already depend on: the type and the period.
func (in ItemInput) apply(it *Item, published bool) []string {
	var msgs []string
	str := func(dst *string, src *string, field string, required bool) {
		if src == nil {
			return
		}
		v := strings.TrimSpace(*src)
		if required && v == "" {
			msgs = append(msgs, field+" is required")
			return
		}
		if len(v) > maxName && field != "description" {
			msgs = append(msgs, fmt.Sprintf("%s must be at most %d characters", field, maxName))
			return
		}
		*dst = v
	}
	str(&it.Name, in.Name, "name", true)
	str(&it.MPN, in.MPN, "mpn", true)
	str(&it.Description, in.Description, "description", false)
	str((*string)(&it.Unit), (*string)(in.Unit), "unit", true)
	immutable := func(dst *string, src *string, field string, allowed ...string) {
		if src == nil || *src == *dst {
			return
		}
		if published && *dst != "" {
			msgs = append(msgs, field+" cannot change after the product is published")
			return
		}
		for _, a := range allowed {
			if *src == a {
				*dst = *src
				return
			}
		}
		msgs = append(msgs, fmt.Sprintf("%s must be one of %s (got %q)", field, strings.Join(allowed, ", "), *src))
	}
	immutable(&it.Type, in.Type, "type", ItemReservation, ItemPPU)
	immutable(&it.Period, in.Period, "period", PeriodOneTime, PeriodMonthly, PeriodYearly)
	if in.Precision != nil {
		if *in.Precision != PrecisionInteger && !precisionRe.MatchString(*in.Precision) {
			msgs = append(msgs, fmt.Sprintf("precision must be integer or decimal(1) to decimal(8) (got %q)", *in.Precision))
		} else {
			it.Precision = *in.Precision
		}
	}
	if in.MinQuantity != nil {
		it.MinQuantity = *in.MinQuantity
	}
	if in.MaxQuantity != nil {
		it.MaxQuantity = in.MaxQuantity
	}
	if in.Unlimited != nil && *in.Unlimited {
		it.MaxQuantity = nil
	}
	if in.Status != nil {
		msgs = append(msgs, it.setStatus(*in.Status, published)...)
	}
	return append(msgs, it.check()...)
}

func (it *Item) setStatus(status string, published bool) []string {
	switch {
	case status == it.Status:
		return nil
	case status == StatusEndOfSale && published:
		it.Status = status
		return nil
	case status == StatusEndOfSale:
		return []string{"only items of a published product can be marked endofsale; delete the item instead"}
	case status == StatusPublished && it.Status == StatusEndOfSale:
		// Back on sale (Connect's resumesale).
		it.Status = status
		return nil
	}
	return []string{fmt.Sprintf("status can only be set to endofsale, or from endofsale back to published (got %q)", status)}
}

// check enforces the rules across fields, after defaults.
func (it *Item) check() []string {
	var msgs []string
	if it.Type == ItemPPU {
		// Usage is reported per month, so pay-per-use items are monthly.
		if it.Period != "" && it.Period != PeriodMonthly {
			msgs = append(msgs, "ppu items are billed monthly: period must be monthly")
		}
		it.Period = PeriodMonthly
	}
	if it.Type == ItemReservation && it.Precision != PrecisionInteger {
		msgs = append(msgs, "reservation items are counted in whole units: precision must be integer")
	}
	if it.MinQuantity < 0 {
		msgs = append(msgs, "min_quantity must not be negative")
	}
	if it.MaxQuantity != nil && *it.MaxQuantity < it.MinQuantity {
		msgs = append(msgs, fmt.Sprintf("max_quantity (%d) must not be below min_quantity (%d)", *it.MaxQuantity, it.MinQuantity))
	}
	return msgs
}

// newItem builds an item from a create body, with the defaults a vendor
// expects: monthly, integer, a minimum of 1 for reservations.
func newItem(in ItemInput) (Item, []string) {
	it := Item{Status: StatusDraft, Precision: PrecisionInteger}
	var msgs []string
	for field, v := range map[string]*string{"name": in.Name, "mpn": in.MPN, "type": in.Type, "unit": (*string)(in.Unit)} {
		if v == nil {
			msgs = append(msgs, field+" is required")
		}
	}
	if len(msgs) > 0 {
		slices.Sort(msgs)
		return it, msgs
	}
	if in.Period == nil && *in.Type != ItemPPU {
		in.Period = ptr(PeriodMonthly)
	}
	if in.Precision == nil && *in.Type == ItemPPU {
		in.Precision = ptr("decimal(2)")
	}
	if in.MinQuantity == nil && *in.Type == ItemReservation {
		in.MinQuantity = ptr(1)
	}
	return it, in.apply(&it, false)
}

// Parameter types, scopes and phases.
const (
	ParamText      = "text"
	ParamEmail     = "email"
	ParamDropdown  = "dropdown"
	ParamCheckbox  = "checkbox"
	ParamPhone     = "phone"
	ParamURL       = "url"
	ParamDomain    = "domain"
	ParamSubdomain = "subdomain"
	ParamPassword  = "password"
	ParamObject    = "object"

	ScopeAsset = "asset"
	ScopeTier1 = "tier1"
	ScopeTier2 = "tier2"

	PhaseOrdering    = "ordering"
	PhaseFulfillment = "fulfillment"
)

var (
	paramTypes = []string{ParamText, ParamEmail, ParamDropdown, ParamCheckbox, ParamPhone, ParamURL, ParamDomain, ParamSubdomain, ParamPassword, ParamObject}
	scopes     = []string{ScopeAsset, ScopeTier1, ScopeTier2}
	phases     = []string{PhaseOrdering, PhaseFulfillment}
	// paramName compiles to a large program (63 optional characters): on
	// first use, not in every cold start.
	paramName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`) })
)

// Parameter is information the provider or the vendor supplies for an
// asset or a tier.
type Parameter struct {
	ID          string      `json:"id"`
	Name        string      `json:"name"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	Type        string      `json:"type"`
	Scope       string      `json:"scope"`
	Phase       string      `json:"phase"`
	Constraints Constraints `json:"constraints"`
	Created     time.Time   `json:"created"`
	Updated     time.Time   `json:"updated"`
}

// Constraints limit a parameter's values and visibility.
type Constraints struct {
	Required bool     `json:"required" dynamodbav:"required"`
	Hidden   bool     `json:"hidden" dynamodbav:"hidden"`
	ReadOnly bool     `json:"readonly" dynamodbav:"readonly"`
	Unique   bool     `json:"unique" dynamodbav:"unique"`
	Choices  []Choice `json:"choices,omitempty" dynamodbav:"choices,omitempty"`
}

// Choice is one option of a dropdown.
type Choice struct {
	Value string `json:"value" dynamodbav:"value"`
	Label string `json:"label" dynamodbav:"label"`
}

// ParameterInput is the body of POST and PUT /parameters.
type ParameterInput struct {
	Name        *string      `json:"name"`
	Title       *string      `json:"title"`
	Description *string      `json:"description"`
	Type        *string      `json:"type"`
	Scope       *string      `json:"scope"`
	Phase       *string      `json:"phase"`
	Constraints *Constraints `json:"constraints"`
}

// apply sets the given fields. type, scope and phase are fixed once the
// parameter exists: orders and templates rely on them.
func (in ParameterInput) apply(p *Parameter, creating bool) []string {
	var msgs []string
	if in.Name != nil {
		if !paramName().MatchString(*in.Name) {
			msgs = append(msgs, fmt.Sprintf("name must start with a letter and hold only letters, digits and _ (at most 64), such as param_admin_email (got %q)", *in.Name))
		} else {
			p.Name = *in.Name
		}
	}
	if in.Title != nil {
		if t := strings.TrimSpace(*in.Title); t == "" || len(t) > maxName {
			msgs = append(msgs, fmt.Sprintf("title is required and must be at most %d characters", maxName))
		} else {
			p.Title = t
		}
	}
	if in.Description != nil {
		p.Description = *in.Description
	}
	fixed := func(dst *string, src *string, field string, allowed []string) {
		if src == nil || *src == *dst {
			return
		}
		if !creating {
			msgs = append(msgs, fmt.Sprintf("%s cannot change after the parameter is created (it is %s)", field, *dst))
			return
		}
		for _, a := range allowed {
			if *src == a {
				*dst = a
				return
			}
		}
		msgs = append(msgs, fmt.Sprintf("%s must be one of %s (got %q)", field, strings.Join(allowed, ", "), *src))
	}
	fixed(&p.Type, in.Type, "type", paramTypes)
	fixed(&p.Scope, in.Scope, "scope", scopes)
	fixed(&p.Phase, in.Phase, "phase", phases)
	if in.Constraints != nil {
		p.Constraints = *in.Constraints
	}
	return append(msgs, p.checkChoices()...)
}

func (p *Parameter) checkChoices() []string {
	if p.Type != ParamDropdown {
		if len(p.Constraints.Choices) > 0 {
			return []string{"constraints.choices are only for dropdown parameters"}
		}
		return nil
	}
	if len(p.Constraints.Choices) == 0 {
		return []string{"a dropdown parameter needs constraints.choices"}
	}
	seen := map[string]bool{}
	for _, c := range p.Constraints.Choices {
		if c.Value == "" || seen[c.Value] {
			return []string{fmt.Sprintf("constraints.choices values must be non-empty and distinct (got %q)", c.Value)}
		}
		seen[c.Value] = true
	}
	return nil
}

func newParameter(in ParameterInput) (Parameter, []string) {
	var msgs []string
	for field, v := range map[string]*string{"name": in.Name, "title": in.Title, "type": in.Type, "scope": in.Scope, "phase": in.Phase} {
		if v == nil {
			msgs = append(msgs, field+" is required")
		}
	}
	if len(msgs) > 0 {
		slices.Sort(msgs)
		return Parameter{}, msgs
	}
	var p Parameter
	return p, in.apply(&p, true)
}

func ptr[T any](v T) *T { return &v }
