package event

import (
	"encoding/json"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRoutes(t *testing.T) {
	tests := []struct {
		typ  Type
		want []Route
	}{
		{RequestCreated, []Route{RouteFulfillment, RouteWebhook}},
		{AssetUpdated, []Route{RouteFulfillment, RouteWebhook}},
		{OrderCreated, []Route{RouteFulfillment, RouteWebhook}},
		{SubscriptionUpdated, []Route{RouteFulfillment, RouteWebhook}},
		{UsageFileUpdated, []Route{RouteBilling, RouteWebhook}},
		{ListingRequestUpdated, []Route{RouteWebhook}},
		{TokenCreated, []Route{RouteWebhook}},
		{JobRenewal, []Route{RouteFulfillment}},
		{JobBilling, []Route{RouteBilling}},
		{JobExport, []Route{RouteBilling}},
		{JobUsageDelete, []Route{RouteUsage}},
	}
	for _, tt := range tests {
		t.Run(string(tt.typ), func(t *testing.T) {
			got := Routes(tt.typ)
			sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Routes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNew(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.FixedZone("x", 3600))
	e, err := New(TokenCreated, "VA-123-456", map[string]string{"id": "SU-1"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if e.Created.Location() != time.UTC || string(e.Data) != `{"id":"SU-1"}` || e.Account != "VA-123-456" {
		t.Fatalf("event = %+v", e)
	}
	later := NewID(now.Add(time.Millisecond))
	if !(e.ID < later) {
		t.Errorf("ids do not sort by time: %s >= %s", e.ID, later)
	}
	raw, _ := json.Marshal(e)
	var back Event
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(e, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if _, err := New(TokenCreated, "x", func() {}, now); err == nil {
		t.Error("New accepted data it cannot marshal")
	}
}
