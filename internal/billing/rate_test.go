package billing_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/internal/billing"
	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/fulfillment/timeline"
	"github.com/mercato-dev/mercato/internal/usage"
)

func at(month time.Month, d, h int) time.Time { return time.Date(2026, month, d, h, 0, 0, 0, time.UTC) }

func seats(qty string) []fulfillment.AssetItem {
	return []fulfillment.AssetItem{
		{ID: "PRD-1-0001", LocalID: "0001", Type: catalog.ItemReservation, Period: catalog.PeriodMonthly, Quantity: qty, Price: "10"},
		{ID: "PRD-1-0003", LocalID: "0003", Type: catalog.ItemPPU, Period: catalog.PeriodMonthly, Quantity: "0", Price: "0.05"},
	}
}

func req(id, typ string, when time.Time, items []fulfillment.AssetItem) fulfillment.Request {
	return fulfillment.Request{ID: id, Type: typ, Status: fulfillment.StatusApproved, Updated: when, Asset: fulfillment.Asset{Items: items}}
}

// asset is activated on Nov 10 10:00 with 4 seats.
func asset(status string, items []fulfillment.AssetItem) fulfillment.Asset {
	act := at(11, 10, 10)
	return fulfillment.Asset{ID: "AS-1", Status: status, Currency: "USD", Items: items, ActivatedAt: &act,
		Product: catalog.Ref{ID: "PRD-1"}, Marketplace: catalog.Ref{ID: "MP-1"}, Updated: act}
}

type charge struct {
	Type, Qty, Amount string
	From, To          int // days of the month
}

func charges(lines []billing.Line) []charge {
	var out []charge
	for _, l := range lines {
		out = append(out, charge{l.ChargeType, l.Quantity, l.Amount.StringFixed(2), l.ChargeStart.Day(), l.ChargeEnd.AddDate(0, 0, -1).Day()})
	}
	return out
}

func TestRecurring(t *testing.T) {
	purchase := req("PR-1-001", fulfillment.TypePurchase, at(11, 10, 10), seats("4"))
	nov, dec := billing.PeriodOf(at(11, 15, 0)), billing.PeriodOf(at(12, 15, 0))
	tests := []struct {
		name   string
		asset  fulfillment.Asset
		reqs   []fulfillment.Request
		period billing.Period
		want   []charge
	}{
		{"first period prorated from activation", asset(fulfillment.AssetActive, seats("4")), []fulfillment.Request{purchase}, nov,
			// 21 of 30 days × 4 × 10
			[]charge{{"new", "4", "28.00", 10, 30}}},
		{"a whole month renews at price × quantity", asset(fulfillment.AssetActive, seats("4")), []fulfillment.Request{purchase}, dec,
			[]charge{{"renew", "4", "40.00", 1, 31}}},
		{"mid-period quantity change", asset(fulfillment.AssetActive, seats("10")), []fulfillment.Request{purchase,
			req("PR-1-002", fulfillment.TypeChange, at(12, 11, 9), seats("10"))}, dec,
			// 10 days × 4 × 10/31 + 21 days × 10 × 10/31
			[]charge{{"renew", "4", "12.90", 1, 10}, {"prorate", "10", "67.74", 11, 31}}},
		{"suspended days are free", asset(fulfillment.AssetActive, seats("4")), []fulfillment.Request{purchase,
			req("PR-1-002", fulfillment.TypeSuspend, at(12, 6, 12), nil), req("PR-1-003", fulfillment.TypeResume, at(12, 16, 8), nil)}, dec,
			// Dec 1-5 and Dec 16-31
			[]charge{{"renew", "4", "6.45", 1, 5}, {"prorate", "4", "20.65", 16, 31}}},
		{"last period prorated to the cancellation", asset(fulfillment.AssetTerminated, seats("4")), []fulfillment.Request{purchase,
			req("PR-1-002", fulfillment.TypeCancel, at(12, 21, 0), nil)}, dec,
			[]charge{{"renew", "4", "25.81", 1, 20}}},
		{"nothing before activation", asset(fulfillment.AssetActive, seats("4")), []fulfillment.Request{purchase}, billing.PeriodOf(at(10, 1, 0)), nil},
		{"never activated", fulfillment.Asset{ID: "AS-2", Status: fulfillment.AssetProcessing, Items: seats("4")}, nil, nov, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl := timeline.Of(tt.asset, tt.reqs)
			got := charges(billing.Recurring(tt.asset, tl, tt.period))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRecurring_Sources(t *testing.T) {
	a := asset(fulfillment.AssetActive, seats("10"))
	reqs := []fulfillment.Request{req("PR-1-001", fulfillment.TypePurchase, at(11, 10, 10), seats("4")),
		req("PR-1-002", fulfillment.TypeChange, at(12, 11, 9), seats("10"))}
	lines := billing.Recurring(a, timeline.Of(a, reqs), billing.PeriodOf(at(12, 1, 0)))
	if len(lines) != 2 || lines[0].Source != "PR-1-001" || lines[1].Source != "PR-1-002" || lines[1].Days != 21 || lines[1].CycleDays != 31 {
		t.Fatalf("lines = %+v", lines)
	}
	if lines[0].Key == lines[1].Key {
		t.Errorf("two lines share the key %s", lines[0].Key)
	}
}

func TestRecurring_Yearly(t *testing.T) {
	items := []fulfillment.AssetItem{{ID: "PRD-1-0002", Type: catalog.ItemReservation, Period: catalog.PeriodYearly, Quantity: "2", Price: "365"}}
	a := asset(fulfillment.AssetActive, items)
	lines := billing.Recurring(a, timeline.Of(a, nil), billing.PeriodOf(at(12, 1, 0)))
	// 31 days × 2 × 365/365
	if got := charges(lines); !cmp.Equal(got, []charge{{"renew", "2", "62.00", 1, 31}}) {
		t.Errorf("yearly = %+v", got)
	}
}

func TestUsage_RoundsPerLine(t *testing.T) {
	f := usage.File{ID: "UF-1", Currency: "USD", Product: catalog.Ref{ID: "PRD-1"}, Marketplace: catalog.Ref{ID: "MP-1"}}
	r := usage.Record{ID: "UR-1-000001", RecordID: "r-1", Quantity: "12.35", Price: "0.05", Item: usage.ItemRef{ID: "PRD-1-0003"}}
	l, err := billing.Usage(f, r, asset(fulfillment.AssetActive, seats("4")), fulfillment.AssetItem{})
	if err != nil {
		t.Fatal(err)
	}
	// 0.6175 rounds half up to 0.62
	if l.Amount.String() != "0.62" || l.ChargeType != billing.ChargeUsage || l.UsageFileID != "UF-1" || l.UsageRecordID != "r-1" || l.Source != "UR-1-000001" {
		t.Errorf("line = %+v", l)
	}
}

func TestPeriod(t *testing.T) {
	p := billing.PeriodOf(at(2, 14, 23))
	if p.Key() != "2026-02" || p.Days() != 28 || p.Next().Key() != "2026-03" || p.Prev().Key() != "2026-01" {
		t.Errorf("period %s: %d days, next %s, prev %s", p.Key(), p.Days(), p.Next().Key(), p.Prev().Key())
	}
	if id := billing.InvoiceID("PA-846-737", p, "USD"); id != "IN-202602-846737-USD" {
		t.Errorf("invoice id %s", id)
	}
}
