package dynamo_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/internal/dynamo"
)

func TestShardOf(t *testing.T) {
	seen := map[int]int{}
	for i := range 3200 {
		n := dynamo.ShardOf(fmt.Sprintf("PR-%04d-0000-0000-001", i), 32)
		if n < 0 || n >= 32 {
			t.Fatalf("shard %d out of range", n)
		}
		seen[n]++
	}
	// Ids spread: every shard gets a share within a factor of two of even.
	for n := range 32 {
		if seen[n] < 50 || seen[n] > 200 {
			t.Errorf("shard %d got %d of 3200 ids", n, seen[n])
		}
	}
	if dynamo.ShardOf("x", 1) != 0 || dynamo.ShardOf("x", 0) != 0 {
		t.Error("one shard (or none) is shard 0")
	}
}

// indexed is an item on the sharded list of the test, gsi5 being keys only.
type indexed struct {
	PK     string `dynamodbav:"pk"`
	SK     string `dynamodbav:"sk"`
	GSI5PK string `dynamodbav:"gsi5pk"`
	GSI5SK string `dynamodbav:"gsi5sk"`
}

func TestPageEntries(t *testing.T) {
	ctx := context.Background()
	table, counter := countedTable(t)
	list := dynamo.Sharded{Index: dynamo.GSI5, Prefix: "PAGETEST#" + t.Name(), Shards: 4}
	other := dynamo.Sharded{Index: dynamo.GSI5, Prefix: "PAGETEST2#" + t.Name(), Shards: 4}
	var all []string // sort keys in order: T00#…, T01#…, …
	for i := range 30 {
		id := fmt.Sprintf("ID%02d", i)
		sk := fmt.Sprintf("T%02d#%s", i, id)
		l := list
		if i%5 == 0 {
			l = other // every fifth entry is on the second list
		}
		av, err := attributevalue.MarshalMap(indexed{PK: "PAGEITEM#" + id, SK: "X", GSI5PK: l.Key(id), GSI5SK: sk})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := table.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table.Name), Item: av}); err != nil {
			t.Fatal(err)
		}
		all = append(all, sk)
	}
	sortKeys := func(es []dynamo.IndexEntry) []string {
		out := make([]string, len(es))
		for i, e := range es {
			out[i] = e.SortKey
		}
		return out
	}
	without := func(skip func(int) bool) []string {
		var out []string
		for i, sk := range all {
			if !skip(i) {
				out = append(out, sk)
			}
		}
		return out
	}
	mine := without(func(i int) bool { return i%5 == 0 })
	reversed := func(s []string) []string {
		out := make([]string, len(s))
		for i := range s {
			out[len(s)-1-i] = s[i]
		}
		return out
	}
	cases := []struct {
		name     string
		lists    []dynamo.Sharded
		r        dynamo.Range
		n        int
		want     []string
		wantMore bool
	}{
		{"first page", []dynamo.Sharded{list}, dynamo.Range{}, 5, mine[:5], true},
		{"after a cursor", []dynamo.Sharded{list}, dynamo.Range{After: mine[4]}, 5, mine[5:10], true},
		{"the last page", []dynamo.Sharded{list}, dynamo.Range{After: mine[19]}, 5, mine[20:], false},
		{"exactly the rest", []dynamo.Sharded{list}, dynamo.Range{After: mine[18]}, 5, mine[19:], false},
		{"descending", []dynamo.Sharded{list}, dynamo.Range{Desc: true}, 3, reversed(mine)[:3], true},
		{"descending after a cursor", []dynamo.Sharded{list}, dynamo.Range{Desc: true, After: mine[10]}, 4, reversed(mine[6:10]), true},
		{"a range", []dynamo.Sharded{list}, dynamo.Range{From: "T03", To: "T09"}, 10, []string{all[3], all[4], all[6], all[7], all[8]}, false},
		{"a range, descending past a cursor", []dynamo.Sharded{list}, dynamo.Range{From: "T03", To: "T09", Desc: true, After: all[7]}, 10, []string{all[6], all[4], all[3]}, false},
		{"an empty range", []dynamo.Sharded{list}, dynamo.Range{From: "T09", To: "T03"}, 10, []string{}, false},
		{"two lists merged", []dynamo.Sharded{list, other}, dynamo.Range{}, 7, all[:7], true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			counter.Reset()
			got, more, err := dynamo.PageEntries(ctx, table, tc.lists, tc.r, tc.n)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, sortKeys(got)); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
			if more != tc.wantMore {
				t.Errorf("more = %v, want %v", more, tc.wantMore)
			}
			// One Query per shard: the page does not read the lists whole.
			if q, max := counter.Calls()["Query"], 2*4*len(tc.lists); q > max {
				t.Errorf("%d Queries for %d shards", q, 4*len(tc.lists))
			}
		})
	}
}

// moveAfter is DynamoDB while an item moves between two lists of a page:
// the Query of partition from is answered, then move runs, and only then
// are the other partitions read, so the page reads the item in both.
type moveAfter struct {
	dynamo.API
	from  string
	move  func(context.Context) error
	once  sync.Once
	moved chan struct{}
	err   error
}

func (m *moveAfter) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	if !m.reads(in, m.from) {
		<-m.moved
		return m.API.Query(ctx, in, opts...)
	}
	out, err := m.API.Query(ctx, in, opts...)
	m.once.Do(func() {
		m.err = m.move(ctx)
		close(m.moved)
	})
	return out, err
}

func (m *moveAfter) reads(in *dynamodb.QueryInput, pk string) bool {
	for _, v := range in.ExpressionAttributeValues {
		if s, ok := v.(*types.AttributeValueMemberS); ok && s.Value == pk {
			return true
		}
	}
	return false
}

// A request that changes status while a page of two status lists is read
// (the vendor's queue filtered by two statuses) is read under both; the
// page holds it once, and a cursor at it neither repeats nor skips an
// entry.
func TestPageEntries_ItemMovedBetweenLists(t *testing.T) {
	ctx := context.Background()
	base, _ := countedTable(t)
	tests := []struct {
		name      string
		desc      bool
		n         int
		want      []string
		wantMore  bool
		wantAfter []string // the next page, from the cursor at the last entry
	}{
		{name: "the whole list", n: 10, want: []string{"T1#A", "T2#B", "T3#C"}},
		{name: "a page ending after the item", n: 3, want: []string{"T1#A", "T2#B", "T3#C"}},
		{name: "a page ending at the item", n: 2, want: []string{"T1#A", "T2#B"}, wantMore: true, wantAfter: []string{"T3#C"}},
		{name: "descending, ending at the item", desc: true, n: 2, want: []string{"T3#C", "T2#B"}, wantMore: true, wantAfter: []string{"T1#A"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := fmt.Sprintf("MOVETEST#%d#", i)
			pending := dynamo.Sharded{Index: dynamo.GSI5, Prefix: prefix + "pending", Shards: 1}
			inquiring := dynamo.Sharded{Index: dynamo.GSI5, Prefix: prefix + "inquiring", Shards: 1}
			put := func(ctx context.Context, id string, l dynamo.Sharded) error {
				av, err := attributevalue.MarshalMap(indexed{PK: prefix + id, SK: "X", GSI5PK: l.Key(id), GSI5SK: "T" + map[string]string{"A": "1", "B": "2", "C": "3"}[id] + "#" + id})
				if err != nil {
					return err
				}
				_, err = base.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(base.Name), Item: av})
				return err
			}
			for id, l := range map[string]dynamo.Sharded{"A": pending, "B": pending, "C": inquiring} {
				if err := put(ctx, id, l); err != nil {
					t.Fatal(err)
				}
			}
			m := &moveAfter{API: base.Client, from: pending.Key("B"), moved: make(chan struct{}),
				move: func(ctx context.Context) error { return put(ctx, "B", inquiring) }}
			table := &dynamo.Table{Client: m, Name: base.Name}
			lists := []dynamo.Sharded{pending, inquiring}
			got, more, err := dynamo.PageEntries(ctx, table, lists, dynamo.Range{Desc: tt.desc}, tt.n)
			if err != nil || m.err != nil {
				t.Fatal(err, m.err)
			}
			if diff := cmp.Diff(tt.want, sortKeysOf(got)); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
			if more != tt.wantMore {
				t.Errorf("more = %v, want %v", more, tt.wantMore)
			}
			if !more {
				return
			}
			next, _, err := dynamo.PageEntries(ctx, table, lists, dynamo.Range{Desc: tt.desc, After: got[len(got)-1].SortKey}, tt.n)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantAfter, sortKeysOf(next)); diff != "" {
				t.Errorf("next page (-want +got):\n%s", diff)
			}
		})
	}
}

func sortKeysOf(es []dynamo.IndexEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.SortKey
	}
	return out
}
