package webhook

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/ordering"
)

// TestExamples_AreTheResources builds the examples of order.* and
// subscription.* with the functions that build the events' data, so that
// the literals the dispatcher links (without the ordering and fulfillment
// packages) cannot drift from what is sent.
func TestExamples_AreTheResources(t *testing.T) {
	tests := []struct{ name, got, want string }{
		{"order pending", exampleOrder(ordering.OrderPending), builtOrder(ordering.OrderPending)},
		{"order completed", exampleOrder(ordering.OrderCompleted), builtOrder(ordering.OrderCompleted)},
		{"subscription", exampleSubscription(), builtSubscription()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got, want any
			if err := json.Unmarshal([]byte(tt.got), &got); err != nil {
				t.Fatalf("example is not JSON: %v", err)
			}
			if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("example differs from the resource (-built +example):\n%s", diff)
			}
		})
	}
}

var exampleTime = time.Date(2026, 11, 22, 10, 15, 29, 0, time.UTC)

func builtOrder(status string) string {
	o := ordering.Order{ID: "5cf72f146967", ReferenceCustomerID: "4d3cf487-7a7b-4f5c-9a8e-7a1f2b3c4d5e",
		BillingCycle: "monthly", CurrencyCode: "USD", CurrencySymbol: "$", CreationDate: exampleTime, Status: status,
		TransactionType: "UserPurchase", ProviderID: "PA-855-748", Country: "US",
		LineItems: []ordering.OrderLine{{LineItemNumber: 0, OfferID: "PRD-387-522-630:0001:MP-71206",
			SubscriptionID: "AS-7658-9572-0778", RequestID: "PR-7658-9572-0778-001", ProductID: "PRD-387-522-630",
			SkuID: "0001", AvailabilityID: "MP-71206", TermDuration: "P1M", TransactionType: "New",
			FriendlyName: "Cloud Backup 100 GB", Quantity: 5, PartnerIDOnRecord: "873452",
			ProvisioningContext: map[string]string{"param_tenant": "contoso"}}}}
	return marshalExample(ordering.NewOrderResource(o))
}

func builtSubscription() string {
	qty := func(n string) []fulfillment.AssetItem {
		return []fulfillment.AssetItem{{ID: "PRD-387-522-630-0001", LocalID: "0001", Type: catalog.ItemReservation, Unit: "users", Quantity: n}}
	}
	a := fulfillment.Asset{ID: "AS-7658-9572-0778", Status: fulfillment.AssetActive,
		Product: fulfillment.Ref{ID: "PRD-387-522-630", Name: "Cloud Backup"}, Items: qty("7"),
		Tiers:   fulfillment.Tiers{Customer: fulfillment.TierAccount{ContactInfo: fulfillment.ContactInfo{Address: fulfillment.Address{Country: "US"}}}},
		Created: exampleTime,
		Subscription: fulfillment.Subscription{CustomerID: "4d3cf487-7a7b-4f5c-9a8e-7a1f2b3c4d5e", OrderID: "5cf72f146967",
			OfferID: "PRD-387-522-630:0001:MP-71206", FriendlyName: "Cloud Backup 100 GB", BillingCycle: "monthly",
			TermDuration: "P1M", AutoRenew: true, EffectiveStart: exampleTime, CommitmentEnd: exampleTime.AddDate(0, 1, 0),
			CancellationAllowedUntil: exampleTime.Add(ordering.CancellationWindow), PartnerIDOnRecord: "873452"}}
	return marshalExample(fulfillment.NewSubscriptionResource(a, nil))
}

func marshalExample(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic("webhook: example: " + err.Error())
	}
	return string(b)
}
