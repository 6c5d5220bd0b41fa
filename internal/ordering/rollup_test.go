package ordering

import (
	"testing"
	"time"

	"github.com/mercato-dev/mercato/internal/fulfillment"
)

func TestRolledUp_OrderStatusFromLines(t *testing.T) {
	now := time.Now()
	assets := map[string]fulfillment.Asset{
		"processing": {Status: fulfillment.AssetProcessing},
		"active":     {Status: fulfillment.AssetActive, ActivatedAt: &now},
		"suspended":  {Status: fulfillment.AssetSuspended, ActivatedAt: &now},
		"failed":     {Status: fulfillment.AssetTerminated},
		"cancelled":  {Status: fulfillment.AssetTerminated, ActivatedAt: &now},
	}
	tests := []struct {
		name  string
		lines []string
		want  string
	}{
		{"one approved", []string{"active"}, OrderCompleted},
		{"one still pending", []string{"active", "processing"}, OrderPending},
		{"approved and failed", []string{"active", "failed"}, OrderCompleted},
		{"every line failed", []string{"failed", "failed"}, OrderCancelled},
		{"fulfilled, later suspended or cancelled", []string{"suspended", "cancelled"}, OrderCompleted},
		{"a line whose asset is missing waits", []string{"active", "missing"}, OrderPending},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Order{Status: OrderPending}
			for _, id := range tt.lines {
				o.LineItems = append(o.LineItems, OrderLine{SubscriptionID: id})
			}
			if got := rolledUp(o, assets); got != tt.want {
				t.Errorf("rolledUp(%v) = %s, want %s", tt.lines, got, tt.want)
			}
		})
	}
}
