package layout_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/layout"
)

func TestAssetParamValue(t *testing.T) {
	long := strings.Repeat("x", 5000)
	for _, c := range []struct {
		name, value, prefix string
		maxLen              int
	}{
		{"short value, spelt out", "contoso", "APARAM#PRD-1#MP-1#PRM-1#V#contoso", 64},
		{"value with the separator", "a#b", "APARAM#PRD-1#MP-1#PRM-1#V#a#b", 64},
		{"long value, hashed", long, "APARAM#PRD-1#MP-1#PRM-1#H#", 128},
		{"a value that looks like a hashed one stays a value", "H#abc", "APARAM#PRD-1#MP-1#PRM-1#V#H#abc", 64},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := layout.AssetParamValue("PRD-1", "MP-1", "PRM-1", c.value)
			if !strings.HasPrefix(got, c.prefix) || len(got) > c.maxLen {
				t.Errorf("key %q (%d bytes), want prefix %q and at most %d bytes", got, len(got), c.prefix, c.maxLen)
			}
		})
	}
	if layout.AssetParamValue("P", "M", "R", long) == layout.AssetParamValue("P", "M", "R", long+"y") {
		t.Error("two long values share a key")
	}
}

func TestRecordShard(t *testing.T) {
	for _, c := range []struct{ seq, n, want int }{
		{0, 64, 0},
		{layout.RecordBlock - 1, 64, 0},
		{layout.RecordBlock, 64, 1},
		{64 * layout.RecordBlock, 64, 0},
		{65*layout.RecordBlock + 3, 64, 1},
		{12345, 1, 0},
		{12345, 0, 0},
	} {
		if got := layout.RecordShard(c.seq, c.n); got != c.want {
			t.Errorf("RecordShard(%d, %d) = %d, want %d", c.seq, c.n, got, c.want)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestRenewalEntry(t *testing.T) {
	day := time.Date(2027, 1, 31, 15, 0, 0, 0, time.UTC)
	k := layout.RenewalEntry(day, "AS-1")
	want := "RENEWAL#2027-01-31#" + itoa(dynamo.ShardOf("AS-1", layout.Shards))
	if k.PK != want || k.SK != "ASSET#AS-1" || layout.RenewalAsset(k.SK) != "AS-1" {
		t.Errorf("renewal entry %+v, want pk %s, sk ASSET#AS-1", k, want)
	}
}
