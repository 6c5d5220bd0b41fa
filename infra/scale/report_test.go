package scale

import (
	"math"
	"testing"
)

func TestBuild(t *testing.T) {
	sh := Shaper{Names: map[string]string{"VA-1": "<vendor>"}}
	invs := map[int64]Invocation{1: {Op: "order"}, 2: {Op: "order"}, 3: {Op: "approve"}, 4: {Op: "relay batch", Records: 9}}
	calls := []Call{
		// order 1: 3 round trips, order 2 (warm): 1
		{Op: "order", Inv: 1, Name: "GetItem", Units: []Unit{{PK: "TOKEN#abc123", RCU: 1, ConsistentRCU: 1}}},
		{Op: "order", Inv: 1, Name: "GetItem", Units: []Unit{{PK: "TOKEN#abc123", RCU: 1, ConsistentRCU: 1}}},
		{Op: "order", Inv: 1, Name: "TransactWriteItems", Units: []Unit{{PK: "ORDER#OR-1234-5678", WCU: 4}, {Index: "gsi1", PK: "EVENTS#VA-1", WCU: 6}}},
		{Op: "order", Inv: 2, Name: "TransactWriteItems", Units: []Unit{{PK: "ORDER#OR-1234-9999", WCU: 4}, {Index: "gsi1", PK: "EVENTS#VA-1", WCU: 6}}},
		{Op: "approve", Inv: 3, Name: "UpdateItem", Units: []Unit{{Index: "gsi1", PK: "EVENTS#VA-1", WCU: 8}}},
		{Op: "relay batch", Inv: 4, Name: "Query", Units: []Unit{{Index: "gsi2", PK: "LIST#VA-1", RCU: 3000}}},
	}
	rep := Build(calls, invs, sh, 2, 1)

	// gsi1 EVENTS#<vendor>: 20 WCU over 2 orders = 10/order → 100 orders/s;
	// gsi2 LIST#<vendor>: 1500 RCU/order → 2 orders/s, the ceiling.
	if rep.Ceiling != 2 || rep.CeilingKey != "gsi2 LIST#<vendor>" {
		t.Errorf("ceiling = %g on %q, want 2 on gsi2 LIST#<vendor>", rep.Ceiling, rep.CeilingKey)
	}
	byShape := map[string]KeyRow{}
	for _, k := range rep.Keys {
		byShape[k.Shape] = k
	}
	if k := byShape["gsi1 EVENTS#<vendor>"]; k.WCU != 10 || k.Keys != 1 {
		t.Errorf("gsi1 EVENTS#<vendor> = %+v, want 10 WCU/order on 1 key", k)
	}
	// Two concrete order keys of one shape: the largest, 4/2 = 2.
	if k := byShape["table ORDER#<id>"]; k.WCU != 2 || k.Keys != 2 {
		t.Errorf("table ORDER#<id> = %+v, want 2 WCU/order on 2 keys", k)
	}
	if rep.MaxConsistentRCU != 1 || rep.MaxConsistentKey != "table TOKEN#<id>" {
		t.Errorf("max consistent = %g on %q, want 1 on table TOKEN#<id>", rep.MaxConsistentRCU, rep.MaxConsistentKey)
	}
	if rep.WarmOrder != (Spread{Median: 1, Max: 1, N: 1}) || rep.WarmApprove != (Spread{Median: 1, Max: 1, N: 1}) {
		t.Errorf("warm = %+v / %+v, want 1 round trip each", rep.WarmOrder, rep.WarmApprove)
	}
	if rep.Keys[0].Shape != "gsi2 LIST#<vendor>" {
		t.Errorf("hottest shape first: got %q", rep.Keys[0].Shape)
	}
	if got := len(rep.Misses(DefaultTargets)); got != 1 {
		t.Errorf("misses = %v, want the ceiling only", rep.Misses(DefaultTargets))
	}
}

func TestLimitOf(t *testing.T) {
	tests := []struct{ w, r, want float64 }{
		{10, 0, 100}, {0, 30, 100}, {1, 30, 100}, {0.5, 0, 2000}, {0, 0, math.Inf(1)},
	}
	for _, tt := range tests {
		if got := limitOf(tt.w, tt.r); got != tt.want {
			t.Errorf("limitOf(%g, %g) = %g, want %g", tt.w, tt.r, got, tt.want)
		}
	}
}

func TestPerEntity(t *testing.T) {
	tests := []struct {
		shape        string
		keys, orders int
		want         bool
	}{
		{"table ASSET#<id>", 24, 12, true},
		{"table EVENT#<id>", 192, 12, true},
		{"table CUSTOMER#<id>", 10, 12, false},                   // a pool shared by the orders
		{"gsi7 WHDELIVERIES#<provider>#<id>#<n>", 47, 12, false}, // a shard of an account's list
		{"table RENEWAL#<date>#<n>", 18, 12, false},
		{"table WEBHOOKS#<vendor>", 1, 12, false},
		{"table IDEMPOTENCY#<provider>#<id>", 12, 12, true}, // one key per order
	}
	for _, tt := range tests {
		t.Run(tt.shape, func(t *testing.T) {
			if got := perEntity(tt.shape, tt.keys, tt.orders); got != tt.want {
				t.Errorf("perEntity(%q, %d, %d) = %v, want %v", tt.shape, tt.keys, tt.orders, got, tt.want)
			}
		})
	}
}
