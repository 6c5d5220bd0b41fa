package usage

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mercato-dev/mercato/internal/dynamo"
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

// TestRecordItem_MatchesMarshalMap keeps the record item built by hand
// the same as attributevalue's encoding of recordRow, which decodes it.
func TestRecordItem_MatchesMarshalMap(t *testing.T) {
	const file = "UF-2026-11-0000-0001"
	full := benchRecord(7)
	full.Note, full.Item.Name, full.DuplicateOf = "a note", "Minutes", "UF-2026-10-0000-0009"
	for _, c := range []struct {
		name string
		rec  Record
	}{
		{"optional fields empty", benchRecord(3)},
		{"every field", full},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, k := c.rec, recordKey(file, 2, 1234, layout.UsageRecordShards)
			want, err := attributevalue.MarshalMap(recordRow{Row: dynamo.Row{Key: k, Entity: "usage_record"},
				ID: RecordID(file, 1234), RecordID: r.RecordID, Note: r.Note, ItemID: r.Item.ID, ItemMPN: r.Item.MPN, ItemName: r.Item.Name,
				AssetID: r.Asset.ID, Quantity: r.Quantity, Price: r.Price, Start: stampOf(r.Start), End: stampOf(r.End), Line: r.Row,
				DuplicateOf: r.DuplicateOf})
			if err != nil {
				t.Fatal(err)
			}
			got := recordItem(file, 2, 1234, layout.UsageRecordShards, r)
			if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(types.AttributeValueMemberS{}, types.AttributeValueMemberN{})); diff != "" {
				t.Errorf("recordItem (-MarshalMap +built):\n%s", diff)
			}
		})
	}
}

func TestDoomedShards(t *testing.T) {
	ready := func(gen, records, settled int) Stored {
		f := Stored{Gen: gen, RecordsGen: gen - 1, RecordShards: layout.UsageRecordShards, SettledGen: settled}
		f.Stats.Records = records
		return f
	}
	all := layout.UsageRecordShards
	for _, c := range []struct {
		name    string
		found   Stored
		abandon bool
		written int
		want    int
	}{
		{"a first processing gives up nothing", Stored{Gen: 1}, false, 0, 0},
		{"a re-upload over 130 records: their 6 shards", ready(2, 130, 1), false, 0, 6},
		{"a re-upload over 2,000,000 records: every shard", ready(2, 2_000_000, 1), false, 0, all},
		{"an invalid first file of 80 written records: 4 shards", Stored{Gen: 1}, true, 80, 4},
		{"an invalid re-upload: the larger of the two", ready(2, 30, 1), true, 80, 4},
		{"a processing crashed since the last one finished", ready(3, 30, 1), false, 0, all},
		{"a file from before settled_gen, processed before", ready(4, 30, 0), false, 0, all},
		{"given up after its last delivery: unknown writes", Stored{Gen: 1}, true, -1, all},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := doomedShards(c.found, c.found.Gen, c.abandon, c.written); got != c.want {
				t.Errorf("doomedShards = %d, want %d", got, c.want)
			}
		})
	}
}
