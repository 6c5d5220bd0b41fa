package stacktest

import (
	"testing"
	"time"
)

// Eventually polls cond until it holds, and fails the test when it still
// does not after within: what the platform does asynchronously (a queue
// drained, a webhook delivered) is waited for, not slept for.
func Eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
