package fulfillment

import (
	"strings"
	"time"

	"github.com/mercato-dev/mercato/internal/pclink"
)

// PendingChange is the request a subscription waits on, as its resource
// shows it.
type PendingChange struct {
	RequestID string `json:"requestId"`
	Type      string `json:"type"`
	Quantity  int    `json:"quantity,omitempty"`
}

// SubscriptionResource is an asset bought through a Partner Center order,
// as GET /v1/customers/{id}/subscriptions/{sub} answers it and as
// subscription.updated carries it. It lives here, not in the HTTP layer,
// because the store emits that event when a request settles.
type SubscriptionResource struct {
	ID                           string                 `json:"id"`
	OfferID                      string                 `json:"offerId"`
	OfferName                    string                 `json:"offerName"`
	FriendlyName                 string                 `json:"friendlyName"`
	Quantity                     int                    `json:"quantity"`
	UnitType                     string                 `json:"unitType"`
	CreationDate                 time.Time              `json:"creationDate"`
	EffectiveStartDate           time.Time              `json:"effectiveStartDate"`
	CommitmentEndDate            time.Time              `json:"commitmentEndDate"`
	CancellationAllowedUntilDate time.Time              `json:"cancellationAllowedUntilDate"`
	Status                       string                 `json:"status"`
	AutoRenewEnabled             bool                   `json:"autoRenewEnabled"`
	BillingCycle                 string                 `json:"billingCycle"`
	TermDuration                 string                 `json:"termDuration,omitempty"`
	OrderID                      string                 `json:"orderId"`
	PartnerIDOnRecord            string                 `json:"partnerId,omitempty"`
	AdditionalPartnerIDsOnRecord []string               `json:"additionalPartnerIdsOnRecord,omitempty"`
	SuspensionReasons            []string               `json:"suspensionReasons"`
	PendingChange                *PendingChange         `json:"pendingChange,omitempty"`
	Links                        map[string]pclink.Link `json:"links"`
	Attributes                   pclink.Attributes      `json:"attributes"`
}

// NewSubscriptionResource builds the resource of asset a. pending is a's
// pending request when the caller has read it; only a change request's
// quantity differs from the asset's, so without it the pending quantity of
// any other request is still known.
func NewSubscriptionResource(a Asset, pending *Request) SubscriptionResource {
	sub := a.Subscription
	unit := ""
	if len(a.Items) > 0 {
		unit = a.Items[0].Unit
	}
	v := SubscriptionResource{ID: a.ID, OfferID: sub.OfferID, OfferName: a.Product.Name, FriendlyName: sub.FriendlyName,
		Quantity: a.Quantity(), UnitType: unit, CreationDate: a.Created, EffectiveStartDate: sub.EffectiveStart,
		CommitmentEndDate: sub.CommitmentEnd, CancellationAllowedUntilDate: sub.CancellationAllowedUntil,
		Status: SubscriptionStatus(a), AutoRenewEnabled: sub.AutoRenew, BillingCycle: sub.BillingCycle,
		TermDuration: sub.TermDuration, OrderID: sub.OrderID, PartnerIDOnRecord: sub.PartnerIDOnRecord,
		AdditionalPartnerIDsOnRecord: sub.AdditionalPartnerIDs,
		SuspensionReasons:            []string{}, Attributes: pclink.Attributes{ObjectType: "Subscription"}}
	if v.FriendlyName == "" {
		v.FriendlyName = a.Product.Name
	}
	v.Links = subscriptionLinks(a)
	if a.Status == AssetSuspended {
		v.SuspensionReasons = []string{"PartnerInitiated"}
	}
	if p := a.PendingRequest; p != nil {
		v.PendingChange = &PendingChange{RequestID: p.ID, Type: p.Name}
		switch {
		case pending != nil && pending.ID == p.ID:
			v.PendingChange.Quantity = pending.Asset.Quantity()
		case p.Name != TypeChange:
			v.PendingChange.Quantity = v.Quantity
		}
	}
	return v
}

// subscriptionLinks point at the subscription and at its catalog item, in
// the customer's country, which the catalog requires.
func subscriptionLinks(a Asset) map[string]pclink.Link {
	sub := a.Subscription
	country := a.Tiers.Customer.ContactInfo.Address.Country
	base := "/v1/customers/" + sub.CustomerID + "/subscriptions/" + a.ID
	product := "/v1/products/" + a.Product.ID
	links := map[string]pclink.Link{"self": pclink.Get(base), "product": pclink.Get(pclink.WithCountry(product, country))}
	if parts := strings.Split(sub.OfferID, ":"); len(parts) == 3 && parts[0] == a.Product.ID {
		sku := product + "/skus/" + parts[1]
		links["sku"] = pclink.Get(pclink.WithCountry(sku, country))
		links["availability"] = pclink.Get(pclink.WithCountry(sku+"/availabilities/"+parts[2], country))
	}
	return links
}

// SubscriptionStatus maps an asset status to Partner Center's.
func SubscriptionStatus(a Asset) string {
	switch a.Status {
	case AssetActive:
		return "active"
	case AssetSuspended:
		return "suspended"
	case AssetTerminated:
		return "deleted"
	}
	return "pending"
}
