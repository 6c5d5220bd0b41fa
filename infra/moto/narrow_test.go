package moto_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/infra/moto"
	"github.com/mercato-dev/mercato/infra/stacktest"
)

// indexItem is an item of TestShim_IndexNarrowing's table: pk is its key,
// g and r its keys in the index (r empty: none), f whether the filter keeps it.
type indexItem struct {
	pk, g, r string
	f        bool
}

// TestShim_IndexNarrowing checks the index queries the shim answers from
// the part of an index key's group that a page can read: every range key
// condition, both directions, paged with small limits to the end, with and
// without a filter, before and after writes that move items between
// groups and change their range keys. The emulator also answers each query
// from the whole group, as moto alone does, and reports any difference in
// items, ScannedCount or LastEvaluatedKey; there must be none.
func TestShim_IndexNarrowing(t *testing.T) {
	ctx := context.Background()
	log := &stacktest.Log{}
	srv := startServerWith(t, moto.Options{LogWriter: log, Env: []string{"MERCATO_MOTO_CHECK_INDEX=1"}})
	cfg, err := moto.AWSConfig(ctx, srv.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	db := dynamodb.NewFromConfig(cfg)

	items := map[string]*indexItem{}
	for i := range 27 {
		it := &indexItem{pk: fmt.Sprintf("p%02d", i), g: "x", r: fmt.Sprintf("r%02d", i/3), f: i%2 == 0}
		switch {
		case i%9 == 4:
			it.g = "y"
		case i == 13:
			it.r = ""
		}
		items[it.pk] = it
	}
	writes := func(t *testing.T, table string) {
		t.Helper()
		update := func(pk, expr string, values map[string]string) {
			in := &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: indexKey(pk), UpdateExpression: aws.String(expr)}
			if len(values) > 0 {
				in.ExpressionAttributeValues = map[string]types.AttributeValue{}
				for k, v := range values {
					in.ExpressionAttributeValues[k] = &types.AttributeValueMemberS{Value: v}
				}
			}
			if _, err := db.UpdateItem(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
		update("p01", "SET g = :g", map[string]string{":g": "y"})
		update("p04", "SET g = :g", map[string]string{":g": "x"})
		update("p06", "SET r = :r", map[string]string{":r": "r05"})
		update("p08", "REMOVE r", nil)
		update("p13", "SET r = :r", map[string]string{":r": "r00"})
		if _, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: indexKey("p20")}); err != nil {
			t.Fatal(err)
		}
		putIndexItem(ctx, t, db, table, &indexItem{pk: "p30", g: "x", r: "r02", f: true})
		putIndexItem(ctx, t, db, table, &indexItem{pk: "p31", g: "x", r: "r07"})
	}
	after := map[string]*indexItem{}
	for pk, it := range items {
		c := *it
		after[pk] = &c
	}
	after["p01"].g, after["p04"].g, after["p06"].r, after["p08"].r, after["p13"].r = "y", "x", "r05", "", "r00"
	delete(after, "p20")
	after["p30"] = &indexItem{pk: "p30", g: "x", r: "r02", f: true}
	after["p31"] = &indexItem{pk: "p31", g: "x", r: "r07"}

	conditions := []struct {
		name, expr string
		values     []string
		match      func(r string) bool
	}{
		{"=", "r = :a", []string{"r03"}, func(r string) bool { return r == "r03" }},
		{"<", "r < :a", []string{"r03"}, func(r string) bool { return r < "r03" }},
		{"<=", "r <= :a", []string{"r03"}, func(r string) bool { return r <= "r03" }},
		{">", "r > :a", []string{"r05"}, func(r string) bool { return r > "r05" }},
		{">=", "r >= :a", []string{"r05"}, func(r string) bool { return r >= "r05" }},
		{"BETWEEN", "r BETWEEN :a AND :b", []string{"r02", "r05"}, func(r string) bool { return r >= "r02" && r <= "r05" }},
		{"begins_with", "begins_with(r, :a)", []string{"r0"}, func(r string) bool { return strings.HasPrefix(r, "r0") }},
		{"none", "", nil, func(string) bool { return true }},
	}
	for _, streamed := range []bool{false, true} {
		t.Run(map[bool]string{false: "without a stream", true: "with a stream"}[streamed], func(t *testing.T) {
			table := map[bool]string{false: "shim-narrow-plain", true: "shim-narrow-streamed"}[streamed]
			createIndexTable(ctx, t, db, table, streamed)
			for _, it := range items {
				putIndexItem(ctx, t, db, table, it)
			}
			for _, phase := range []string{"before writes", "after writes"} {
				state := items
				if phase == "after writes" {
					writes(t, table)
					state = after
				}
				for _, c := range conditions {
					for _, forward := range []bool{true, false} {
						for _, limit := range []int32{1, 2, 3, 0} {
							for _, filtered := range []bool{false, true} {
								name := fmt.Sprintf("%s/%s/forward=%t/limit=%d/filter=%t", phase, c.name, forward, limit, filtered)
								want := expectedIndexPage(state, c.match, forward)
								wantScanned := len(want)
								if filtered {
									want = slices.DeleteFunc(want, func(pk string) bool { return !state[pk].f })
								}
								in := &dynamodb.QueryInput{TableName: aws.String(table), IndexName: aws.String("by-g-r"),
									KeyConditionExpression:    aws.String("g = :g"),
									ExpressionAttributeValues: map[string]types.AttributeValue{":g": &types.AttributeValueMemberS{Value: "x"}},
									ScanIndexForward:          aws.Bool(forward)}
								if c.expr != "" {
									in.KeyConditionExpression = aws.String("g = :g AND " + c.expr)
									for i, v := range c.values {
										in.ExpressionAttributeValues[[]string{":a", ":b"}[i]] = &types.AttributeValueMemberS{Value: v}
									}
								}
								if limit > 0 {
									in.Limit = aws.Int32(limit)
								}
								if filtered {
									in.FilterExpression = aws.String("f = :t")
									in.ExpressionAttributeValues[":t"] = &types.AttributeValueMemberS{Value: "t"}
								}
								got, scanned := queryAllPages(ctx, t, db, in, name)
								if diff := cmp.Diff(want, got); diff != "" {
									t.Errorf("%s: items (-want +got):\n%s", name, diff)
								}
								if scanned != wantScanned {
									t.Errorf("%s: ScannedCount %d in all, want %d", name, scanned, wantScanned)
								}
							}
						}
					}
				}
			}
		})
	}
	if n := strings.Count(log.String(), "MISMATCH"); n > 0 {
		t.Errorf("the emulator found %d differences with moto's own answers:\n%s", n, log.String())
	}
	if strings.Contains(log.String(), "Traceback") {
		t.Errorf("the emulator failed:\n%s", log.String())
	}
}

// expectedIndexPage is the pks of the items of index key x whose range key
// matches, in the index's order (range key, then table key).
func expectedIndexPage(state map[string]*indexItem, match func(string) bool, forward bool) []string {
	var in []*indexItem
	for _, it := range state {
		if it.g == "x" && it.r != "" && match(it.r) {
			in = append(in, it)
		}
	}
	slices.SortFunc(in, func(a, b *indexItem) int {
		if c := strings.Compare(a.r, b.r); c != 0 {
			return c
		}
		return strings.Compare(a.pk, b.pk)
	})
	if !forward {
		slices.Reverse(in)
	}
	out := []string{}
	for _, it := range in {
		out = append(out, it.pk)
	}
	return out
}

// queryAllPages follows LastEvaluatedKey to the end and returns the items'
// pks and the ScannedCount of all pages. A page that ends before the last
// must be full: ScannedCount is its Limit.
func queryAllPages(ctx context.Context, t *testing.T, db *dynamodb.Client, in *dynamodb.QueryInput, name string) ([]string, int) {
	t.Helper()
	got, scanned := []string{}, 0
	for page := 0; ; page++ {
		if page > 100 {
			t.Fatalf("%s: more than 100 pages", name)
		}
		out, err := db.Query(ctx, in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, it := range out.Items {
			got = append(got, it["pk"].(*types.AttributeValueMemberS).Value)
		}
		scanned += int(out.ScannedCount)
		if out.LastEvaluatedKey == nil {
			return got, scanned
		}
		if in.Limit != nil && out.ScannedCount != *in.Limit {
			t.Errorf("%s: page %d has a LastEvaluatedKey and ScannedCount %d, want %d", name, page, out.ScannedCount, *in.Limit)
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

func createIndexTable(ctx context.Context, t *testing.T, db *dynamodb.Client, table string, streamed bool) {
	t.Helper()
	in := pkSKTable(table)
	in.AttributeDefinitions = append(in.AttributeDefinitions,
		types.AttributeDefinition{AttributeName: aws.String("g"), AttributeType: types.ScalarAttributeTypeS},
		types.AttributeDefinition{AttributeName: aws.String("r"), AttributeType: types.ScalarAttributeTypeS})
	in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{{
		IndexName: aws.String("by-g-r"),
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("g"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("r"), KeyType: types.KeyTypeRange},
		},
		Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
	}}
	if streamed {
		in.StreamSpecification = &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewAndOldImages}
	}
	createTable(ctx, t, db, in)
}

func indexKey(pk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: "0"}}
}

func putIndexItem(ctx context.Context, t *testing.T, db *dynamodb.Client, table string, it *indexItem) {
	t.Helper()
	item := indexKey(it.pk)
	item["g"] = &types.AttributeValueMemberS{Value: it.g}
	if it.r != "" {
		item["r"] = &types.AttributeValueMemberS{Value: it.r}
	}
	if it.f {
		item["f"] = &types.AttributeValueMemberS{Value: "t"}
	}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
		t.Fatal(err)
	}
}
