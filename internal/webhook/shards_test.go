package webhook

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/internal/dynamo"
)

// fakeIndex answers gsi7 Queries (no filter) from delivery ids by shard,
// newest first, with DynamoDB's Limit and ExclusiveStartKey, and counts
// the items it returns. Any other call panics.
type fakeIndex struct {
	dynamo.API
	mu    sync.Mutex
	parts map[string][]string // gsi7pk → ids, newest first
	read  int
}

func (f *fakeIndex) Query(_ context.Context, in *dynamodb.QueryInput, _ ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	var pk string
	for _, v := range in.ExpressionAttributeValues {
		if s, ok := v.(*types.AttributeValueMemberS); ok && strings.HasPrefix(s.Value, "WH") {
			pk = s.Value
		}
	}
	ids := f.parts[pk]
	if sk, ok := in.ExclusiveStartKey["gsi7sk"].(*types.AttributeValueMemberS); ok {
		ids = ids[slices.Index(ids, sk.Value)+1:]
	}
	out := &dynamodb.QueryOutput{}
	n := min(int(*in.Limit), len(ids))
	for _, id := range ids[:n] {
		out.Items = append(out.Items, map[string]types.AttributeValue{"gsi7sk": &types.AttributeValueMemberS{Value: id}})
	}
	if n < len(ids) {
		out.LastEvaluatedKey = map[string]types.AttributeValue{"gsi7sk": &types.AttributeValueMemberS{Value: ids[n-1]}}
	}
	f.mu.Lock()
	f.read += n
	f.mu.Unlock()
	return out, nil
}

// The merge of the shards returns the newest deliveries over all of them,
// in order, whatever the page, and counts up to its bound; it reads about
// what it returns and counts, not every shard's whole history.
func TestDynamoStore_ReadShards(t *testing.T) {
	const shards, total = 8, 500
	rng := rand.New(rand.NewPCG(1, 2))
	f := &fakeIndex{parts: map[string][]string{}}
	var all []string
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for i := range total {
		id := DeliveryID(fmt.Sprint("EV-", i), t0.Add(time.Duration(rng.IntN(3600_000))*time.Millisecond), "WH-1")
		all = append(all, id)
		pk := deliveryShard("VA-1", "WH-1", id, false, shards)
		f.parts[pk] = append(f.parts[pk], id)
	}
	for _, ids := range f.parts {
		slices.Sort(ids)
		slices.Reverse(ids)
	}
	slices.Sort(all)
	slices.Reverse(all)
	s := &DynamoStore{table: &dynamo.Table{Client: f, Name: "t"}, shards: shards}
	tests := []struct {
		need, bound int
		wantExact   bool
		maxRead     int
	}{
		{need: 10, bound: 100, wantExact: false, maxRead: 100 + 2*shards*(100/shards+1)},
		{need: 120, bound: 100, wantExact: false, maxRead: 2 * 120 * 2},
		{need: 10, bound: 1000, wantExact: true, maxRead: total},
		{need: 0, bound: 0, wantExact: true, maxRead: total},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("need %d bound %d", tt.need, tt.bound), func(t *testing.T) {
			f.read = 0
			got, err := s.readShards(context.Background(), s.shardKeys("VA-1", "WH-1", false), shardQuery{need: tt.need, bound: tt.bound})
			if err != nil {
				t.Fatal(err)
			}
			want := all
			if tt.need > 0 {
				want = all[:tt.need]
			}
			if diff := cmp.Diff(want, got.ids()); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			if got.exact != tt.wantExact || (got.exact && got.matched != total) || (!got.exact && got.matched <= max(tt.bound, tt.need)) {
				t.Errorf("matched %d, exact %v; want exact %v", got.matched, got.exact, tt.wantExact)
			}
			if f.read > tt.maxRead {
				t.Errorf("read %d index items, want at most %d", f.read, tt.maxRead)
			}
		})
	}
}

// A delivery read in both groups of shards, its old entry among the failed
// ones and its new one among the others (it moved while they were read),
// is merged once: the ids hold each delivery once, in order, and the count
// counts it once.
func TestDynamoStore_ReadShards_DeliveryInBothGroups(t *testing.T) {
	const shards, total = 4, 40
	f := &fakeIndex{parts: map[string][]string{}}
	var all []string
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for i := range total {
		all = append(all, DeliveryID(fmt.Sprint("EV-", i), t0.Add(time.Duration(i)*time.Second), "WH-1"))
	}
	slices.Reverse(all) // newest first
	moved := map[int]bool{0: true, 9: true, 10: true, total - 1: true}
	for i, id := range all {
		pk := deliveryShard("VA-1", "WH-1", id, false, shards)
		f.parts[pk] = append(f.parts[pk], id)
		if moved[i] {
			pk := deliveryShard("VA-1", "WH-1", id, true, shards)
			f.parts[pk] = append(f.parts[pk], id)
		}
	}
	s := &DynamoStore{table: &dynamo.Table{Client: f, Name: "t"}, shards: shards}
	parts := append(s.shardKeys("VA-1", "WH-1", false), s.shardKeys("VA-1", "WH-1", true)...)
	tests := []struct {
		name        string
		need, bound int
		wantMatched int // 0: more than bound, not exact
	}{
		{"the newest", 1, 1000, total},
		{"a page ending at a moved one", 10, 1000, total},
		{"a page ending before a moved one", 9, 1000, total},
		{"a page ending after two moved ones", 11, 1000, total},
		{"all", 0, 0, total},
		{"counted up to a bound", 10, 20, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.readShards(context.Background(), parts, shardQuery{need: tt.need, bound: tt.bound})
			if err != nil {
				t.Fatal(err)
			}
			want := all
			if tt.need > 0 {
				want = all[:tt.need]
			}
			if diff := cmp.Diff(want, got.ids()); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			switch {
			case tt.wantMatched > 0 && (!got.exact || got.matched != tt.wantMatched):
				t.Errorf("matched %d, exact %v; want %d, exact", got.matched, got.exact, tt.wantMatched)
			case tt.wantMatched == 0 && (got.exact || got.matched <= tt.bound || got.matched > total):
				t.Errorf("matched %d, exact %v; want more than %d of %d, not exact", got.matched, got.exact, tt.bound, total)
			}
		})
	}
}
