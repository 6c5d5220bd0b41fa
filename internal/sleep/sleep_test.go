package sleep_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mercato-dev/mercato/internal/sleep"
)

func TestFor(t *testing.T) {
	if err := sleep.For(context.Background(), time.Millisecond); err != nil {
		t.Errorf("For = %v, want nil", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := sleep.For(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("For on a cancelled context = %v, want context.Canceled", err)
	}
}
