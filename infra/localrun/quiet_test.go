package localrun_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/app"
)

// TestRuntime_QuietSince checks the rule callers drain by: quiet only once
// every record written before the moment asked about has been handled,
// however long the handler takes over it.
func TestRuntime_QuietSince(t *testing.T) {
	e := deploy(t, "stream.yaml")
	var seen recorder
	gate, later := make(chan struct{}), make(chan struct{})
	relay := func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		hold := gate
		if len(seen.list()) >= 25 {
			hold = later
		}
		select {
		case <-hold:
		case <-ctx.Done():
			return events.DynamoDBEventResponse{}, ctx.Err()
		}
		for _, r := range ev.Records {
			seen.add(recordKey(r))
		}
		return events.DynamoDBEventResponse{}, nil
	}
	rt := e.runtime(t, app.Handlers{Stream: map[string]app.StreamHandler{"RelayFunction": relay}}, nil)
	started := time.Now()
	start(t, rt)
	stacktest.Eventually(t, 10*time.Second, "quiet with nothing written", func() bool { return rt.QuietSince(started) })

	e.putItems(t, 25)
	written := time.Now()
	if rt.QuietSince(written) {
		t.Fatal("QuietSince(after the writes) = true before any poll after them")
	}
	// The handler holds the first batch: however long it waits, the
	// runtime must not call itself quiet.
	for range 8 {
		time.Sleep(250 * time.Millisecond)
		if rt.QuietSince(written) {
			t.Fatalf("QuietSince = true while a batch is held; %d records handled", len(seen.list()))
		}
	}
	close(gate)
	stacktest.Eventually(t, 15*time.Second, "quiet after the writes", func() bool { return rt.QuietSince(written) })
	if got := len(seen.list()); got != 25 {
		t.Errorf("records handled when quiet = %d, want 25", got)
	}

	// Work that arrives after a quiet poll makes the runtime busy again,
	// which is how a drain sees a handler's own writes reach a source.
	e.putItems(t, 5)
	stacktest.Eventually(t, 10*time.Second, "busy with the later writes", func() bool { return !rt.QuietSince(written) })
	close(later)
	stacktest.Eventually(t, 15*time.Second, "quiet after the later writes", func() bool { return rt.QuietSince(written) })
	if got := len(seen.list()); got != 30 {
		t.Errorf("records handled when quiet again = %d, want 30", got)
	}
	if rt.QuietSince(time.Now().Add(time.Hour)) {
		t.Error("QuietSince(a later moment) = true, want false: no poll has begun then")
	}
}
