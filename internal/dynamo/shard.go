package dynamo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
	"strconv"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Write sharding. One partition key takes at most 1,000 write units a
// second, on an index as on the table, and a throttled index write throttles
// the table write behind it. A list that every order of a busy account adds
// to (the vendor's queue, the provider's requests) is therefore spread over
// N partitions, <prefix>#0 … <prefix>#N-1, an item going to the shard its id
// hashes to. Readers query all N and merge by sort key, which is globally
// ordered (<created>#<id>), so the merged list is in the same order a single
// partition would give.
//
// N only ever grows: readers query shards 0…N-1, which still covers every
// item written under a smaller N. Lowering it would hide the items in the
// shards dropped.

// DefaultShards is N when the configuration does not set it: at a 1,000
// orders/s peak of one vendor with three-line orders, the busiest sharded
// key (the pending queue: a put when a request opens, a delete when it
// leaves) receives 6 index writes per order, 0.19 per shard, under half a
// partition's limit with room for larger orders (README: "Scale").
const DefaultShards = 32

// MaxShards bounds N: a list reads every shard, so N is a read cost too.
const MaxShards = 256

// ShardOf is the shard of id among n.
func ShardOf(id string, n int) int {
	if n <= 1 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % uint32(n))
}

// Sharded names one list spread over Shards partitions of an index (or of
// the table, when Index is empty): Prefix#0 … Prefix#Shards-1.
type Sharded struct {
	Index  string
	Prefix string
	Shards int
}

// Key is the partition key that item id goes to.
func (s Sharded) Key(id string) string { return ShardKey(s.Prefix, ShardOf(id, s.Shards)) }

// ShardKey is shard n of prefix.
func ShardKey(prefix string, n int) string { return prefix + "#" + strconv.Itoa(n) }

// Partitions returns every shard as a Partition.
func (s Sharded) Partitions() []Partition {
	out := make([]Partition, 0, max(s.Shards, 1))
	for n := range max(s.Shards, 1) {
		out = append(out, Partition{Index: s.Index, PK: ShardKey(s.Prefix, n)})
	}
	return out
}

// IndexEntry is what a KEYS_ONLY index returns of an item: the table key
// and the index sort key it is ordered by.
type IndexEntry struct {
	Key
	SortKey string
}

// shardReaders bounds the shards read at once by one list: enough to hide
// the round trips, few enough not to flood a Lambda's connections.
const shardReaders = 8

// AllEntries reads every entry of the sharded list (the shards at once,
// up to shardReaders in flight) and returns them merged in sort-key order.
// Use it where the list is bounded by something other than history; a list
// that grows with history pages instead.
func AllEntries(ctx context.Context, t *Table, s Sharded) ([]IndexEntry, error) {
	parts := s.Partitions()
	results := make([][]IndexEntry, len(parts))
	errs := make([]error, len(parts))
	sem := make(chan struct{}, shardReaders)
	var wg sync.WaitGroup
	for i, p := range parts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i], errs[i] = partitionEntries(ctx, t, p)
		}()
	}
	wg.Wait()
	var out []IndexEntry
	for i, err := range errs {
		if err != nil {
			return nil, err
		}
		out = append(out, results[i]...)
	}
	slices.SortFunc(out, func(a, b IndexEntry) int { return cmp.Compare(a.SortKey, b.SortKey) })
	return out, nil
}

func partitionEntries(ctx context.Context, t *Table, p Partition) ([]IndexEntry, error) {
	rows, err := QueryAll[map[string]any](ctx, t, p)
	if err != nil {
		return nil, err
	}
	return entriesOf(p, rows)
}

// entriesOf reads the table key and the sort key of p's rows.
func entriesOf(p Partition, rows []map[string]any) ([]IndexEntry, error) {
	_, skName := p.keyNames()
	out := make([]IndexEntry, 0, len(rows))
	for _, r := range rows {
		pk, _ := r[PK].(string)
		sk, _ := r[SK].(string)
		sort, _ := r[skName].(string)
		if pk == "" || sk == "" {
			return nil, fmt.Errorf("dynamo: index %s item without a table key", p.Index)
		}
		out = append(out, IndexEntry{Key: Key{PK: pk, SK: sk}, SortKey: sort})
	}
	return out, nil
}

// Keys returns the table keys of entries, in order.
func Keys(entries []IndexEntry) []Key {
	out := make([]Key, len(entries))
	for i, e := range entries {
		out[i] = e.Key
	}
	return out
}

// PageEntries reads one page of a sharded list in sort-key order: at most
// limit entries whose sort key comes after after ("" for the first page).
// It sends one Query per shard (Limit limit, from after; up to
// shardReaders at once) and merges them, so a page costs N Queries of at
// most limit items each, whatever the list's length. next is the sort key
// to pass as after for the following page, "" when the list ends there.
//
// A shard whose answer stops short (DynamoDB's 1 MB page) bounds the page
// to its last sort key, so that no entry it did not return is skipped.
func PageEntries(ctx context.Context, t *Table, s Sharded, after string, limit int) (page []IndexEntry, next string, err error) {
	if limit <= 0 {
		return nil, "", fmt.Errorf("dynamo: page of %s: limit %d", s.Prefix, limit)
	}
	parts := s.Partitions()
	results := make([][]IndexEntry, len(parts))
	more := make([]bool, len(parts))
	errs := make([]error, len(parts))
	sem := make(chan struct{}, shardReaders)
	var wg sync.WaitGroup
	for i, p := range parts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i], more[i], errs[i] = pageAfter(ctx, t, p, after, limit)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, "", err
	}
	var all []IndexEntry
	bound, bounded := "", false
	for i, r := range results {
		all = append(all, r...)
		if more[i] && len(r) > 0 && (!bounded || r[len(r)-1].SortKey < bound) {
			bound, bounded = r[len(r)-1].SortKey, true
		}
	}
	slices.SortFunc(all, func(a, b IndexEntry) int { return cmp.Compare(a.SortKey, b.SortKey) })
	if bounded {
		all = all[:sort.Search(len(all), func(i int) bool { return all[i].SortKey > bound })]
	}
	page = all[:min(len(all), limit)]
	if len(all) > limit || bounded {
		next = page[len(page)-1].SortKey
	}
	return page, next, nil
}

// pageAfter is one Query of up to limit entries of p after sort key
// after, and whether p has more.
func pageAfter(ctx context.Context, t *Table, p Partition, after string, limit int) ([]IndexEntry, bool, error) {
	pkName, skName := p.keyNames()
	kc := expression.Key(pkName).Equal(expression.Value(p.PK))
	if after != "" {
		kc = kc.And(expression.Key(skName).GreaterThan(expression.Value(after)))
	}
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, false, fmt.Errorf("dynamo: build page query of %s: %w", p.PK, err)
	}
	in := &dynamodb.QueryInput{KeyConditionExpression: expr.KeyCondition(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues: expr.Values(), Limit: aws.Int32(int32(limit))}
	if p.Index != "" {
		in.IndexName = aws.String(p.Index)
	} else {
		in.ConsistentRead = aws.Bool(true)
	}
	res, err := t.Query(ctx, in)
	if err != nil {
		return nil, false, err
	}
	var rows []map[string]any
	if err := attributevalue.UnmarshalListOfMaps(res.Items, &rows); err != nil {
		return nil, false, fmt.Errorf("dynamo: decode %s: %w", p.PK, err)
	}
	entries, err := entriesOf(p, rows)
	return entries, res.Next != nil, err
}
