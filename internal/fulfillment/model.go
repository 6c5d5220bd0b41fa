// Package fulfillment holds what providers' orders become: assets (Partner
// Center calls them subscriptions) and the requests that the vendor works
// through their fulfillment queue, with the state machine that moves them,
// the rendering of activation templates, and the worker that reacts to
// their events.
package fulfillment

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/ident"
)

// Asset statuses.
const (
	AssetProcessing = "processing"
	AssetActive     = "active"
	AssetSuspended  = "suspended"
	AssetTerminated = "terminated"
)

// Request types and statuses.
const (
	TypePurchase = "purchase"
	TypeChange   = "change"
	TypeSuspend  = "suspend"
	TypeResume   = "resume"
	TypeCancel   = "cancel"
	TypeRenew    = "renew"

	StatusDraft      = "draft"
	StatusTiersSetup = "tiers_setup"
	StatusPending    = "pending"
	StatusInquiring  = "inquiring"
	StatusApproved   = "approved"
	StatusFailed     = "failed"
)

// Ref is a reference to another object.
type Ref = catalog.Ref

// ContactInfo is how to reach a tier account, in Connect's shape: the
// address lines beside the contact person.
type ContactInfo struct {
	Address
	Contact Contact `json:"contact"`
}

// Address is a postal address.
type Address struct {
	Line1      string `json:"address_line1"`
	Line2      string `json:"address_line2,omitempty"`
	City       string `json:"city"`
	State      string `json:"state,omitempty"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"`
}

// Contact is the person to reach.
type Contact struct {
	FirstName   string      `json:"first_name"`
	LastName    string      `json:"last_name"`
	Email       string      `json:"email"`
	PhoneNumber PhoneNumber `json:"phone_number"`
}

// PhoneNumber is a phone number in Connect's parts.
type PhoneNumber struct {
	CountryCode string `json:"country_code,omitempty"`
	AreaCode    string `json:"area_code,omitempty"`
	PhoneNumber string `json:"phone_number,omitempty"`
	Extension   string `json:"extension,omitempty"`
}

// UnmarshalJSON reads Connect's shape and the one assets were stored in
// before it ({"email", "phone", "address": {…}}).
func (c *ContactInfo) UnmarshalJSON(b []byte) error {
	type plain ContactInfo
	var v struct {
		plain
		Legacy *Address `json:"address"`
		Email  string   `json:"email"`
		Phone  string   `json:"phone"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*c = ContactInfo(v.plain)
	if v.Legacy != nil {
		c.Address = *v.Legacy
	}
	if v.Email != "" && c.Contact.Email == "" {
		c.Contact.Email = v.Email
	}
	if v.Phone != "" && c.Contact.PhoneNumber == (PhoneNumber{}) {
		c.Contact.PhoneNumber.PhoneNumber = v.Phone
	}
	return nil
}

// TierAccount is the customer or a reseller of the sales chain.
type TierAccount struct {
	ID          string      `json:"id,omitempty"`
	ExternalID  string      `json:"external_id,omitempty"`
	ExternalUID string      `json:"external_uid,omitempty"`
	TaxID       string      `json:"tax_id,omitempty"`
	Name        string      `json:"name"`
	ContactInfo ContactInfo `json:"contact_info"`
}

// Tiers is the sales chain of an asset.
type Tiers struct {
	Customer TierAccount  `json:"customer"`
	Tier1    *TierAccount `json:"tier1,omitempty"`
	Tier2    *TierAccount `json:"tier2,omitempty"`
}

// AssetItem is an ordered item with its quantity (a decimal string, as
// Connect shows it) and the listed price it was bought at.
type AssetItem struct {
	ID          string `json:"id"`
	LocalID     string `json:"local_id"`
	MPN         string `json:"mpn"`
	Name        string `json:"name"`
	Type        string `json:"type"`
	Period      string `json:"period"`
	Unit        string `json:"unit"`
	Quantity    string `json:"quantity"`
	OldQuantity string `json:"old_quantity,omitempty"`
	Price       string `json:"price"`
}

// UnmarshalJSON reads quantities as decimal strings or, as Connect shows an
// asset's, as numbers.
func (it *AssetItem) UnmarshalJSON(b []byte) error {
	type plain AssetItem
	var v struct {
		plain
		Quantity    json.Number `json:"quantity"`
		OldQuantity json.Number `json:"old_quantity"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*it = AssetItem(v.plain)
	it.Quantity, it.OldQuantity = v.Quantity.String(), v.OldQuantity.String()
	return nil
}

// AssetParam is a parameter's value on an asset.
type AssetParam struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Title      string `json:"title"`
	Type       string `json:"type"`
	Scope      string `json:"scope"`
	Phase      string `json:"phase"`
	Required   bool   `json:"required"`
	Value      string `json:"value"`
	ValueError string `json:"value_error"`
}

// Subscription is the Partner Center face of an asset bought through an
// order: its commercial terms.
type Subscription struct {
	CustomerID               string    `json:"customer_id,omitempty"`
	OrderID                  string    `json:"order_id,omitempty"`
	LineItemNumber           int       `json:"line_item_number"`
	OfferID                  string    `json:"offer_id"`
	FriendlyName             string    `json:"friendly_name,omitempty"`
	BillingCycle             string    `json:"billing_cycle"`
	TermDuration             string    `json:"term_duration,omitempty"`
	AutoRenew                bool      `json:"auto_renew"`
	EffectiveStart           time.Time `json:"effective_start"`
	CommitmentEnd            time.Time `json:"commitment_end"`
	CancellationAllowedUntil time.Time `json:"cancellation_allowed_until"`
	PartnerIDOnRecord        string    `json:"partner_id_on_record,omitempty"`
	AdditionalPartnerIDs     []string  `json:"additional_partner_ids_on_record,omitempty"`
}

// Asset is an instance of a product bought by a customer.
type Asset struct {
	ID           string       `json:"id"`
	Status       string       `json:"status"`
	ExternalID   string       `json:"external_id"`
	ExternalUID  string       `json:"external_uid"`
	Product      Ref          `json:"product"`
	Version      int          `json:"version"`
	Marketplace  Ref          `json:"marketplace"`
	Vendor       Ref          `json:"vendor"`
	Provider     Ref          `json:"provider"`
	Currency     string       `json:"currency"`
	Tiers        Tiers        `json:"tiers"`
	Items        []AssetItem  `json:"items"`
	Params       []AssetParam `json:"params"`
	Subscription Subscription `json:"subscription"`
	// Connection is the product's connection to the provider's hub that
	// the purchase named, if it named one.
	Connection     *Connection `json:"connection,omitempty"`
	PendingRequest *Ref        `json:"pending_request"`
	// Template is the fulfillment template of the last approved request,
	// which GET /assets/{id}/render shows.
	Template *Ref `json:"template"`
	// ActivatedAt is when the purchase was approved; nil while processing
	// and after a failed purchase.
	ActivatedAt *time.Time `json:"activated_at"`
	Created     time.Time  `json:"created"`
	Updated     time.Time  `json:"updated"`
}

// Connection is Connect's link between a product and a provider's hub, as
// an asset keeps it.
type Connection struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Hub  Ref    `json:"hub"`
}

// Param returns the asset's parameter named name.
func (a *Asset) Param(name string) (*AssetParam, bool) {
	for i := range a.Params {
		if a.Params[i].Name == name || a.Params[i].ID == name {
			return &a.Params[i], true
		}
	}
	return nil, false
}

// Quantity returns the asset's total quantity of reservation items, which
// Partner Center shows as the subscription's quantity.
func (a Asset) Quantity() int {
	n := 0
	for _, it := range a.Items {
		if it.Type == catalog.ItemReservation {
			q, _ := strconv.Atoi(it.Quantity)
			n += q
		}
	}
	return n
}

// Request is a fulfillment request: what the vendor works.
type Request struct {
	ID                      string    `json:"id"`
	Type                    string    `json:"type"`
	Status                  string    `json:"status"`
	Asset                   Asset     `json:"asset"`
	Marketplace             Ref       `json:"marketplace"`
	Note                    string    `json:"note"`
	Reason                  string    `json:"reason"`
	Assignee                *Ref      `json:"assignee"`
	Template                *Ref      `json:"template"`
	ActivationKey           string    `json:"activation_key"`
	PreviousApprovedRequest *Ref      `json:"previous_approved_request"`
	Created                 time.Time `json:"created"`
	Updated                 time.Time `json:"updated"`
}

// UnmarshalJSON reads the assignee as a reference or, as Connect shows it,
// as the assignee's id.
func (r *Request) UnmarshalJSON(b []byte) error {
	type plain Request
	var v struct {
		plain
		Assignee json.RawMessage `json:"assignee"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = Request(v.plain)
	r.Assignee = nil
	var id string
	switch {
	case len(v.Assignee) == 0 || string(v.Assignee) == "null":
	case json.Unmarshal(v.Assignee, &id) == nil:
		r.Assignee = &Ref{ID: id}
	default:
		r.Assignee = &Ref{}
		return json.Unmarshal(v.Assignee, r.Assignee)
	}
	return nil
}

// NewAssetID returns an asset id, AS-dddd-dddd-dddd.
func NewAssetID() string { return ident.Digits("AS", 4, 4, 4) }

// RequestID returns the n-th request id of an asset: its digits and a
// three-digit sequence, as Connect numbers them.
func RequestID(assetID string, n int) string {
	return fmt.Sprintf("PR-%s-%03d", strings.TrimPrefix(assetID, "AS-"), n)
}

// Id shapes: AS-dddd-dddd-dddd and PR-dddd-dddd-dddd-NNN (NNN grows past
// three digits after the 999th request of an asset). Compiled on first use,
// like the expressions of purchase.go: they were most of this package's
// initialisation, in every cold start of the functions that link it.
var (
	assetIDRe   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^AS-\d{4}-\d{4}-\d{4}$`) })
	requestIDRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^PR-\d{4}-\d{4}-\d{4}-\d{3,9}$`) })
)

// ValidAssetID reports whether id has the shape of an asset id. Anything
// else cannot exist, and is not worth a DynamoDB call (nor a key DynamoDB
// would refuse).
func ValidAssetID(id string) bool { return assetIDRe().MatchString(id) }

// AssetOfRequest returns the asset id a request id belongs to.
func AssetOfRequest(requestID string) (string, bool) {
	if !requestIDRe().MatchString(requestID) {
		return "", false
	}
	rest := strings.TrimPrefix(requestID, "PR-")
	return "AS-" + rest[:strings.LastIndexByte(rest, '-')], true
}

// The asset and its requests share a partition, so that an asset with its
// requests is one Query and a request is found from its id alone:
//
//	ASSET#<id> / ASSET            the asset
//	ASSET#<id> / REQUEST#<id>     each of its requests
//
// Their list keys, on the keys-only indexes, are internal/layout's.
type Row struct {
	dynamo.Row
	Rev     int `dynamodbav:"rev"`
	NextReq int `dynamodbav:"next_request,omitempty"`
	// LastApproved is the asset's last approved request, which the next
	// request records as its previous_approved_request.
	LastApproved string `dynamodbav:"last_approved,omitempty"`
}

// AssetPK is the partition of an asset and its requests.
func AssetPK(id string) string { return "ASSET#" + id }

// AssetKey is the key of an asset's row.
func AssetKey(id string) dynamo.Key { return dynamo.Key{PK: AssetPK(id), SK: "ASSET"} }

// RequestKey is the key of a request's row.
func RequestKey(id string) dynamo.Key {
	aid, _ := AssetOfRequest(id)
	return dynamo.Key{PK: AssetPK(aid), SK: "REQUEST#" + id}
}
