package webhook

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// jitter is the ±20% spread applied to each scheduled delay, so that the
// retries of many deliveries that failed together (an endpoint outage) do
// not all return at the same instant.
const jitter = 0.2

// Schedule is the list of delays between attempts: attempt n+1 follows a
// failed attempt n after Schedule[n-1]. Its length is the number of retries.
type Schedule []time.Duration

// Attempts returns the most attempts a delivery gets: the first plus one
// per delay.
func (s Schedule) Attempts() int { return len(s) + 1 }

// Next returns the delay before the attempt that follows failed attempt n
// (1-based), and false when the schedule is exhausted. retryAfter is the
// endpoint's Retry-After, zero when it sent none. rnd returns a float in
// [0, 1); nil means math/rand.
//
// Retry-After is honoured within bounds, as Svix does: it is clamped to
// [base, 2×base] of the scheduled delay, so an endpoint can slow its
// retries down (up to twice the schedule, never beyond) but cannot make
// them faster or stall a delivery for days. Without it the delay is the
// scheduled one ±20%.
func (s Schedule) Next(n int, retryAfter time.Duration, rnd func() float64) (time.Duration, bool) {
	if n < 1 || n > len(s) {
		return 0, false
	}
	base := s[n-1]
	if retryAfter > 0 {
		return min(max(retryAfter, base), 2*base), true
	}
	if rnd == nil {
		rnd = rand.Float64
	}
	f := 1 + jitter*(2*rnd()-1)
	return time.Duration(float64(base) * f), true
}

// RetryAfter parses a Retry-After header: delay seconds or an HTTP date.
// It returns zero when the header is absent or unusable.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 || secs > 30*24*3600 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
