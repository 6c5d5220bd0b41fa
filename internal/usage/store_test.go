package usage

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/internal/layout"
)

func TestPageRanges(t *testing.T) {
	const b = layout.RecordBlock
	for _, c := range []struct {
		name                  string
		offset, limit, shards int
		want                  []seqRange
	}{
		{"inside one block", 3, 5, 64, []seqRange{{0, 3, 7}}},
		{"one whole block", b, b, 64, []seqRange{{1, b, 2*b - 1}}},
		{"across a boundary", b - 2, 4, 64, []seqRange{{0, b - 2, b - 1}, {1, b, b + 1}}},
		{"deep offset", 1000 * b, 2 * b, 64, []seqRange{{1000 % 64, 1000 * b, 1001*b - 1}, {1001 % 64, 1001 * b, 1002*b - 1}}},
		{"wraps around the shards", 62 * b, 3 * b, 64, []seqRange{{62, 62 * b, 63*b - 1}, {63, 63 * b, 64*b - 1}, {0, 64 * b, 65*b - 1}}},
		// Blocks 0 and 2 share shard 0 of 2: one range over both, which
		// holds block 0, then block 2, and nothing of another page.
		{"a shard twice", 0, 3 * b, 2, []seqRange{{0, 0, 3*b - 1}, {1, b, 2*b - 1}}},
		{"one shard", 7, 100, 1, []seqRange{{0, 7, 106}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, pageRanges(c.offset, c.limit, c.shards), cmp.AllowUnexported(seqRange{})); diff != "" {
				t.Errorf("pageRanges(%d, %d, %d) (-want +got):\n%s", c.offset, c.limit, c.shards, diff)
			}
		})
	}
}
