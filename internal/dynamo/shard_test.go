package dynamo_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/internal/dynamo"
)

type pagedItem struct {
	PK     string `dynamodbav:"pk"`
	SK     string `dynamodbav:"sk"`
	GSI4PK string `dynamodbav:"gsi4pk,omitempty"`
	GSI4SK string `dynamodbav:"gsi4sk,omitempty"`
}

// TestPageEntries pages a sharded list, of the table and of a keys-only
// index, with several page sizes: the pages put end to end are the whole
// list in sort-key order, and each costs one Query per shard.
func TestPageEntries(t *testing.T) {
	env := harness.Env(t)
	ctx := context.Background()
	counter := dynamo.NewCounter()
	table := &dynamo.Table{Client: dynamodb.NewFromConfig(env.AWS, counter.Option), Name: env.Config.TableName}
	const n, shards = 53, 4
	for _, index := range []string{"", dynamo.GSI4} {
		list := dynamo.Sharded{Index: index, Prefix: "PAGETEST#" + index, Shards: shards}
		var want []string
		for i := range n {
			id := fmt.Sprintf("ID-%03d", (i*37)%n) // ids out of sort-key order
			sort := fmt.Sprintf("2026-12-05T10:%02d:00Z#%s", i, id)
			it := pagedItem{PK: "PAGED#" + index + id, SK: "ITEM"}
			if index == "" {
				it.PK, it.SK = list.Key(id), sort
			} else {
				it.GSI4PK, it.GSI4SK = list.Key(id), sort
			}
			av, err := attributevalue.MarshalMap(it)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := table.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table.Name), Item: av}); err != nil {
				t.Fatal(err)
			}
			want = append(want, sort)
		}
		for _, limit := range []int{1, 7, 10, 53, 100} {
			t.Run(fmt.Sprintf("index %q, limit %d", index, limit), func(t *testing.T) {
				var got []string
				after, pages := "", 0
				for {
					counter.Reset()
					page, next, err := dynamo.PageEntries(ctx, table, list, after, limit)
					if err != nil {
						t.Fatal(err)
					}
					if q := counter.Calls()["Query"]; q != shards {
						t.Errorf("page %d: %d Queries, want %d", pages, q, shards)
					}
					if len(page) > limit {
						t.Fatalf("page %d holds %d entries, limit %d", pages, len(page), limit)
					}
					for _, e := range page {
						got = append(got, e.SortKey)
					}
					pages++
					if next == "" || pages > n+1 {
						break
					}
					after = next
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("pages end to end (-want +got):\n%s", diff)
				}
			})
		}
	}
	if _, _, err := dynamo.PageEntries(ctx, table, dynamo.Sharded{Prefix: "PAGETEST#", Shards: shards}, "", 0); err == nil {
		t.Error("a page of no entries was answered")
	}
}
