package usage

import (
	"context"

	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/layout"
)

// Billing rates a file's records in bounded units, one page of one record
// shard each, resuming from a cursor (shard, last sort key); these reads
// give it that page and the files of a period a page at a time.

// UsedRecordShards is how many of the file's record shards hold records
// of its current generation: records fill the shards RecordBlock at a time
// from shard 0, so a small file uses only the first few.
func (f Stored) UsedRecordShards() int {
	if f.RecordsGen == 0 {
		return 0
	}
	return usedShards(f.Stats.Records, f.RecordShards)
}

// ShardRecords reads up to limit records of the file's current generation
// in record shard shard, after the sort key after ("" from the shard's
// start), in key order. next is the sort key to continue from, "" when the
// shard holds no more. It reads at most limit+1 records, whatever the
// file's size.
func (s *Store) ShardRecords(ctx context.Context, f Stored, shard int, after string, limit int) (recs []Record, next string, err error) {
	if shard < 0 || shard >= f.UsedRecordShards() || limit <= 0 {
		return nil, "", nil
	}
	part := layout.UsageRecords(f.ID, f.RecordShards).Partitions()[shard]
	part.SKPrefix = genPrefix(f.RecordsGen)
	read := func(ctx context.Context, r dynamo.Range, n int) (dynamo.Chunk[recordRow], error) {
		return dynamo.RangeItems[recordRow](ctx, s.table, part, r, n)
	}
	page, err := dynamo.ReadPage(ctx, read, dynamo.ListQuery[recordRow]{After: after, Limit: limit})
	if err != nil {
		return nil, "", err
	}
	recs = make([]Record, len(page.Items))
	for i, rr := range page.Items {
		recs[i] = rr.record(f.File)
	}
	return recs, page.Next, nil
}

// BillingFiles reads up to limit of the provider's accepted files of
// period whose ids follow after ("" from the first), in id order (the
// billing index's sort key), and the id to continue after ("" past the
// last): one Query of limit+1 items, however many files the period has.
func (s *Store) BillingFiles(ctx context.Context, provider, period, after string, limit int) (files []Stored, next string, err error) {
	rows, next, err := dynamo.PageItems[fileRow](ctx, s.table, dynamo.Partition{Index: dynamo.GSI3, PK: BillingIndex(provider, period)}, after, limit)
	if err != nil {
		return nil, "", err
	}
	files = make([]Stored, len(rows))
	for i, r := range rows {
		if files[i], err = fromRow(r); err != nil {
			return nil, "", err
		}
	}
	return files, next, nil
}
