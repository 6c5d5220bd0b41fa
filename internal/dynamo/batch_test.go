package dynamo_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/dynamo"
)

func TestMain(m *testing.M) { stacktest.Main(m) }

// countedTable is the stack's table on a client whose calls the counter
// counts.
func countedTable(t *testing.T) (*dynamo.Table, *dynamo.Counter) {
	t.Helper()
	env := stacktest.Shared(t)
	counter := dynamo.NewCounter()
	client := dynamodb.NewFromConfig(env.AWS, counter.Option)
	return &dynamo.Table{Client: client, Name: env.Config.TableName}, counter
}

type item struct {
	PK    string `dynamodbav:"pk"`
	SK    string `dynamodbav:"sk"`
	Value int    `dynamodbav:"value"`
}

// holdBack is DynamoDB answering a throttled BatchGetItem: it reads all but
// the last key of the first call and hands that key back as unprocessed.
type holdBack struct {
	dynamo.API
	held bool
}

func (h *holdBack) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	if h.held {
		return h.API.BatchGetItem(ctx, in, opts...)
	}
	h.held = true
	left := map[string]types.KeysAndAttributes{}
	for name, ka := range in.RequestItems {
		last := ka.Keys[len(ka.Keys)-1]
		ka.Keys = ka.Keys[:len(ka.Keys)-1]
		in.RequestItems[name] = ka
		left[name] = types.KeysAndAttributes{Keys: []map[string]types.AttributeValue{last}, ConsistentRead: ka.ConsistentRead}
	}
	out, err := h.API.BatchGetItem(ctx, in, opts...)
	if err == nil {
		out.UnprocessedKeys = left
	}
	return out, err
}

func TestBatchGet(t *testing.T) {
	ctx := context.Background()
	table, counter := countedTable(t)
	pk := fmt.Sprintf("BATCHTEST#%s", t.Name())
	var stored []dynamo.Key
	for i := range 230 {
		it := item{PK: pk, SK: fmt.Sprintf("%04d", i), Value: i}
		av, err := attributevalue.MarshalMap(it)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := table.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table.Name), Item: av}); err != nil {
			t.Fatal(err)
		}
		stored = append(stored, dynamo.Key{PK: it.PK, SK: it.SK})
	}
	absent := []dynamo.Key{{PK: pk, SK: "none-1"}, {PK: pk, SK: "none-2"}}
	values := func(items []item) []int {
		out := make([]int, 0, len(items))
		for _, it := range items {
			out = append(out, it.Value)
		}
		slices.Sort(out)
		return out
	}
	upTo := func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}

	cases := []struct {
		name     string
		keys     []dynamo.Key
		held     bool
		want     []int
		wantGets int
	}{
		{name: "no keys, no call", keys: nil, want: []int{}, wantGets: 0},
		{name: "230 keys in three calls", keys: stored, want: upTo(230), wantGets: 3},
		{name: "a key named twice is read once", keys: append(slices.Clone(stored[:5]), stored[:5]...), want: upTo(5), wantGets: 1},
		{name: "absent keys are left out", keys: append(slices.Clone(stored[:3]), absent...), want: upTo(3), wantGets: 1},
		{name: "unprocessed keys are asked again", keys: stored[:10], held: true, want: upTo(10), wantGets: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			counter.Reset()
			tb := table
			if tc.held {
				tb = &dynamo.Table{Client: &holdBack{API: table.Client}, Name: table.Name}
			}
			got, err := dynamo.BatchGet[item](ctx, tb, dynamo.BatchRead{Keys: tc.keys, Consistent: true})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, values(got)); diff != "" {
				t.Errorf("values read (-want +got):\n%s", diff)
			}
			if n := counter.Calls()["BatchGetItem"]; n != tc.wantGets {
				t.Errorf("BatchGetItem calls = %d, want %d", n, tc.wantGets)
			}
		})
	}
}

// TestItemsAt: the items of a list page come back in the entries' order,
// not BatchGetItem's, each with its entry's sort key; an entry whose item
// is gone is left out, and an item that does not decode fails the page.
func TestItemsAt(t *testing.T) {
	ctx := context.Background()
	table, _ := countedTable(t)
	pk := "ITEMSAT#" + t.Name()
	var entries []dynamo.IndexEntry
	for i := range 5 {
		k := dynamo.Key{PK: pk, SK: fmt.Sprintf("%02d", i)}
		entries = append(entries, dynamo.IndexEntry{Key: k, SortKey: fmt.Sprintf("T%d", 4-i)})
		if i == 2 {
			continue // deleted after the index was read
		}
		if err := table.Tx().Put("item", dynamo.DocRow(k, "test", i), nil).Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	slices.Reverse(entries)
	decode := func(r dynamo.Row) (int, error) { return dynamo.Decode[int](r) }
	got, sks, err := dynamo.ItemsAt(ctx, table, entries, decode)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{4, 3, 1, 0}, got); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"T0", "T1", "T3", "T4"}, sks); diff != "" {
		t.Errorf("sort keys (-want +got):\n%s", diff)
	}

	bad := dynamo.Row{Key: dynamo.Key{PK: pk, SK: "bad"}, Entity: "test", Doc: "{"}
	if err := table.Tx().Put("bad", bad, nil).Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := dynamo.ItemsAt(ctx, table, append(entries, dynamo.IndexEntry{Key: bad.Key}), decode); err == nil {
		t.Error("an item that does not decode was read without an error")
	}
}
