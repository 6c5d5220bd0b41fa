package timeline_test

import (
	"testing"
	"time"

	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/fulfillment/timeline"
)

func day(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }

func TestTimeline_ActiveThrough(t *testing.T) {
	act := day(2)
	a := fulfillment.Asset{ID: "AS-1", Status: fulfillment.AssetActive, ActivatedAt: &act, Updated: day(20)}
	approved := func(typ string, d int) fulfillment.Request {
		return fulfillment.Request{ID: typ, Type: typ, Status: fulfillment.StatusApproved, Updated: day(d)}
	}
	tl := timeline.Of(a, []fulfillment.Request{
		approved(fulfillment.TypePurchase, 2), approved(fulfillment.TypeChange, 5),
		approved(fulfillment.TypeSuspend, 10), approved(fulfillment.TypeResume, 12),
		{ID: "pending", Type: fulfillment.TypeCancel, Status: fulfillment.StatusPending, Updated: day(15)},
	})
	tests := []struct {
		name     string
		from, to int
		want     bool
	}{
		{"across a quantity change", 3, 7, true},
		{"before activation", 1, 3, false},
		{"into a suspension", 8, 11, false},
		{"inside the suspension", 10, 11, false},
		{"after the resume, a pending cancel does not count", 12, 20, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tl.ActiveThrough(day(tt.from), day(tt.to)); got != tt.want {
				t.Errorf("ActiveThrough(Nov %d, Nov %d) = %v, want %v (timeline %+v)", tt.from, tt.to, got, tt.want, tl)
			}
		})
	}
	if tl := timeline.Of(fulfillment.Asset{Status: fulfillment.AssetProcessing}, nil); tl != nil {
		t.Errorf("a never activated asset has a timeline: %+v", tl)
	}
}

func TestTimeline_StatusWithoutRequest(t *testing.T) {
	act := day(2)
	a := fulfillment.Asset{ID: "AS-1", Status: fulfillment.AssetTerminated, ActivatedAt: &act, Updated: day(9)}
	tl := timeline.Of(a, nil)
	if len(tl) != 2 || tl[1].Status != fulfillment.AssetTerminated || !tl[1].At.Equal(day(9)) {
		t.Fatalf("timeline = %+v", tl)
	}
	if tl.ActiveThrough(day(8), day(10)) {
		t.Error("active after its termination")
	}
}
