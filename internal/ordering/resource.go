package ordering

import (
	"net/http"
	"time"

	"github.com/mercato-dev/mercato/internal/pclink"
)

// OrderLineResource is an order line as the API shows it.
type OrderLineResource struct {
	LineItemNumber               int                    `json:"lineItemNumber"`
	OfferID                      string                 `json:"offerId"`
	SubscriptionID               string                 `json:"subscriptionId"`
	TermDuration                 string                 `json:"termDuration,omitempty"`
	TransactionType              string                 `json:"transactionType"`
	FriendlyName                 string                 `json:"friendlyName"`
	Quantity                     int                    `json:"quantity"`
	PartnerIDOnRecord            string                 `json:"partnerIdOnRecord,omitempty"`
	AdditionalPartnerIDsOnRecord []string               `json:"additionalPartnerIdsOnRecord,omitempty"`
	ProvisioningContext          map[string]string      `json:"provisioningContext,omitempty"`
	Links                        map[string]pclink.Link `json:"links"`
}

// OrderResource is Partner Center's Order: what POST and GET
// /v1/customers/{id}/orders/{order} answer, and what order.created and
// order.updated carry, so that a webhook receiver sees the API's object.
type OrderResource struct {
	ID                  string                 `json:"id"`
	AlternateID         string                 `json:"alternateId"`
	ReferenceCustomerID string                 `json:"referenceCustomerId"`
	BillingCycle        string                 `json:"billingCycle"`
	CurrencyCode        string                 `json:"currencyCode"`
	CurrencySymbol      string                 `json:"currencySymbol"`
	LineItems           []OrderLineResource    `json:"lineItems"`
	CreationDate        time.Time              `json:"creationDate"`
	Status              string                 `json:"status"`
	TransactionType     string                 `json:"transactionType"`
	Links               map[string]pclink.Link `json:"links"`
	Client              struct{}               `json:"client"`
	Attributes          pclink.Attributes      `json:"attributes"`
}

// NewOrderResource builds the resource of o. Its catalog links carry the
// customer's country, without which the catalog answers 400.
func NewOrderResource(o Order) OrderResource {
	base := "/v1/customers/" + o.ReferenceCustomerID + "/orders/" + o.ID
	view := OrderResource{ID: o.ID, AlternateID: o.ID, ReferenceCustomerID: o.ReferenceCustomerID, BillingCycle: o.BillingCycle,
		CurrencyCode: o.CurrencyCode, CurrencySymbol: o.CurrencySymbol, CreationDate: o.CreationDate, Status: o.Status,
		TransactionType: o.TransactionType, Attributes: pclink.Attributes{ObjectType: "Order"},
		LineItems: make([]OrderLineResource, 0, len(o.LineItems)),
		Links: map[string]pclink.Link{
			"self":               pclink.Get(base),
			"provisioningStatus": pclink.Get(base + "/provisioningstatus"),
			"patchOperation":     {URI: base, Method: http.MethodPatch, Headers: []string{}},
		}}
	for _, l := range o.LineItems {
		product := "/v1/products/" + l.ProductID
		sku := product + "/skus/" + l.SkuID
		view.LineItems = append(view.LineItems, OrderLineResource{
			LineItemNumber: l.LineItemNumber, OfferID: l.OfferID, SubscriptionID: l.SubscriptionID,
			TermDuration: l.TermDuration, TransactionType: l.TransactionType, FriendlyName: l.FriendlyName,
			Quantity: l.Quantity, PartnerIDOnRecord: l.PartnerIDOnRecord, AdditionalPartnerIDsOnRecord: l.AdditionalPartnerIDsOnRecord,
			ProvisioningContext: l.ProvisioningContext,
			Links: map[string]pclink.Link{
				"product":      pclink.Get(pclink.WithCountry(product, o.Country)),
				"sku":          pclink.Get(pclink.WithCountry(sku, o.Country)),
				"availability": pclink.Get(pclink.WithCountry(sku+"/availabilities/"+l.AvailabilityID, o.Country)),
				"subscription": pclink.Get("/v1/customers/" + o.ReferenceCustomerID + "/subscriptions/" + l.SubscriptionID),
			},
		})
	}
	return view
}
