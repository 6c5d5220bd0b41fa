package scale

import (
	"slices"
	"strings"
	"testing"

	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/layout"
	"github.com/mercato-dev/mercato/internal/webhook"
)

func TestFailedPlaced(t *testing.T) {
	const shards = webhook.DefaultDeliveryShards
	tests := []struct {
		name              string
		h, real           int
		leastAtH, realMin int
	}{
		{"default H fills a list page in every shard and a recovery page in the real one", DefaultRecoveryH, 5, 11, webhook.RecoveryPage + 1},
		{"10·H", 10 * DefaultRecoveryH, 127, 110, 10 * webhook.RecoveryPage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := failedPlaced(tt.h, shards, tt.real)
			if n := sum(got); n != tt.h {
				t.Errorf("placed %d deliveries, want %d", n, tt.h)
			}
			if least := slices.Min(got); least < tt.leastAtH {
				t.Errorf("least shard holds %d, want at least %d", least, tt.leastAtH)
			}
			if got[tt.real] < tt.realMin {
				t.Errorf("the real shard holds %d, want at least %d", got[tt.real], tt.realMin)
			}
		})
	}
}

func TestSpreadFailed(t *testing.T) {
	const id = "3f2c1a9e-1b2c-4d3e-8f90-123456789abc"
	idx := layout.Deliveries("VA-123-456", "WH-123-456", true, webhook.DefaultDeliveryShards)
	real := dynamo.ShardOf(id, webhook.DefaultDeliveryShards)
	c := &Cloner{ids: []string{id}}
	vary := spreadFailed("VA-123-456", "WH-123-456", id)
	for k := range 40 {
		p := vary(k, c.fresh)
		want := failedShard(k, real, webhook.DefaultDeliveryShards)
		if got := dynamo.ShardOf(p[1], webhook.DefaultDeliveryShards); got != want {
			t.Errorf("copy %d: id %s is of shard %d, want %d", k, p[1], got, want)
		}
		key := strings.NewReplacer(p...).Replace(idx.Key(id))
		if want := dynamo.ShardKey(idx.Prefix, want); key != want {
			t.Errorf("copy %d: index key %s, want %s", k, key, want)
		}
	}
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

func TestBoundRecovery(t *testing.T) {
	const job = "dispatcher batch · job.webhook_recovery"
	least := slices.Min(failedPlaced(DefaultRecoveryH, webhook.DefaultDeliveryShards, 0))
	tests := []struct {
		name               string
		job                Measure
		batch, page, least int
		scale              float64
		held, bounds       bool
	}{
		{"the model's page, full in every shard at H", Measure{Name: job, Items: [2]int{2000, 2000}}, 100, RecoveryPage, least, 10, true, true},
		{"the model's page, a shard short of it at H", Measure{Name: job, Items: [2]int{2000, 2000}}, 100, RecoveryPage, RecoveryPage - 1, 10, false, true},
		{"the default page, short of it at H", Measure{Name: job, Items: [2]int{3134, 10000}}, 100, 0, least, 2, false, true},
		{"one unit a batch, the default page at H", Measure{Name: job, Items: [2]int{202, 202}}, 1, 0, 101, 100.0 / 101, true, true},
		{"the plan is held", Measure{Name: "dispatcher batch · webhook.recovery_requested", Items: [2]int{256, 256}}, 100, RecoveryPage, least, 0, true, true},
		{"another job is left alone", Measure{Name: "billing schedule"}, 100, RecoveryPage, least, 0, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jobs := []Measure{tt.job}
			boundRecovery(jobs, tt.batch, tt.page, tt.least)
			j := jobs[0]
			if j.Scale != tt.scale || (j.Grows == "") != tt.held || (j.Bound != "") != tt.bounds {
				t.Errorf("scale %g, grows %q, bound %q; want scale %g, held %v, bound %v", j.Scale, j.Grows, j.Bound, tt.scale, tt.held, tt.bounds)
			}
			// A batch's units run side by side: its time is theirs in flight.
			if j.Name == job && j.InFlight != tt.batch {
				t.Errorf("in flight %d; want the batch's %d units", j.InFlight, tt.batch)
			}
		})
	}
}
