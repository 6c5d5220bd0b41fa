package webhook

import (
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
)

// counts is what a batch's attempts add to one webhook's Stats.
type counts struct {
	Deliveries, Successes, Failures int64
	LastSuccess, LastFailure        *time.Time
	// Streak is the failures after the batch's last success (all of its
	// failures when none succeeded), the first of them at StreakStart.
	Streak      int64
	StreakStart *time.Time
}

// countsOf sums attempts, in the order they were made.
func countsOf(attempts []Attempt) counts {
	attempts = slices.Clone(attempts)
	slices.SortStableFunc(attempts, func(a, b Attempt) int { return a.At.Compare(b.At) })
	var c counts
	for _, a := range attempts {
		at := a.At
		if a.Number == 1 && a.Trigger != TriggerManual {
			c.Deliveries++
		}
		if a.Succeeded() {
			c.Successes++
			c.LastSuccess, c.Streak, c.StreakStart = &at, 0, nil
			continue
		}
		c.Failures++
		c.LastFailure = &at
		if c.Streak == 0 {
			c.StreakStart = &at
		}
		c.Streak++
	}
	return c
}

// apply returns st after the batch: what the update of DynamoStore.count
// does to the item.
func (c counts) apply(st Stats) Stats {
	st.Deliveries += c.Deliveries
	st.Successes += c.Successes
	st.Failures += c.Failures
	if c.LastFailure != nil {
		st.LastFailure = c.LastFailure
	}
	switch {
	case c.Successes > 0:
		st.LastSuccess, st.ConsecutiveFailures, st.FailingSince = c.LastSuccess, c.Streak, c.StreakStart
	case c.Streak > 0:
		st.ConsecutiveFailures += c.Streak
		if st.FailingSince == nil {
			st.FailingSince = c.StreakStart
		}
	}
	return st
}

// apply is carried out by two updates (DynamoStore.count): the totals and
// the times of the last success and failure go to one of the webhook's
// counter copies (statsUpdate), which readers sum; the failure streak,
// which the dispatcher reads with the webhook to disable it, goes to the
// webhook item (streakUpdate), and only when the batch changes it.

// statsUpdate adds the batch to a counter copy; false when there is
// nothing to count.
func (c counts) statsUpdate() (expression.UpdateBuilder, bool) {
	var upd expression.UpdateBuilder
	if c.Successes == 0 && c.Failures == 0 && c.Deliveries == 0 {
		return upd, false
	}
	upd = upd.Set(expression.Name("entity"), expression.Value(statsEntity))
	add := func(name string, n int64) {
		if n > 0 {
			upd = upd.Add(expression.Name(name), expression.Value(n))
		}
	}
	add("deliveries", c.Deliveries)
	add("successes", c.Successes)
	add("failures", c.Failures)
	if c.LastFailure != nil {
		upd = upd.Set(expression.Name("last_failure"), expression.Value(*c.LastFailure))
	}
	if c.LastSuccess != nil {
		upd = upd.Set(expression.Name("last_success"), expression.Value(*c.LastSuccess))
	}
	return upd, true
}

// streakUpdate moves the webhook's failure streak; false when the batch
// leaves it as it is: a batch of successes only, for a webhook that was
// not failing when the batch read it (failing), which is every batch of a
// healthy webhook, so that its item takes no write at a peak.
func (c counts) streakUpdate(failing bool) (expression.UpdateBuilder, bool) {
	var upd expression.UpdateBuilder
	switch {
	case c.Successes > 0 && c.Streak == 0:
		if !failing {
			return upd, false
		}
		upd = upd.Set(expression.Name("consecutive_failures"), expression.Value(0)).
			Remove(expression.Name("failing_since"))
	case c.Successes > 0:
		upd = upd.Set(expression.Name("consecutive_failures"), expression.Value(c.Streak)).
			Set(expression.Name("failing_since"), expression.Value(*c.StreakStart))
	case c.Streak > 0:
		upd = upd.Add(expression.Name("consecutive_failures"), expression.Value(c.Streak)).
			Set(expression.Name("failing_since"),
				expression.IfNotExists(expression.Name("failing_since"), expression.Value(*c.StreakStart)))
	default:
		return upd, false
	}
	return upd, true
}

// failing reports whether the webhook's streak, as read, may need a
// success to end it.
func (st Stats) failing() bool { return st.ConsecutiveFailures > 0 || st.FailingSince != nil }

// plus adds a counter copy's totals and last times to st (a copy keeps no
// streak).
func (st Stats) plus(c Stats) Stats {
	st.Deliveries += c.Deliveries
	st.Successes += c.Successes
	st.Failures += c.Failures
	st.LastSuccess = later(st.LastSuccess, c.LastSuccess)
	st.LastFailure = later(st.LastFailure, c.LastFailure)
	return st
}

func later(a, b *time.Time) *time.Time {
	if a == nil || (b != nil && b.After(*a)) {
		return b
	}
	return a
}

// hookRef names a webhook.
type hookRef struct{ account, id string }

// tally collects the recorded attempts of one batch, per webhook, for one
// counter update each at its end.
type tally struct {
	mu       sync.Mutex
	attempts map[hookRef][]Attempt
}

func newTally() *tally { return &tally{attempts: map[hookRef][]Attempt{}} }

func (t *tally) add(account, webhookID string, a Attempt) {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := hookRef{account, webhookID}
	t.attempts[k] = append(t.attempts[k], a)
}

// counts returns the counts of every webhook that had attempts.
func (t *tally) counts() map[hookRef]counts {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[hookRef]counts, len(t.attempts))
	for k, as := range t.attempts {
		out[k] = countsOf(as)
	}
	return out
}
