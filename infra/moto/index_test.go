package moto_test

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
)

// TestShim_IndexGroups checks the shim's index queries, answered from the
// items grouped by index key, after every kind of write that can move an
// item between keys: a table with a stream keeps its groups write by
// write, one without regroups after writes, and both must answer as moto
// does. A cancelled transaction must leave the groups as they were.
func TestShim_IndexGroups(t *testing.T) {
	ctx := context.Background()
	db := dynamodb.NewFromConfig(shimConfig(t))
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	key := func(pk string) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{"pk": s(pk), "sk": s("0")}
	}
	item := func(pk, g string) map[string]types.AttributeValue {
		it := key(pk)
		if g != "" {
			it["g"] = s(g)
		}
		return it
	}
	type step struct {
		name  string
		write func(t *testing.T, table string)
		want  map[string][]string // index key → the items' pk, sorted
	}
	must := func(t *testing.T, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	steps := []step{
		{"puts", func(t *testing.T, table string) {
			for _, it := range []map[string]types.AttributeValue{item("a", "x"), item("b", "x"), item("c", "y"), item("d", "")} {
				_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: it})
				must(t, err)
			}
		}, map[string][]string{"x": {"a", "b"}, "y": {"c"}}},
		{"an update moves an item", func(t *testing.T, table string) {
			_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key("a"),
				UpdateExpression: aws.String("SET g = :g"), ExpressionAttributeValues: map[string]types.AttributeValue{":g": s("y")}})
			must(t, err)
		}, map[string][]string{"x": {"b"}, "y": {"a", "c"}}},
		{"an update gives a key to an item that had none", func(t *testing.T, table string) {
			_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key("d"),
				UpdateExpression: aws.String("SET g = :g"), ExpressionAttributeValues: map[string]types.AttributeValue{":g": s("x")}})
			must(t, err)
		}, map[string][]string{"x": {"b", "d"}, "y": {"a", "c"}}},
		{"an update creates an item", func(t *testing.T, table string) {
			_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key("e"),
				UpdateExpression: aws.String("SET g = :g"), ExpressionAttributeValues: map[string]types.AttributeValue{":g": s("z")}})
			must(t, err)
		}, map[string][]string{"x": {"b", "d"}, "y": {"a", "c"}, "z": {"e"}}},
		{"a put replaces an item without its key", func(t *testing.T, table string) {
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item("b", "")})
			must(t, err)
		}, map[string][]string{"x": {"d"}, "y": {"a", "c"}, "z": {"e"}}},
		{"an update removes a key", func(t *testing.T, table string) {
			_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key("c"), UpdateExpression: aws.String("REMOVE g")})
			must(t, err)
		}, map[string][]string{"x": {"d"}, "y": {"a"}, "z": {"e"}}},
		{"a delete", func(t *testing.T, table string) {
			_, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: key("d")})
			must(t, err)
		}, map[string][]string{"y": {"a"}, "z": {"e"}}},
		{"a batch write", func(t *testing.T, table string) {
			_, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: {
				{PutRequest: &types.PutRequest{Item: item("f", "x")}},
				{DeleteRequest: &types.DeleteRequest{Key: key("e")}},
			}}})
			must(t, err)
		}, map[string][]string{"x": {"f"}, "y": {"a"}}},
		{"a transaction", func(t *testing.T, table string) {
			_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				{Put: &types.Put{TableName: aws.String(table), Item: item("g", "y")}},
				{Update: &types.Update{TableName: aws.String(table), Key: key("f"), UpdateExpression: aws.String("SET g = :g"),
					ExpressionAttributeValues: map[string]types.AttributeValue{":g": s("z")}}},
			}})
			must(t, err)
		}, map[string][]string{"y": {"a", "g"}, "z": {"f"}}},
		{"a cancelled transaction", func(t *testing.T, table string) {
			_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				{Update: &types.Update{TableName: aws.String(table), Key: key("a"), UpdateExpression: aws.String("SET g = :g"),
					ExpressionAttributeValues: map[string]types.AttributeValue{":g": s("x")}}},
				{Put: &types.Put{TableName: aws.String(table), Item: item("h", "x")}},
				{Put: &types.Put{TableName: aws.String(table), Item: item("g", "x"), ConditionExpression: aws.String("attribute_not_exists(pk)")}},
			}})
			if err == nil {
				t.Fatal("the transaction was not cancelled")
			}
		}, map[string][]string{"y": {"a", "g"}, "z": {"f"}}},
	}
	for _, streamed := range []bool{false, true} {
		name := map[bool]string{false: "without a stream", true: "with a stream"}[streamed]
		t.Run(name, func(t *testing.T) {
			table := "shim-groups-" + map[bool]string{false: "plain", true: "streamed"}[streamed]
			in := pkSKTable(table)
			in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String("g"), AttributeType: types.ScalarAttributeTypeS})
			in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{{
				IndexName:  aws.String("by-g"),
				KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("g"), KeyType: types.KeyTypeHash}},
				Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
			}}
			if streamed {
				in.StreamSpecification = &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewAndOldImages}
			}
			createTable(ctx, t, db, in)
			for _, st := range steps {
				st.write(t, table)
				for _, g := range []string{"x", "y", "z"} {
					out, err := db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(table), IndexName: aws.String("by-g"),
						KeyConditionExpression: aws.String("g = :g"), ExpressionAttributeValues: map[string]types.AttributeValue{":g": s(g)}})
					must(t, err)
					var got []string
					for _, it := range out.Items {
						got = append(got, it["pk"].(*types.AttributeValueMemberS).Value)
					}
					slices.Sort(got)
					if diff := cmp.Diff(st.want[g], got); diff != "" {
						t.Errorf("after %s, index key %s (-want +got):\n%s", st.name, g, diff)
					}
				}
			}
		})
	}
}
