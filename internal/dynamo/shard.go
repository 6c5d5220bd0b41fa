package dynamo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
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
// that grows with history pages instead (PageEntries).
func AllEntries(ctx context.Context, t *Table, s Sharded) ([]IndexEntry, error) {
	entries, _, err := PagePartitions(ctx, t, s.Partitions(), Range{}, allEntries)
	return entries, err
}

// allEntries is a page size no bounded list reaches.
const allEntries = 1 << 30

// Keys returns the table keys of entries, in order.
func Keys(entries []IndexEntry) []Key {
	out := make([]Key, len(entries))
	for i, e := range entries {
		out[i] = e.Key
	}
	return out
}

// Range narrows a page of sharded lists: sort keys within [From, To) (each
// bound optional), after the cursor After (before it when Desc), in
// descending order when Desc.
type Range struct {
	From, To string
	After    string
	Desc     bool
}

// PageEntries reads the next n entries of the merged lists in r's order:
// each shard of each list is asked for at most n entries past r.After, and
// the merge keeps the first n. It costs one Query per shard whatever the
// lists' size, each reading at most n keys-only entries, so a page costs
// O(shards · n), not O(history). more reports whether entries remain.
func PageEntries(ctx context.Context, t *Table, lists []Sharded, r Range, n int) (entries []IndexEntry, more bool, err error) {
	var parts []Partition
	for _, l := range lists {
		parts = append(parts, l.Partitions()...)
	}
	return PagePartitions(ctx, t, parts, r, n)
}

// PagePartitions is PageEntries over the partitions parts.
func PagePartitions(ctx context.Context, t *Table, parts []Partition, r Range, n int) (entries []IndexEntry, more bool, err error) {
	results := make([][]IndexEntry, len(parts))
	full := make([]bool, len(parts))
	err = Concurrently(len(parts), shardReaders, func(i int) error {
		var err error
		results[i], full[i], err = rangeEntries(ctx, t, parts[i], r, n)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	for i := range parts {
		more = more || full[i]
	}
	entries = merge(results, r.Desc)
	if len(entries) > n {
		entries, more = entries[:n], true
	}
	return entries, more, nil
}

// merge orders the partitions' entries by sort key and keeps one entry of
// each item. An item whose index key moves (a request changing status
// moves between the queue's status lists) can be read under its old key
// and its new one when the partitions are read while it moves; its row is
// then read by key, as it is now, so either entry stands for it. The sort
// key does not change in such a move (it is the item's creation and id),
// so the two entries are neighbours and a cursor at one is past the other.
func merge(results [][]IndexEntry, desc bool) []IndexEntry {
	var entries []IndexEntry
	for _, res := range results {
		entries = append(entries, res...)
	}
	slices.SortFunc(entries, func(a, b IndexEntry) int {
		if desc {
			return cmp.Compare(b.SortKey, a.SortKey)
		}
		return cmp.Compare(a.SortKey, b.SortKey)
	})
	seen := make(map[Key]bool, len(entries))
	return slices.DeleteFunc(entries, func(e IndexEntry) bool {
		if seen[e.Key] {
			return true
		}
		seen[e.Key] = true
		return false
	})
}

// errEmptyRange is a range with nothing in it; no Query is needed.
var errEmptyRange = errors.New("dynamo: empty range")

// rangeEntries reads up to n entries of one partition within r. full
// reports that the partition may hold more.
func rangeEntries(ctx context.Context, t *Table, p Partition, r Range, n int) ([]IndexEntry, bool, error) {
	in, err := p.rangeInput(r, int32(n+1))
	if errors.Is(err, errEmptyRange) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var out []IndexEntry
	for {
		page, err := t.Query(ctx, in)
		if err != nil {
			return nil, false, err
		}
		got, err := entriesOf(p, page.Items)
		if err != nil {
			return nil, false, err
		}
		// A descending range with both bounds is a BETWEEN, which keeps
		// the cursor's own entry: it was answered already.
		got = slices.DeleteFunc(got, func(e IndexEntry) bool { return r.After != "" && e.SortKey == r.After })
		out = append(out, got...)
		if len(out) > n {
			return out[:n], true, nil
		}
		if page.Next == nil {
			return out, false, nil
		}
		in.ExclusiveStartKey = page.Next
		in.Limit = aws.Int32(int32(n - len(out) + 1))
	}
}

func entriesOf(p Partition, items []map[string]types.AttributeValue) ([]IndexEntry, error) {
	var rows []map[string]any
	if err := attributevalue.UnmarshalListOfMaps(items, &rows); err != nil {
		return nil, fmt.Errorf("dynamo: decode %s: %w", p.PK, err)
	}
	_, skName := p.keyNames()
	out := make([]IndexEntry, 0, len(rows))
	for _, row := range rows {
		pk, _ := row[PK].(string)
		sk, _ := row[SK].(string)
		sort, _ := row[skName].(string)
		if pk == "" || sk == "" {
			return nil, fmt.Errorf("dynamo: index %s item without a table key", p.Index)
		}
		out = append(out, IndexEntry{Key: Key{PK: pk, SK: sk}, SortKey: sort})
	}
	return out, nil
}

// rangeInput is the Query of the partition's sort keys within r (and
// within p.SKPrefix, when it is set).
func (p Partition) rangeInput(r Range, limit int32) (*dynamodb.QueryInput, error) {
	pkName, skName := p.keyNames()
	kc := expression.Key(pkName).Equal(expression.Value(p.PK))
	lo, hi := r.From, r.To
	if p.SKPrefix != "" {
		lo = max(lo, p.SKPrefix)
		if end := p.SKPrefix + "\xff"; hi == "" || end < hi {
			hi = end
		}
	}
	// The cursor is the last entry already answered: strictly past it.
	if r.After != "" && !r.Desc && r.After >= lo {
		lo = r.After + "\x00"
	}
	if r.After != "" && r.Desc && (hi == "" || r.After < hi) {
		hi = r.After
	}
	switch {
	case lo != "" && hi != "" && lo > hi:
		return nil, errEmptyRange
	case lo != "" && hi != "":
		kc = kc.And(expression.Key(skName).Between(expression.Value(lo), expression.Value(hi)))
	case lo != "":
		kc = kc.And(expression.Key(skName).GreaterThanEqual(expression.Value(lo)))
	case hi != "":
		kc = kc.And(expression.Key(skName).LessThan(expression.Value(hi)))
	}
	in, err := p.query(kc, limit)
	if err != nil {
		return nil, err
	}
	in.ScanIndexForward = aws.Bool(!r.Desc)
	return in, nil
}

// PageItems reads up to n whole items of partition p (of the table, or of an
// index that projects them) whose sort key follows after, in sort-key
// order, and returns the sort key to continue from when more follow.
func PageItems[T any](ctx context.Context, t *Table, p Partition, after string, n int) (items []T, next string, err error) {
	in, err := p.rangeInput(Range{After: after}, int32(n+1))
	if errors.Is(err, errEmptyRange) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	_, skName := p.keyNames()
	var raw []map[string]types.AttributeValue
	for len(raw) <= n {
		page, err := t.Query(ctx, in)
		if err != nil {
			return nil, "", err
		}
		raw = append(raw, page.Items...)
		if page.Next == nil {
			break
		}
		in.ExclusiveStartKey = page.Next
	}
	if len(raw) > n {
		raw = raw[:n]
		var last string
		if err := attributevalue.Unmarshal(raw[n-1][skName], &last); err != nil {
			return nil, "", fmt.Errorf("dynamo: sort key of %s: %w", p.PK, err)
		}
		next = last
	}
	if err := attributevalue.UnmarshalListOfMaps(raw, &items); err != nil {
		return nil, "", fmt.Errorf("dynamo: decode %s: %w", p.PK, err)
	}
	return items, next, nil
}
