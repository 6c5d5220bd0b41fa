package ordering

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// An order of the most lines, with long names and parameters, stays far
// below the limit of its event's data.
func TestNewOrderResource_Size(t *testing.T) {
	o := Order{ID: "5cf72f146967", ReferenceCustomerID: "4d3cf487-7a7b-4f5c-9a8e-7a1f2b3c4d5e", BillingCycle: "monthly",
		CurrencyCode: "USD", CurrencySymbol: "$", CreationDate: time.Now(), Status: OrderPending, Country: "US"}
	for i := range MaxLines {
		o.LineItems = append(o.LineItems, OrderLine{LineItemNumber: i, OfferID: "PRD-387-522-630:0001:MP-71206",
			SubscriptionID: "AS-7658-9572-0778", ProductID: "PRD-387-522-630", SkuID: "0001", AvailabilityID: "MP-71206",
			TermDuration: "P1M", TransactionType: "New", FriendlyName: strings.Repeat("n", 256), Quantity: 5,
			PartnerIDOnRecord: "873452", AdditionalPartnerIDsOnRecord: []string{"1", "2", "3", "4", "5"},
			ProvisioningContext: map[string]string{"param_tenant": strings.Repeat("t", 255), "param_region": "eu"}})
	}
	b, err := json.Marshal(NewOrderResource(o))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > MaxEventData/4 {
		t.Errorf("a %d-line order resource is %d bytes; the limit is %d", MaxLines, len(b), MaxEventData)
	}
	for _, l := range NewOrderResource(o).LineItems {
		for name, link := range l.Links {
			if name != "subscription" && !strings.HasSuffix(link.URI, "?country=US") {
				t.Fatalf("link %s = %s, want the customer's country", name, link.URI)
			}
		}
	}
}
