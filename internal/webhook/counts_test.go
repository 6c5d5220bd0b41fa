package webhook

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCounts_Apply(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	at := func(s int) *time.Time { v := t0.Add(time.Duration(s) * time.Second); return &v }
	ok := func(s, n int) Attempt {
		return Attempt{Number: n, At: *at(s), Trigger: TriggerScheduled, StatusCode: 200}
	}
	bad := func(s, n int) Attempt {
		return Attempt{Number: n, At: *at(s), Trigger: TriggerScheduled, StatusCode: 500}
	}
	failing := Stats{Deliveries: 5, Successes: 3, Failures: 2, ConsecutiveFailures: 2, LastSuccess: at(-100), LastFailure: at(-10), FailingSince: at(-50)}
	tests := []struct {
		name     string
		before   Stats
		attempts []Attempt // in the order the batch finished them
		want     Stats
	}{
		{"successes only", Stats{}, []Attempt{ok(2, 1), ok(1, 1)},
			Stats{Deliveries: 2, Successes: 2, LastSuccess: at(2)}},
		{"failures extend a streak", failing, []Attempt{bad(3, 2), bad(1, 1)},
			Stats{Deliveries: 6, Successes: 3, Failures: 4, ConsecutiveFailures: 4, LastSuccess: at(-100), LastFailure: at(3), FailingSince: at(-50)}},
		{"failures start a streak", Stats{Successes: 1, LastSuccess: at(-5)}, []Attempt{bad(4, 2), bad(2, 3)},
			Stats{Failures: 2, ConsecutiveFailures: 2, Successes: 1, LastSuccess: at(-5), LastFailure: at(4), FailingSince: at(2)}},
		{"a success ends a streak", failing, []Attempt{bad(1, 2), ok(2, 1)},
			Stats{Deliveries: 6, Successes: 4, Failures: 3, LastSuccess: at(2), LastFailure: at(1)}},
		{"failures after the last success start the streak anew", failing, []Attempt{bad(5, 1), ok(2, 1), bad(3, 3), bad(1, 2)},
			Stats{Deliveries: 7, Successes: 4, Failures: 5, ConsecutiveFailures: 2, LastSuccess: at(2), LastFailure: at(5), FailingSince: at(3)}},
		{"manual attempts are not deliveries", Stats{}, []Attempt{{Number: 1, At: *at(1), Trigger: TriggerManual, StatusCode: 204}},
			Stats{Successes: 1, LastSuccess: at(1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl := newTally()
			for _, a := range tt.attempts {
				tl.add("VA-1", "WH-1", a)
			}
			c := tl.counts()[hookRef{"VA-1", "WH-1"}]
			if diff := cmp.Diff(tt.want, c.apply(tt.before)); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
			if _, ok := c.statsUpdate(); !ok {
				t.Error("no counter update for a batch with attempts")
			}
			// The webhook item is written when the streak moves: a success
			// of a failing webhook, or a failure.
			moves := c.Streak > 0 || (c.Successes > 0 && tt.before.failing())
			if _, ok := c.streakUpdate(tt.before.failing()); ok != moves {
				t.Errorf("streak update %v, want %v", ok, moves)
			}
		})
	}
	if _, ok := (counts{}).statsUpdate(); ok {
		t.Error("a counter update for a batch without attempts")
	}
	if _, ok := (counts{}).streakUpdate(true); ok {
		t.Error("a streak update for a batch without attempts")
	}
}

// TestStats_Plus: a webhook's Stats are its item's plus its counter copies'.
func TestStats_Plus(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	at := func(s int) *time.Time { v := t0.Add(time.Duration(s) * time.Second); return &v }
	item := Stats{Deliveries: 3, Successes: 2, Failures: 1, ConsecutiveFailures: 1, LastSuccess: at(1), LastFailure: at(2), FailingSince: at(2)}
	got := item.plus(Stats{Deliveries: 5, Successes: 5, LastSuccess: at(9)}).
		plus(Stats{Deliveries: 1, Failures: 1, LastFailure: at(-3)}).
		plus(Stats{})
	want := Stats{Deliveries: 9, Successes: 7, Failures: 2, ConsecutiveFailures: 1, LastSuccess: at(9), LastFailure: at(2), FailingSince: at(2)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}
