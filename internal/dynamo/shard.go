package dynamo

import (
	"cmp"
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"sync"
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
