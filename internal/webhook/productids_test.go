package webhook

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/internal/event"
)

// The product filter reads Partner Center's order and subscription
// resources, which name their product only in offerId (a catalogItemId).
func TestWebhook_MatchesPartnerCenterResources(t *testing.T) {
	prd := Webhook{Active: true, Products: []string{"PRD-387-522-630"}}
	other := Webhook{Active: true, Products: []string{"PRD-111-111-111"}}
	tests := []struct {
		name string
		e    event.Event
		want []string
	}{
		{"order.created", ev(event.OrderCreated, exampleOrder("pending")), []string{"PRD-387-522-630"}},
		{"order.updated", ev(event.OrderUpdated, exampleOrder("completed")), []string{"PRD-387-522-630"}},
		{"subscription.updated", ev(event.SubscriptionUpdated, exampleSubscription()), []string{"PRD-387-522-630"}},
		{"two products in lines", ev(event.OrderCreated, `{"lineItems":[{"offerId":"PRD-222-222-222:0001:MP-1"},{"offerId":"PRD-387-522-630:0002:MP-1"}]}`),
			[]string{"PRD-222-222-222", "PRD-387-522-630"}},
		{"not a catalog item id", ev(event.OrderCreated, `{"lineItems":[{"offerId":"CFQ7TTC0LH0Z"}],"offerId":"PRD-387-522-630:0001"}`), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ProductIDs(tt.e)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("ProductIDs (-want +got):\n%s", diff)
			}
			wantMatch := len(tt.want) > 0 && tt.want[len(tt.want)-1] == "PRD-387-522-630"
			if prd.Matches(tt.e) != wantMatch || other.Matches(tt.e) {
				t.Errorf("Matches: own product %v (want %v), other product %v", prd.Matches(tt.e), wantMatch, other.Matches(tt.e))
			}
		})
	}
}
