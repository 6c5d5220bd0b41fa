package usage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/layout"
)

// Deleting records fans out, like billing's run and webhook recovery.
// A processing that supersedes a generation (a re-upload) or abandons its
// own (a file found invalid) commits, in the transaction that points the
// file at its new generation or at none, one job.usage_delete unit per
// record shard that may hold the records being given up. The relay routes
// the units to the usage queue, where the usage function deletes at most
// DefaultDeleteItems records of its shard per unit and, when the shard
// has more, commits the unit that continues after the last key it
// deleted. Every invocation is therefore bounded whatever the file's
// size, and a unit that fails is retried alone (its message).
//
// Readers never see the records being deleted: they read only the
// generation the file points at, and the file stops pointing at these in
// the transaction that commits their units.
//
// A unit run twice does no harm: it deletes only records nothing reads,
// what is already gone costs nothing, and its continuation has an id
// derived from the unit's event (continuationID), so a second run's
// continuation fails its condition instead of starting a second chain.

// DefaultDeleteItems bounds the records one unit deletes: 200
// BatchWriteItem calls of 25 and two Query pages of keys (a Query reads
// at most 1 MB, about 4,000 records of 255 bytes). All of a unit's writes
// go to one partition, whose 1,000 writes a second make it about 5 s
// (README: "Usage at its stated limits").
const DefaultDeleteItems = 5000

// deleteWorkers is the BatchWriteItem calls in flight in a unit: 4 calls
// of 25 at about 20 ms are 5,000 deletes a second, more than the one
// partition the unit writes takes.
const deleteWorkers = 4

// jobRetentionDays keeps a unit's outbox item a day: a unit is consumed
// in minutes, and its item is never read again.
const jobRetentionDays = 1

// DeleteUnit is the deletion of the records of generations From to To of
// a file's record shard, after the sort key After.
type DeleteUnit struct {
	File  string `json:"file"`
	From  int    `json:"from"`
	To    int    `json:"to"`
	Shard int    `json:"shard"`
	// After is the sort key of the last record the shard's previous unit
	// deleted; "" starts at the shard's first record of From.
	After string `json:"after,omitempty"`
}

func (u DeleteUnit) valid() bool {
	return u.File != "" && u.From >= 1 && u.To >= u.From && u.Shard >= 0
}

// deleteUnits are the units that delete the records of generations from
// to to of file fileID from its shards 0…shards-1.
func deleteUnits(fileID string, from, to, shards int, now time.Time) ([]event.Event, error) {
	if from > to {
		return nil, nil
	}
	evs := make([]event.Event, 0, shards)
	for n := range shards {
		ev, err := event.New(event.JobUsageDelete, event.PlatformAccount, DeleteUnit{File: fileID, From: from, To: to, Shard: n}, now)
		if err != nil {
			return nil, err
		}
		evs = append(evs, ev)
	}
	return evs, nil
}

// usedShards is how many shards, from shard 0, hold a generation of n
// records written over shards: records fill the shards in blocks of
// layout.RecordBlock, in order.
func usedShards(n, shards int) int {
	return min(max(shards, 1), (n+layout.RecordBlock-1)/layout.RecordBlock)
}

// doomedShards is how many shards, from shard 0, may hold records of the
// generations a processing of generation gen gives up when it finishes:
// the file's current records (f as the processing found it), and its own
// when it abandons them (written of them, or -1 when it cannot know).
// When a processing since the last one that finished did not finish (it
// crashed, or lost a race), its records may be in any shard.
func doomedShards(f Stored, gen int, abandon bool, written int) int {
	all := max(f.RecordShards, layout.UsageRecordShards)
	if f.SettledGen < gen-1 || (abandon && written < 0) {
		return all
	}
	n := 0
	if f.RecordsGen != 0 {
		n = usedShards(f.Stats.Records, f.RecordShards)
	}
	if abandon {
		n = max(n, usedShards(written, layout.UsageRecordShards))
	}
	return n
}

// handOff commits the units that delete the records of generation gen
// alone, when no change of the file can carry them (a processing that
// lost its file to a newer one).
func (s *Store) handOff(ctx context.Context, fileID string, gen, shards int, now time.Time) error {
	evs, err := deleteUnits(fileID, gen, gen, shards, now)
	if err != nil || len(evs) == 0 {
		return err
	}
	tx := s.table.Tx()
	for _, ev := range evs {
		tx.Emit(ev, jobRetentionDays)
	}
	return tx.Commit(ctx)
}

// OnDeleteUnit handles a job.usage_delete event: it deletes up to the
// unit's bound of records and commits the unit that continues, if the
// shard may hold more. A failure fails this message alone; SQS
// redelivers it.
func (p *Processor) OnDeleteUnit(ctx context.Context, e event.Event) error {
	var u DeleteUnit
	if err := json.Unmarshal(e.Data, &u); err != nil || !u.valid() {
		return fmt.Errorf("usage: event %s data is not a deletion unit: %v", e.ID, err)
	}
	n, last, more, err := p.cfg.Store.deleteShard(ctx, u, p.cfg.DeleteItems)
	if err != nil {
		return fmt.Errorf("usage: delete records of %s shard %d: %w", u.File, u.Shard, err)
	}
	log := p.cfg.Logger.With(slog.String("file", u.File), slog.Int("shard", u.Shard), slog.Int("deleted", n))
	if !more {
		log.DebugContext(ctx, "usage: deletion unit done")
		return nil
	}
	next := u
	next.After = last
	ev, err := event.New(event.JobUsageDelete, event.PlatformAccount, next, p.cfg.Now().UTC())
	if err != nil {
		return err
	}
	ev.ID = continuationID(e)
	err = p.cfg.Store.table.Tx().Emit(ev, jobRetentionDays).Commit(ctx)
	if _, dup := dynamo.AsConditionFailed(err); dup {
		log.InfoContext(ctx, "usage: deletion unit already continued (a redelivery)")
		return nil
	}
	if err == nil {
		log.DebugContext(ctx, "usage: deletion unit continued", slog.String("after", last))
	}
	return err
}

// continuationID is the event id of the unit that continues e: the same
// for every delivery of e, so that only one continuation commits (a
// second run of e deletes the records after those the first deleted, and
// the first's continuation finds them gone). It keeps event.NewID's
// shape, timed as e.
func continuationID(e event.Event) string {
	sum := sha256.Sum256([]byte("continues " + e.ID))
	return fmt.Sprintf("EV-%013x-%s", e.Created.UnixMilli(), hex.EncodeToString(sum[:])[:9])
}

// deleteShard deletes up to limit records of the unit's shard and
// generations, after u.After, reading only their keys. It returns how
// many it deleted, the sort key of the last, and whether the shard may
// hold more. The read is consistent: the records of a processing that
// just ended must all be seen.
func (s *Store) deleteShard(ctx context.Context, u DeleteUnit, limit int) (int, string, bool, error) {
	if limit <= 0 {
		limit = DefaultDeleteItems
	}
	pk := dynamo.ShardKey(layout.UsageRecords(u.File, 0).Prefix, u.Shard)
	kc := expression.Key(dynamo.PK).Equal(expression.Value(pk)).
		And(expression.Key(dynamo.SK).Between(expression.Value(genPrefix(u.From)), expression.Value(genPrefix(u.To)+"~")))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).
		WithProjection(expression.NamesList(expression.Name(dynamo.PK), expression.Name(dynamo.SK))).Build()
	if err != nil {
		return 0, "", false, fmt.Errorf("usage: build query: %w", err)
	}
	var start map[string]types.AttributeValue
	if u.After != "" {
		start = dynamo.Key{PK: pk, SK: u.After}.AV()
	}
	w := NewBatchWriter(ctx, s.table, deleteWorkers)
	var last string
	more := false
	for n := 0; n < limit; {
		page, qerr := s.table.Query(ctx, &dynamodb.QueryInput{
			KeyConditionExpression: expr.KeyCondition(), ProjectionExpression: expr.Projection(),
			ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
			ExclusiveStartKey: start, ConsistentRead: aws.Bool(true), Limit: aws.Int32(int32(limit - n)),
		})
		if qerr != nil {
			err = qerr
			break
		}
		if err = deleteKeys(w, page.Items, &last); err != nil {
			break
		}
		n += len(page.Items)
		more, start = page.Next != nil, page.Next
		if !more {
			break
		}
	}
	deleted, cerr := w.Close()
	if err := errors.Join(err, cerr); err != nil {
		return 0, "", false, err
	}
	return deleted, last, more, nil
}

// deleteKeys queues the deletion of each item's key and notes the last
// sort key.
func deleteKeys(w *BatchWriter, items []map[string]types.AttributeValue, last *string) error {
	for _, it := range items {
		var k dynamo.Key
		if err := attributevalue.UnmarshalMap(it, &k); err != nil {
			return err
		}
		if err := w.Delete(k); err != nil {
			return err
		}
		*last = k.SK
	}
	return nil
}
