package scale

import (
	"strings"
	"testing"
	"time"

	"github.com/mercato-dev/mercato/internal/layout"
)

func TestDueRenewals(t *testing.T) {
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	entry := func(day time.Time, asset string) map[string]av {
		k := layout.RenewalEntry(day, asset)
		return map[string]av{"pk": s(k.PK), "sk": s(k.SK)}
	}
	tests := []struct {
		name           string
		family         []map[string]av
		copies, orders int
		ok             bool
		every, dueAtH  int
		wantDays       [2]string
	}{
		{"one subscription an order", []map[string]av{entry(now.AddDate(0, 1, 0), "AS-1111-2222-3333")}, 452, 12, true, 37, 13,
			[2]string{"2027-01-06", "2026-12-09"}},
		{"placed yesterday", []map[string]av{entry(now.AddDate(0, 1, -1), "AS-1111-2222-3333")}, 952, 110, true, 8, 119,
			[2]string{"2027-01-05", "2026-12-09"}},
		{"more due than copies", []map[string]av{entry(now.AddDate(0, 1, 0), "AS-1111-2222-3333")}, 10, 12, true, 1, 10,
			[2]string{"2027-01-06", "2026-12-09"}},
		{"none asked for", []map[string]av{entry(now.AddDate(0, 1, 0), "AS-1111-2222-3333")}, 452, 0, false, 0, 0, [2]string{}},
		{"no subscription with a term", []map[string]av{{"pk": s("ASSET#AS-1111-2222-3333"), "sk": s("ASSET")}}, 452, 12, false, 0, 0, [2]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Cloner{Schema: testSchema, family: tt.family}
			r, ok := dueRenewals(c, tt.copies, tt.orders, now)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			if r.every != tt.every || r.end != tt.wantDays[0] || r.due != tt.wantDays[1] {
				t.Errorf("got every %d, %s → %s; want every %d, %s → %s", r.every, r.end, r.due, tt.every, tt.wantDays[0], tt.wantDays[1])
			}
			if got := r.dueOf(tt.copies); got != tt.dueAtH {
				t.Errorf("due at H = %d, want %d", got, tt.dueAtH)
			}
		})
	}
}

func TestBoundRenewal(t *testing.T) {
	tests := []struct {
		name             string
		page, atH, at10H int
		held             bool
		scale            float64
	}{
		{"the model's page, full at both sizes", RenewalPage, 13, 134, true, 100.0 / RenewalPage},
		{"the model's page, short at H", RenewalPage, 8, 80, false, 100.0 / RenewalPage},
		{"the default page at both sizes", 0, 113, 1130, true, 1},
		{"the default page at 10·H only", 0, 13, 130, false, 1},
		{"short of the default page at both", 0, 5, 50, false, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jobs := []Measure{{Name: "fulfillment batch · job.renewal"}, {Name: "fulfillment schedule"}}
			boundRenewal(jobs, tt.page, tt.atH, tt.at10H)
			if held := jobs[0].Grows == ""; held != tt.held || jobs[0].Scale != tt.scale || jobs[0].Bound == "" {
				t.Errorf("held %v, scale %g, bound %q; want %v, %g", held, jobs[0].Scale, jobs[0].Bound, tt.held, tt.scale)
			}
			if jobs[1].Bound != "" || jobs[1].Grows != "" {
				t.Errorf("the plan was bound: %+v", jobs[1])
			}
		})
	}
}

func TestRenewals_Vary(t *testing.T) {
	r := renewals{end: "2027-01-06", due: "2026-12-09", every: 4}
	fresh := func() []string { return []string{"AS-1111-2222-3333", "AS-4444-5555-6666"} }
	key := layout.RenewalEntry(time.Date(2027, 1, 6, 0, 0, 0, 0, time.UTC), "AS-1111-2222-3333").PK
	for k := range 8 {
		got := strings.NewReplacer(r.vary(k, fresh)...).Replace(key)
		if due := k%4 == 0; due != strings.HasPrefix(got, "RENEWAL#2026-12-09#") {
			t.Errorf("copy %d: key %s, due %v", k, got, due)
		}
	}
}
