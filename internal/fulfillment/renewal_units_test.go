package fulfillment_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/layout"
)

// seedRenewals writes n renewal index items into one shard of day, for
// assets that do not exist (a unit skips them), and returns their sort keys.
func seedRenewals(t *testing.T, a *app.App, day time.Time, shard, n int, tag string) []string {
	t.Helper()
	pk := layout.RenewalDay(day).Partitions()[shard].PK
	var sks []string
	for i := range n {
		sk := fmt.Sprintf("ASSET#AS-%s-0000-%04d", tag, i)
		item := map[string]string{"pk": pk, "sk": sk, "entity": "renewal", "asset_id": sk[len("ASSET#"):]}
		if err := a.Table.Tx().Put("renewal", item, nil).Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		sks = append(sks, sk)
	}
	return sks
}

// renewalJobs returns the units of the job.renewal events in the table.
func renewalJobs(t *testing.T, a *app.App) []fulfillment.RenewalUnit {
	t.Helper()
	var out []fulfillment.RenewalUnit
	for _, it := range stacktest.Events(t, a, expression.Name("type").Equal(expression.Value(string(event.JobRenewal)))) {
		var u fulfillment.RenewalUnit
		if err := json.Unmarshal([]byte(it.Data), &u); err != nil {
			t.Fatal(err)
		}
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Day+out[i].After < out[j].Day+out[j].After })
	return out
}

// TestRenewal_Units: the scheduled run plans one unit per non-empty shard
// of the window, and a unit reads one bounded page and commits its
// continuation until the shard ends.
func TestRenewal_Units(t *testing.T) {
	env := stacktest.Shared(t)
	a := env.App(t, app.Options{})
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	now := time.Now().UTC()
	ahead, behind := now.AddDate(0, 0, 3), now.AddDate(0, 0, -2)
	sks := seedRenewals(t, a, ahead, 5, 5, "5555")
	seedRenewals(t, a, behind, 9, 1, "9999")
	seedRenewals(t, a, now.AddDate(0, 0, 30), 9, 1, "3030") // outside the window

	t.Run("plan: one unit per non-empty shard of the window", func(t *testing.T) {
		n, err := a.Fulfillment().PlanRenewals(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := []fulfillment.RenewalUnit{{Day: behind.Format(time.DateOnly), Shard: 9}, {Day: ahead.Format(time.DateOnly), Shard: 5}}
		if diff := cmp.Diff(want, renewalJobs(t, a)); diff != "" || n != 2 {
			t.Errorf("planned %d units (-want +got):\n%s", n, diff)
		}
	})
	t.Run("a unit pages and continues", func(t *testing.T) {
		u := fulfillment.RenewalUnit{Day: ahead.Format(time.DateOnly), Shard: 5, Limit: 2}
		key := func(j fulfillment.RenewalUnit) string { return fmt.Sprintf("%s|%d|%s", j.Day, j.Shard, j.After) }
		known := map[string]bool{}
		for _, j := range renewalJobs(t, a) {
			known[key(j)] = true
		}
		var afters []string
		for range 5 {
			if _, err := a.Fulfillment().RenewUnit(ctx, log, u); err != nil {
				t.Fatal(err)
			}
			var fresh []fulfillment.RenewalUnit
			for _, j := range renewalJobs(t, a) {
				if !known[key(j)] {
					known[key(j)] = true
					fresh = append(fresh, j)
				}
			}
			if len(fresh) == 0 {
				break // the shard ended: no continuation
			}
			if len(fresh) > 1 {
				t.Fatalf("one unit committed %d continuations", len(fresh))
			}
			afters = append(afters, fresh[0].After)
			u = fresh[0]
		}
		if diff := cmp.Diff([]string{sks[1], sks[3]}, afters); diff != "" {
			t.Errorf("continuations after (-want +got):\n%s", diff)
		}
	})
}

// TestRenewal_Page: a unit reads the service's page (RenewalPage unless
// WithRenewalPage sets it), or its own Limit when that is tighter.
func TestRenewal_Page(t *testing.T) {
	env := stacktest.Shared(t)
	a := env.App(t, app.Options{})
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	day := time.Now().UTC().AddDate(0, 0, 1)
	tests := []struct {
		name         string
		page, limit  int
		wantAfterIdx int // the continuation's After, an index of the seeded keys; -1: none
	}{
		{"the default page holds the shard", 0, 0, -1},
		{"the service's page", 2, 0, 1},
		{"the unit's tighter limit", 3, 2, 1},
		{"a unit's limit wider than the page", 2, 4, 1},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shard := 10 + i
			sks := seedRenewals(t, a, day, shard, 5, fmt.Sprintf("%04d", 7000+i))
			svc := fulfillment.NewService(a.FulfillmentStore, a.Catalog, a.Now).WithRenewalPage(tt.page)
			u := fulfillment.RenewalUnit{Day: day.Format(time.DateOnly), Shard: shard, Limit: tt.limit}
			if _, err := svc.RenewUnit(ctx, log, u); err != nil {
				t.Fatal(err)
			}
			var afters []string
			for _, j := range renewalJobs(t, a) {
				if j.Day == u.Day && j.Shard == shard && j.After != "" {
					afters = append(afters, j.After)
				}
			}
			var want []string
			if tt.wantAfterIdx >= 0 {
				want = []string{sks[tt.wantAfterIdx]}
			}
			if diff := cmp.Diff(want, afters); diff != "" {
				t.Errorf("continuations after (-want +got):\n%s", diff)
			}
		})
	}
}
