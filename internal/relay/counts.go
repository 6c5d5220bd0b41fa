package relay

import (
	"context"
	"fmt"
	"log/slog"
	"sort"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/layout"
)

// countDeltas adds up, over the records, how many rows entered and left
// each counted list: a row whose list key changes leaves the old list and
// enters the new one (a request changing status moves between queue
// lists), an insert enters, a removal leaves. The deltas go to count shard
// m of each list.
func countDeltas(records []events.DynamoDBEventRecord, m int) map[dynamo.Key]int {
	deltas := map[dynamo.Key]int{}
	counted := []struct {
		attrs []string
		of    func(pk string, m int) (dynamo.Key, bool)
	}{{layout.CountedIndexes, layout.CountOf}, {layout.CountedListIndexes, layout.ListCountOf}}
	for _, rec := range records {
		for _, c := range counted {
			for _, attr := range c.attrs {
				before := streamString(rec.Change.OldImage, attr)
				after := streamString(rec.Change.NewImage, attr)
				if before == after {
					continue
				}
				if k, ok := c.of(before, m); ok && before != "" {
					deltas[k]--
				}
				if k, ok := c.of(after, m); ok && after != "" {
					deltas[k]++
				}
			}
		}
	}
	for k, d := range deltas {
		if d == 0 {
			delete(deltas, k)
		}
	}
	return deltas
}

// countShard is the count shard a batch writes: a hash of its first
// record, so that concurrent batches spread over the shards.
func countShard(records []events.DynamoDBEventRecord) int {
	if len(records) == 0 {
		return 0
	}
	return dynamo.ShardOf(records[0].EventID+records[0].Change.SequenceNumber, layout.CountShards)
}

func streamString(img map[string]events.DynamoDBAttributeValue, name string) string {
	v, ok := img[name]
	if !ok || v.DataType() != events.DataTypeString {
		return ""
	}
	return v.String()
}

// countWriters bounds the count updates of one batch in flight.
const countWriters = 8

// applyCounts writes each list's delta with one ADD. The ADDs are not a
// transaction: concurrent relay batches add to the same items, and
// transactions on one item cancel each other. The cost of that choice: a
// relay invocation that dies after these writes and before Lambda records
// the batch as done counts the batch again when it is retried (README:
// "Totals").
func (r *Relay) applyCounts(ctx context.Context, deltas map[dynamo.Key]int) error {
	keys := make([]dynamo.Key, 0, len(deltas))
	for k := range deltas {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].PK < keys[j].PK })
	return dynamo.Concurrently(len(keys), countWriters, func(i int) error {
		err := r.addCount(ctx, keys[i], deltas[keys[i]])
		if err != nil {
			r.cfg.Logger.ErrorContext(ctx, "relay: count", slog.String("list", keys[i].PK), slog.String("error", err.Error()))
		}
		return err
	})
}

func (r *Relay) addCount(ctx context.Context, k dynamo.Key, delta int) error {
	expr, err := expression.NewBuilder().WithUpdate(expression.Add(expression.Name("n"), expression.Value(delta))).Build()
	if err != nil {
		return err
	}
	_, err = r.cfg.Table.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &r.cfg.Table.Name,
		Key:                       k.AV(),
		UpdateExpression:          expr.Update(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	if err != nil {
		return fmt.Errorf("relay: add %d to %s: %w", delta, k.PK, err)
	}
	return nil
}
