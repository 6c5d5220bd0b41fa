package usage

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/mercato-dev/mercato/internal/sheet"
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

// OnePass is the usage function's pass over rows without S3: v validates
// each row, record ids are checked against store's claims, and the
// records of file f (generation 1) are written on store's table as they
// are found. It returns how many were written.
func OnePass(ctx context.Context, v *Validator, rows sheet.Rows, store *Store, f File) (int, error) {
	w := NewBatchWriter(ctx, store.table, DefaultWorkers)
	err := v.Scan(ctx, rows, store, recordSink(Stored{File: f, Gen: 1}, v, w))
	n, cerr := w.Close()
	return n, errors.Join(err, cerr)
}

// EndpointStore is a store on an endpoint that answers every call at once
// (every write processed, no claim found), for the CPU benchmarks.
func EndpointStore(tb testing.TB) *Store { return NewStore(endpointTable(tb, &batchEndpoint{}), 1) }

// WriteGeneration writes n records of generation gen of file fileID over
// shards shards, as a processing would, for the deletion tests that need a
// shard deeper than a small file makes it.
func WriteGeneration(ctx context.Context, store *Store, fileID string, gen, n, shards int) error {
	w := NewBatchWriter(ctx, store.table, DefaultWorkers)
	for seq := range n {
		if err := w.Put(recordItem(fileID, gen, seq, shards, benchRecord(seq))); err != nil {
			_, cerr := w.Close()
			return errors.Join(err, cerr)
		}
	}
	_, err := w.Close()
	return err
}
