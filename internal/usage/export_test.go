package usage

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// LiftRowCap lets a validator read a file of any number of rows, for the
// benchmarks' measurement of memory on files past MaxRows.
func LiftRowCap(v *Validator) { v.maxRows = int(^uint(0) >> 1) }

// MapClaims is the Claims of tests inside and outside the package: record
// id → the file that accepted it.
type MapClaims map[string]string

func (c MapClaims) Owners(_ context.Context, _ string, ids []string) (map[string]string, error) {
	out := map[string]string{}
	for _, id := range ids {
		if f, ok := c[id]; ok {
			out[id] = f
		}
	}
	return out, nil
}

// CPUTime is the CPU time the process has used, user and system, for
// benchmarks whose figure must hold on a shared machine and scale to a
// Lambda's share of a core.
func CPUTime(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
