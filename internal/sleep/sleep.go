// Package sleep is a sleep that a cancelled context cuts short, for the
// pollers and retry loops that wait between tries.
package sleep

import (
	"context"
	"time"
)

// For waits d, or until ctx is done; it returns ctx's error then.
func For(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
