package moto_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/infra/moto"
)

// TestShim_CancelledTransaction is what the serialize.py shim changes in
// moto: a cancelled TransactWriteItems is undone item by item instead of by
// swapping in copies of whole tables. The copies used to leave every open
// shard iterator on a shard that no later write reached, so a stream reader
// saw nothing after the first cancelled transaction. Now a reader that
// keeps following NextShardIterator must see the writes before and after
// the cancelled transaction and none of its own, and the items it wrote
// before it was cancelled must be as they were.
func TestShim_CancelledTransaction(t *testing.T) {
	ctx := context.Background()
	cfg := shimConfig(t)
	db, streams := dynamodb.NewFromConfig(cfg), dynamodbstreams.NewFromConfig(cfg)
	table := createStreamTable(ctx, t, db)

	it := latestIterator(ctx, t, streams, table)
	put(ctx, t, db, table, "before")
	put(ctx, t, db, table, "deleted")
	var canceled *types.TransactionCanceledException
	_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(table), Item: key("cancelled")}},
		{Update: &types.Update{TableName: aws.String(table), Key: key("before"), UpdateExpression: aws.String("SET v = :v"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberS{Value: "changed"}}}},
		{Delete: &types.Delete{TableName: aws.String(table), Key: key("deleted")}},
		{ConditionCheck: &types.ConditionCheck{TableName: aws.String(table), Key: key("missing"), ConditionExpression: aws.String("attribute_exists(pk)")}},
	}})
	if !errors.As(err, &canceled) {
		t.Fatalf("transaction: got %v, want TransactionCanceledException", err)
	}
	for pk, want := range map[string]map[string]string{"before": {"pk": "before", "sk": "0"}, "deleted": {"pk": "deleted", "sk": "0"}, "cancelled": nil} {
		if diff := cmp.Diff(want, get(ctx, t, db, table, pk)); diff != "" {
			t.Errorf("item %s after the cancelled transaction (-want +got):\n%s", pk, diff)
		}
	}
	put(ctx, t, db, table, "after")
	_, err = db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(table), Item: key("tx-1")}},
		{Put: &types.Put{TableName: aws.String(table), Item: key("tx-2")}},
	}})
	if err != nil {
		t.Fatalf("transaction: %v", err)
	}

	var got []string
	for range 5 {
		out, err := streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it})
		if err != nil {
			t.Fatalf("GetRecords: %v", err)
		}
		for _, r := range out.Records {
			got = append(got, r.Dynamodb.Keys["pk"].(*streamtypes.AttributeValueMemberS).Value)
		}
		it = out.NextShardIterator
	}
	if diff := cmp.Diff([]string{"before", "deleted", "after", "tx-1", "tx-2"}, got); diff != "" {
		t.Errorf("stream keys (-want +got):\n%s", diff)
	}
}

// shimConfig starts an emulator for one test and returns its client config.
func shimConfig(t *testing.T) aws.Config {
	t.Helper()
	cfg, err := moto.AWSConfig(context.Background(), startServer(t).Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func createStreamTable(ctx context.Context, t *testing.T, db *dynamodb.Client) string {
	t.Helper()
	in := pkSKTable("shim-" + t.Name()[len("TestShim_"):])
	in.StreamSpecification = &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewAndOldImages}
	createTable(ctx, t, db, in)
	return *in.TableName
}

// pkSKTable is a table keyed like Mercato's: string pk and sk, on demand.
func pkSKTable(name string) *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
		},
	}
}

func createTable(ctx context.Context, t *testing.T, db *dynamodb.Client, in *dynamodb.CreateTableInput) {
	t.Helper()
	if _, err := db.CreateTable(ctx, in); err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
}

func latestIterator(ctx context.Context, t *testing.T, streams *dynamodbstreams.Client, table string) *string {
	t.Helper()
	list, err := streams.ListStreams(ctx, &dynamodbstreams.ListStreamsInput{TableName: aws.String(table)})
	if err != nil || len(list.Streams) != 1 {
		t.Fatalf("ListStreams: %v, %d streams", err, len(list.Streams))
	}
	desc, err := streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: list.Streams[0].StreamArn})
	if err != nil || len(desc.StreamDescription.Shards) != 1 {
		t.Fatalf("DescribeStream: %v", err)
	}
	out, err := streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{
		StreamArn: list.Streams[0].StreamArn, ShardId: desc.StreamDescription.Shards[0].ShardId,
		ShardIteratorType: streamtypes.ShardIteratorTypeLatest,
	})
	if err != nil {
		t.Fatalf("GetShardIterator: %v", err)
	}
	return out.ShardIterator
}

func put(ctx context.Context, t *testing.T, db *dynamodb.Client, table, pk string) {
	t.Helper()
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: key(pk)}); err != nil {
		t.Fatalf("PutItem %s: %v", pk, err)
	}
}

func get(ctx context.Context, t *testing.T, db *dynamodb.Client, table, pk string) map[string]string {
	t.Helper()
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key(pk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatalf("GetItem %s: %v", pk, err)
	}
	if out.Item == nil {
		return nil
	}
	got := map[string]string{}
	for k, v := range out.Item {
		got[k] = v.(*types.AttributeValueMemberS).Value
	}
	return got
}

// key is the test table's key of an item: every item has sort key "0".
func key(pk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: "0"}}
}

// TestShim_Read checks the shim's Scan and Query against what DynamoDB
// answers: a scan returns every item, page by page, as the table is at the
// time; a table query returns its partition's items in sort-key order
// (backwards too), page by page; an index query returns every item with
// the index key, whatever its partition, in the index's order.
func TestShim_Read(t *testing.T) {
	ctx := context.Background()
	cfg := shimConfig(t)
	db := dynamodb.NewFromConfig(cfg)
	table := "shim-query"
	in := pkSKTable(table)
	in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String("g"), AttributeType: types.ScalarAttributeTypeS})
	in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{{
		IndexName:  aws.String("by-g"),
		KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("g"), KeyType: types.KeyTypeHash}, {AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange}},
		Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
	}}
	createTable(ctx, t, db, in)
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	for _, it := range [][3]string{{"a", "3", "x"}, {"b", "1", "x"}, {"a", "1", ""}, {"a", "2", "x"}, {"c", "0", "y"}} {
		item := map[string]types.AttributeValue{"pk": s(it[0]), "sk": s(it[1])}
		if it[2] != "" {
			item["g"] = s(it[2])
		}
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	scan := func() []string {
		t.Helper()
		var got []string
		p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: aws.String(table), Limit: aws.Int32(2)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("Scan: %v", err)
			}
			for _, it := range out.Items {
				got = append(got, it["pk"].(*types.AttributeValueMemberS).Value+it["sk"].(*types.AttributeValueMemberS).Value)
			}
		}
		slices.Sort(got)
		return got
	}
	if diff := cmp.Diff([]string{"a1", "a2", "a3", "b1", "c0"}, scan()); diff != "" {
		t.Errorf("scan (-want +got):\n%s", diff)
	}
	// The shim keeps the table's order between scans: a put and a delete
	// must show in the next one.
	if _, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{"pk": s("a"), "sk": s("2")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{"pk": s("d"), "sk": s("9")}}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a1", "a3", "b1", "c0", "d9"}, scan()); diff != "" {
		t.Errorf("scan after a delete and a put (-want +got):\n%s", diff)
	}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{"pk": s("a"), "sk": s("2"), "g": s("x")}}); err != nil {
		t.Fatal(err)
	}

	query := func(in dynamodb.QueryInput) []string {
		t.Helper()
		var got []string
		for {
			out, err := db.Query(ctx, &in)
			if err != nil {
				t.Fatalf("Query: %v", err)
			}
			for _, it := range out.Items {
				got = append(got, it["pk"].(*types.AttributeValueMemberS).Value+it["sk"].(*types.AttributeValueMemberS).Value)
			}
			if out.LastEvaluatedKey == nil {
				return got
			}
			in.ExclusiveStartKey = out.LastEvaluatedKey
		}
	}
	tests := []struct {
		name  string
		in    dynamodb.QueryInput
		value string // of :v
		want  []string
	}{
		{"partition in pages", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :v"), Limit: aws.Int32(2)}, "a", []string{"a1", "a2", "a3"}},
		{"partition backwards", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :v"), ScanIndexForward: aws.Bool(false)}, "a", []string{"a3", "a2", "a1"}},
		{"index in pages", dynamodb.QueryInput{IndexName: aws.String("by-g"), KeyConditionExpression: aws.String("g = :v"), Limit: aws.Int32(1)}, "x", []string{"b1", "a2", "a3"}},
		{"empty partition", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :v")}, "zz", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.TableName = aws.String(table)
			in.ExpressionAttributeValues = map[string]types.AttributeValue{":v": s(tt.value)}
			if diff := cmp.Diff(tt.want, query(in)); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
		})
	}
	// The shim groups the items by index key between writes: an update
	// that moves an item to another index key must show in the next query.
	if _, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{"pk": s("b"), "sk": s("1")},
		UpdateExpression: aws.String("SET g = :g"), ExpressionAttributeValues: map[string]types.AttributeValue{":g": s("y")}}); err != nil {
		t.Fatal(err)
	}
	for v, want := range map[string][]string{"x": {"a2", "a3"}, "y": {"c0", "b1"}} {
		in := dynamodb.QueryInput{TableName: aws.String(table), IndexName: aws.String("by-g"), KeyConditionExpression: aws.String("g = :v"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": s(v)}}
		if diff := cmp.Diff(want, query(in)); diff != "" {
			t.Errorf("index key %s after an update (-want +got):\n%s", v, diff)
		}
	}
}

// TestShim_QueryRange checks the shim's sort-key conditions, which it
// answers from the partition kept sorted, against what DynamoDB answers:
// each condition, forwards and backwards, page by page, and after a put
// and a delete in the partition, which must show in the next query.
func TestShim_QueryRange(t *testing.T) {
	ctx := context.Background()
	db := dynamodb.NewFromConfig(shimConfig(t))
	table := "shim-range"
	createTable(ctx, t, db, pkSKTable(table))
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	write := func(put bool, sk string) {
		t.Helper()
		k := map[string]types.AttributeValue{"pk": s("p"), "sk": s(sk)}
		var err error
		if put {
			_, err = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: k})
		} else {
			_, err = db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: k})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, sk := range []string{"l#2", "k#9", "m#1", "l#1", "l#3", "l"} {
		write(true, sk)
	}
	query := func(cond string, values map[string]string, forward bool) []string {
		t.Helper()
		in := &dynamodb.QueryInput{TableName: aws.String(table), KeyConditionExpression: aws.String("pk = :p AND " + cond),
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("p")}, ScanIndexForward: aws.Bool(forward), Limit: aws.Int32(1)}
		for k, v := range values {
			in.ExpressionAttributeValues[k] = s(v)
		}
		var got []string
		for {
			out, err := db.Query(ctx, in)
			if err != nil {
				t.Fatalf("Query %s: %v", cond, err)
			}
			for _, it := range out.Items {
				got = append(got, it["sk"].(*types.AttributeValueMemberS).Value)
			}
			if out.LastEvaluatedKey == nil {
				return got
			}
			in.ExclusiveStartKey = out.LastEvaluatedKey
		}
	}
	tests := []struct {
		cond    string
		values  map[string]string
		forward bool
		want    []string
	}{
		{"begins_with(sk, :a)", map[string]string{":a": "l#"}, true, []string{"l#1", "l#2", "l#3"}},
		{"begins_with(sk, :a)", map[string]string{":a": "l#"}, false, []string{"l#3", "l#2", "l#1"}},
		{"begins_with(sk, :a)", map[string]string{":a": "n"}, true, nil},
		{"sk BETWEEN :a AND :b", map[string]string{":a": "l#2", ":b": "m#1"}, true, []string{"l#2", "l#3", "m#1"}},
		{"sk = :a", map[string]string{":a": "l#3"}, true, []string{"l#3"}},
		{"sk < :a", map[string]string{":a": "l#1"}, true, []string{"k#9", "l"}},
		{"sk <= :a", map[string]string{":a": "l#1"}, false, []string{"l#1", "l", "k#9"}},
		{"sk > :a", map[string]string{":a": "l#3"}, true, []string{"m#1"}},
		{"sk >= :a", map[string]string{":a": "l#3"}, false, []string{"m#1", "l#3"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, query(tt.cond, tt.values, tt.forward)); diff != "" {
			t.Errorf("%s %v forward=%v (-want +got):\n%s", tt.cond, tt.values, tt.forward, diff)
		}
	}
	write(true, "l#25")
	write(false, "l#1")
	if diff := cmp.Diff([]string{"l#2", "l#25", "l#3"}, query("begins_with(sk, :a)", map[string]string{":a": "l#"}, true)); diff != "" {
		t.Errorf("after a put and a delete (-want +got):\n%s", diff)
	}
}

// TestShim_RetriedTransaction: DynamoDB answers a TransactWriteItems sent
// again with the same ClientRequestToken as it answered the first, without
// writing again (the SDK keeps the token across its retries, so a lost
// answer is retried safely), and refuses the token with another body.
// moto alone ignores the token, and the retry fails its own conditions.
func TestShim_RetriedTransaction(t *testing.T) {
	ctx := context.Background()
	cfg := shimConfig(t)
	db := dynamodb.NewFromConfig(cfg)
	table := createStreamTable(ctx, t, db)
	create := func(pk, v string) *dynamodb.TransactWriteItemsInput {
		item := key(pk)
		item["v"] = &types.AttributeValueMemberS{Value: v}
		return &dynamodb.TransactWriteItemsInput{
			ClientRequestToken: aws.String("token-1"),
			TransactItems: []types.TransactWriteItem{{Put: &types.Put{TableName: aws.String(table), Item: item,
				ConditionExpression: aws.String("attribute_not_exists(pk)")}}},
		}
	}
	if _, err := db.TransactWriteItems(ctx, create("once", "first")); err != nil {
		t.Fatalf("first: %v", err)
	}
	if _, err := db.TransactWriteItems(ctx, create("once", "first")); err != nil {
		t.Errorf("the same transaction with the same token: %v, want the first answer", err)
	}
	var mismatch *types.IdempotentParameterMismatchException
	if _, err := db.TransactWriteItems(ctx, create("once", "other")); !errors.As(err, &mismatch) {
		t.Errorf("the same token with another body: %v, want IdempotentParameterMismatchException", err)
	}
	if diff := cmp.Diff(map[string]string{"pk": "once", "sk": "0", "v": "first"}, get(ctx, t, db, table, "once")); diff != "" {
		t.Errorf("item after the retries (-want +got):\n%s", diff)
	}
	retry := create("once", "first")
	retry.ClientRequestToken = aws.String("token-2")
	var canceled *types.TransactionCanceledException
	if _, err := db.TransactWriteItems(ctx, retry); !errors.As(err, &canceled) {
		t.Errorf("the same transaction with a new token: %v, want its condition to fail", err)
	}
}
