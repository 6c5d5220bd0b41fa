package httpapi

import (
	"cmp"
	"encoding/json"
	"strings"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/fulfillment"
)

// ref is Connect's reference to another object.
type ref struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

func refs(codes []string) []ref {
	out := make([]ref, len(codes))
	for i, c := range codes {
		out[i] = ref{ID: c}
	}
	return out
}

// Connect spells item enums in its own case (Reservation, PPU, Monthly,
// OneTime, Integer, Decimal(2)); Mercato stores them lower-case and accepts
// either.
var connectCase = map[string]string{
	catalog.ItemReservation: "Reservation", catalog.ItemPPU: "PPU",
	catalog.PeriodMonthly: "Monthly", catalog.PeriodOneTime: "OneTime", "yearly": "Yearly",
	"integer": "Integer",
}

func connectSpelling(v string) string {
	if c, ok := connectCase[v]; ok {
		return c
	}
	if strings.HasPrefix(v, "decimal(") {
		return "D" + v[1:]
	}
	return v
}

func lower(p *string) {
	if p != nil {
		*p = strings.ToLower(*p)
	}
}

// purchaseModel is Connect's purchase model of every Mercato product: a
// subscription that fulfillment requests change.
const purchaseModel = "subscription"

// productView is a product as Connect renders it.
type productView struct {
	catalog.Product
	Category       *categoryRef     `json:"category,omitempty"`
	ExternalID     string           `json:"external_id"`
	PurchaseModel  string           `json:"purchase_model"`
	Capabilities   capabilitiesView `json:"capabilities"`
	Configurations configurations   `json:"configurations"`
}

// configurations is where Connect keeps a product's suspend/resume and
// reseller switches; Mercato derives it from its own.
type configurations struct {
	SuspendResumeSupported      bool `json:"suspend_resume_supported"`
	RequiresResellerInformation bool `json:"requires_reseller_information"`
}

// capabilitiesView is Connect's capabilities object, with Mercato's
// switches (the writable part) beside it. Connect's parts are read-only:
// what Mercato does is fixed, so they are constants, but for the
// subscription's suspend and resume, present when the product supports
// them. A write may send them back; they are dropped (see dropReadOnly).
type capabilitiesView struct {
	catalog.Capabilities
	PPU          ppuCapability          `json:"ppu"`
	Reservation  reservationCapability  `json:"reservation"`
	Cart         validationCapability   `json:"cart"`
	Inquiring    validationCapability   `json:"inquiring"`
	Tiers        tiersCapability        `json:"tiers"`
	Subscription subscriptionCapability `json:"subscription"`
}

// ppuCapability: every Mercato product may have PPU items, whose usage
// files report quantities (Connect's QT schema) for the reported period
// only. Connect marks the PPU switch write-only, yet requires it in a
// write's ppu object: Mercato answers it, so that a body read and PUT back
// is a valid Connect write.
type ppuCapability struct {
	PPU        bool   `json:"ppu"`
	Schema     string `json:"schema"`
	Dynamic    bool   `json:"dynamic"`
	Predictive bool   `json:"predictive"`
	Future     bool   `json:"future"`
	Late       bool   `json:"late"`
}

type reservationCapability struct {
	Consumption bool `json:"consumption"`
}

type validationCapability struct {
	Validation bool `json:"validation"`
}

type tiersCapability struct {
	Updates    bool `json:"updates"`
	Validation bool `json:"validation"`
}

type subscriptionCapability struct {
	Purchase *schedulingCapability `json:"purchase"`
	Change   *schedulingCapability `json:"change"`
	Cancel   *offlineCapability    `json:"cancel"`
	Suspend  *offlineCapability    `json:"suspend,omitempty"`
	Resume   *schedulingCapability `json:"resume,omitempty"`
}

type schedulingCapability struct {
	Scheduling bool `json:"scheduling"`
}

type offlineCapability struct {
	Scheduling bool   `json:"scheduling"`
	Offline    string `json:"offline"`
}

func viewCapabilities(c catalog.Capabilities) capabilitiesView {
	v := capabilitiesView{Capabilities: c, PPU: ppuCapability{PPU: true, Schema: "QT"},
		Subscription: subscriptionCapability{Purchase: &schedulingCapability{}, Change: &schedulingCapability{},
			Cancel: &offlineCapability{Offline: "no"}}}
	if c.SuspendResumeSupported {
		v.Subscription.Suspend = &offlineCapability{Offline: "no"}
		v.Subscription.Resume = &schedulingCapability{}
	}
	return v
}

type categoryRef struct {
	Name string `json:"name"`
}

func viewProduct(p catalog.Product) productView {
	v := productView{Product: p, PurchaseModel: "subscription", Capabilities: viewCapabilities(p.Capabilities),
		Configurations: configurations{SuspendResumeSupported: p.Capabilities.SuspendResumeSupported,
			RequiresResellerInformation: p.Capabilities.RequiresResellerInformation}}
	if p.Category != "" {
		v.Category = &categoryRef{Name: string(p.Category)}
	}
	return v
}

// productInput is a product write in either dialect: Connect nests the
// category as {"name": …}, of which Mercato keeps the name.
type productInput struct {
	catalog.ProductInput
	Category *catalog.Code `json:"category"`
}

func (in productInput) input() catalog.ProductInput {
	out := in.ProductInput
	if in.Category != nil {
		c := string(*in.Category)
		out.Category = &c
	}
	return out
}

// itemView is an item as Connect renders it. Mercato has no item groups
// or replacements: every item is in the product's one default group.
type itemView struct {
	catalog.Item
	Type           string   `json:"type"`
	Period         string   `json:"period"`
	Precision      string   `json:"precision"`
	Unit           unitRef  `json:"unit"`
	ExternalID     string   `json:"external_id"`
	DisplayName    string   `json:"display_name"`
	Parent         struct{} `json:"parent"`
	Replacement    struct{} `json:"replacement"`
	EndOfSaleNotes string   `json:"end_of_sale_notes"`
	Group          groupRef `json:"group"`
}

type unitRef struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Title string `json:"title"`
}

type groupRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	MPN  string `json:"mpn"`
}

func viewItem(it catalog.Item) itemView {
	u := string(it.Unit)
	return itemView{Item: it, Type: connectSpelling(it.Type), Period: connectSpelling(it.Period),
		Precision: connectSpelling(it.Precision), Unit: unitRef{ID: u, Name: u, Title: u},
		DisplayName: it.Name, Group: groupRef{ID: "default", Name: "Default", MPN: "default"}}
}

// itemInput is an item write in either dialect.
type itemInput struct {
	catalog.ItemInput
	// ProductVersion is accepted and ignored: a vendor edits the product's
	// draft, and publishing makes the next version.
	ProductVersion *int `json:"product_version"`
}

func (in itemInput) input() catalog.ItemInput {
	out := in.ItemInput
	lower(out.Type)
	lower(out.Period)
	lower(out.Precision)
	return out
}

// templateView shows the title as the name of a template made before
// templates had names.
func viewTemplate(t catalog.Template) catalog.Template {
	if t.Name == "" {
		t.Name = t.Title
	}
	return t
}

// marketplaceView is a marketplace as Connect renders it.
type marketplaceView struct {
	catalog.Marketplace
	Countries []ref `json:"countries"`
}

func viewMarketplace(mp catalog.Marketplace) marketplaceView {
	return marketplaceView{Marketplace: mp, Countries: refs(mp.Countries)}
}

// tokenView is a token as Connect renders it. Mercato's tokens act with
// the whole account: no extension, no per-object permissions.
type tokenView struct {
	account.Token
	Owner       named    `json:"owner"`
	Extension   named    `json:"extension"`
	Permissions []string `json:"permissions"`
	Status      string   `json:"status"`
}

// named is a reference whose name Connect requires even when empty.
type named struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// viewToken renders a token of the caller's own account (tokens are never
// shown to another account).
func viewToken(owner account.Principal) func(account.Token) tokenView {
	return func(t account.Token) tokenView {
		return tokenView{Token: t, Owner: named{ID: t.AccountID, Name: owner.AccountName}, Permissions: []string{}, Status: "active"}
	}
}

// versionView is a published version as Connect renders a product
// version: the product's required properties beside Mercato's snapshot.
type versionView struct {
	catalog.Version
	ExternalID    string `json:"external_id"`
	PurchaseModel string `json:"purchase_model"`
}

func viewVersion(v catalog.Version) versionView {
	return versionView{Version: v, PurchaseModel: purchaseModel}
}

// Connect's listing request has a state where Mercato's has a status.
var listingStates = map[string]string{
	catalog.RequestDraft: "draft", catalog.RequestPending: "reviewing", catalog.RequestApproved: "completed",
	catalog.RequestRejected: "canceled", catalog.RequestCanceled: "canceled",
}

type listingRequestView struct {
	catalog.ListingRequest
	State string `json:"state"`
}

func viewListingRequest(lr catalog.ListingRequest) listingRequestView {
	return listingRequestView{ListingRequest: lr, State: cmp.Or(listingStates[lr.Status], lr.Status)}
}

// listingRequestInput is a listing request in either dialect: Connect
// names the product product_id.
type listingRequestInput struct {
	catalog.ListingRequestInput
	ProductID *string `json:"product_id"`
}

func (in listingRequestInput) input() catalog.ListingRequestInput {
	out := in.ListingRequestInput
	if in.ProductID != nil && out.Product.ID == "" {
		out.Product.ID = *in.ProductID
	}
	return out
}

// requestView is a fulfillment request as Connect renders it: the
// assignee is its id, and what a request does not have is left out rather
// than null.
type requestView struct {
	fulfillment.Request
	Asset                   assetView        `json:"asset"`
	Assignee                string           `json:"assignee,omitempty"`
	Template                *fulfillment.Ref `json:"template,omitempty"`
	PreviousApprovedRequest *fulfillment.Ref `json:"previous_approved_request,omitempty"`
}

func viewRequest(req fulfillment.Request) requestView {
	// Connect shows a request's item quantities as strings and an asset's
	// as numbers.
	asset := viewAsset(req.Asset)
	asset.Items = req.Asset.Items
	v := requestView{Request: req, Asset: asset, Template: req.Template,
		PreviousApprovedRequest: req.PreviousApprovedRequest}
	if req.Assignee != nil {
		v.Assignee = req.Assignee.ID
	}
	return v
}

// assetView is an asset as Connect renders it. A parameter's id is the
// name the vendor chose (param_admin_email), which Connect's SDKs look
// parameters up by; quantities are numbers. Mercato has no hubs or
// distribution contracts: the connection names the vendor, the provider
// and, as its hub, the marketplace the asset was bought on.
type assetView struct {
	fulfillment.Asset
	Items          any              `json:"items"`
	Params         []assetParamView `json:"params"`
	PendingRequest *fulfillment.Ref `json:"pending_request,omitempty"`
	Template       *fulfillment.Ref `json:"template,omitempty"`
	Connection     connectionView   `json:"connection"`
	Contract       struct{}         `json:"contract"`
}

type assetItemView struct {
	fulfillment.AssetItem
	Quantity    json.Number `json:"quantity"`
	OldQuantity json.Number `json:"old_quantity,omitempty"`
}

type assetParamView struct {
	fulfillment.AssetParam
	ID string `json:"id"`
}

type connectionView struct {
	ID       string          `json:"id,omitempty"`
	Type     string          `json:"type"`
	Provider fulfillment.Ref `json:"provider"`
	Vendor   fulfillment.Ref `json:"vendor"`
	Hub      fulfillment.Ref `json:"hub"`
}

func viewAsset(a fulfillment.Asset) assetView {
	items := make([]assetItemView, len(a.Items))
	v := assetView{Asset: a, PendingRequest: a.PendingRequest, Template: a.Template, Items: items,
		Params:     make([]assetParamView, len(a.Params)),
		Connection: connectionView{Type: "production", Provider: a.Provider, Vendor: a.Vendor, Hub: a.Marketplace}}
	if c := a.Connection; c != nil {
		v.Connection.ID, v.Connection.Type, v.Connection.Hub = c.ID, c.Type, c.Hub
	}
	for i, it := range a.Items {
		items[i] = assetItemView{AssetItem: it, Quantity: json.Number(cmp.Or(it.Quantity, "0")), OldQuantity: json.Number(it.OldQuantity)}
	}
	for i, p := range a.Params {
		v.Params[i] = assetParamView{AssetParam: p, ID: cmp.Or(p.Name, p.ID)}
	}
	return v
}

// listingView is a listing as Connect renders it. Mercato keeps a
// listing's prices on the listing itself: that is its one price list,
// active while the product is listed. Mercato has no offers or
// alternative price lists, whose ids are therefore null.
type listingView struct {
	catalog.Listing
	Offer         nullRef      `json:"offer"`
	Pricelist     pricelistRef `json:"pricelist"`
	AltPricelist1 pricelistRef `json:"alt_pricelist_1"`
	AltPricelist2 pricelistRef `json:"alt_pricelist_2"`
}

type nullRef struct {
	ID *string `json:"id"`
}

type pricelistRef struct {
	ID     *string `json:"id"`
	Name   string  `json:"name"`
	Status string  `json:"status"`
}

func viewListing(l catalog.Listing) listingView {
	status := "active"
	if l.Status != catalog.Listed {
		status = "terminated"
	}
	id := l.ID
	return listingView{Listing: l,
		Pricelist:     pricelistRef{ID: &id, Name: l.Product.ID + " on " + l.Marketplace.ID, Status: status},
		AltPricelist1: pricelistRef{Status: "draft"}, AltPricelist2: pricelistRef{Status: "draft"}}
}
