package scale

import (
	"strings"
	"testing"
	"time"
)

// flat is a job whose largest invocation costs the same at both sizes.
func flat(name, function string, calls int) Measure {
	return Measure{Name: name, Function: function, Calls: [2]int{calls, calls}, Items: [2]int{calls, calls},
		AWS: [2]time.Duration{time.Duration(calls) * 10 * time.Millisecond, time.Duration(calls) * 10 * time.Millisecond}, Seen: [2]bool{true, true}}
}

// page is a list page of rows rows of rowBytes bytes at both sizes.
func page(name string, rcu float64, rows, rowBytes, maxPage int) Measure {
	return Measure{Name: name, RCU: [2]float64{rcu, rcu}, Rows: [2]int{rows, rows}, Bytes: [2]int{rows * rowBytes, rows * rowBytes}, MaxPage: maxPage,
		Seen: [2]bool{true, true}}
}

func TestReadsReport_Misses(t *testing.T) {
	timeouts := map[string]time.Duration{"BillingFunction": 120 * time.Second, "UsageFunction": 300 * time.Second}
	met := func() *ReadsReport {
		return &ReadsReport{Timeouts: timeouts,
			Lists: []Measure{page("vendor GET /public/v1/requests?limit=10", 25, 10, 1000, 1000)},
			Jobs:  []Measure{flat("billing batch · job.billing", "BillingFunction", 220)}}
	}
	tests := []struct {
		name   string
		change func(*ReadsReport)
		want   string // a substring of the one miss; "" for none
	}{
		{"met", func(*ReadsReport) {}, ""},
		{"list read units grow", func(r *ReadsReport) { r.Lists[0].RCU[1] = 28 }, "read units 25.0 → 28.0 (1.12)"},
		{"list at 1.1 is met", func(r *ReadsReport) { r.Lists[0].RCU[1] = 27.5 }, ""},
		{"list that grows to its bound is not held to the ratio", func(r *ReadsReport) { r.Lists[0].RCU[1], r.Lists[0].Grows = 40, "128 shards" }, ""},
		{"list read nothing at H", func(r *ReadsReport) { r.Lists[0].RCU = [2]float64{0, 1} }, "(∞)"},
		{"job calls grow", func(r *ReadsReport) { r.Jobs[0].Calls[1] = 2200 }, "calls 220 → 2200 (10.00)"},
		{"job items grow", func(r *ReadsReport) { r.Jobs[0].Items[1] = 250 }, "items 220 → 250 (1.14)"},
		{"job duration is not held", func(r *ReadsReport) { r.Jobs[0].Took = [2]time.Duration{time.Second, 9 * time.Second} }, ""},
		{"job ran at one size", func(r *ReadsReport) { r.Jobs[0].Seen[0] = false }, "ran at one size only"},
		{"job that grows to its bound is not held to the ratio", func(r *ReadsReport) {
			r.Jobs[0].Items[1], r.Jobs[0].Grows = 2200, "a part"
		}, ""},
		{"job over a quarter of its timeout at the limits", func(r *ReadsReport) { r.Jobs[0].Scale = 20 }, "44s at the stated limits > 30s of BillingFunction"},
		{"job at the limits within the quarter, with calls in flight", func(r *ReadsReport) { r.Jobs[0].Scale, r.Jobs[0].InFlight = 20, 2 }, ""},
		{"job bounded by the table's quota", func(r *ReadsReport) {
			r.Jobs[0].WCU[1], r.Jobs[0].Scale, r.Jobs[0].InFlight = 1000, 2000, 10000
		}, "50s at the stated limits"},
		{"job of a function without a timeout", func(r *ReadsReport) { r.Jobs[0].Function = "NoFunction" }, "no timeout known"},
		{"answer over 6 MB at the largest page", func(r *ReadsReport) { r.Lists[0].Bytes = [2]int{10 * 7000, 10 * 7000} }, "6.7 MB at its largest page > 6 MB"},
		{"answer sized by the larger size's rows", func(r *ReadsReport) { r.Lists[0].Bytes[1] = 10 * 7000 }, "6.7 MB"},
		{"empty page at 10·H sized at H", func(r *ReadsReport) { r.Lists[0].Rows[1], r.Lists[0].Bytes[1] = 0, 2 }, ""},
		{"no row at either size", func(r *ReadsReport) { r.Lists[0].Rows = [2]int{} }, "no row to size its answer by"},
		{"an empty filtered page is sized by its list's other page", func(r *ReadsReport) {
			r.Lists = append(r.Lists, Measure{Name: "vendor GET /public/v1/requests?status=pending&limit=10", RCU: [2]float64{16, 16}, MaxPage: 1000})
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := met()
			tt.change(r)
			got := r.Misses(DefaultTargets)
			switch {
			case tt.want == "" && len(got) > 0:
				t.Errorf("misses = %q, want none", got)
			case tt.want != "" && (len(got) != 1 || !strings.Contains(got[0], tt.want)):
				t.Errorf("misses = %q, want one with %q", got, tt.want)
			}
		})
	}
}

func TestReport_MissesIncludeTheReadPath(t *testing.T) {
	rep := Report{Ceiling: 3000, WarmOrder: Spread{Median: 1, N: 1}, WarmApprove: Spread{Median: 2, N: 1},
		Reads: &ReadsReport{Jobs: []Measure{flat("fulfillment schedule", "FulfillmentFunction", 480)}}}
	got := rep.Misses(DefaultTargets)
	if len(got) != 1 || !strings.Contains(got[0], "no timeout known") {
		t.Errorf("misses = %q, want the read path's one", got)
	}
}

func TestMeasure_AtLimit(t *testing.T) {
	tests := []struct {
		name string
		m    Measure
		want time.Duration
	}{
		{"a unit as measured", Measure{AWS: [2]time.Duration{0, 3 * time.Second}}, 3 * time.Second},
		{"scaled, one call after another", Measure{AWS: [2]time.Duration{0, time.Second}, Scale: 10}, 10 * time.Second},
		{"scaled, calls in flight", Measure{AWS: [2]time.Duration{0, time.Second}, Scale: 4000, InFlight: 32}, 125 * time.Second},
		{"the table's quota bounds it", Measure{AWS: [2]time.Duration{0, time.Millisecond}, WCU: [2]float64{0, 532}, Scale: 4000, InFlight: 32}, 53200 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.m.atLimit(); got != tt.want {
				t.Errorf("atLimit = %s, want %s", got, tt.want)
			}
		})
	}
}
