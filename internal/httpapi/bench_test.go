package httpapi_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/ident"
)

// BenchmarkAPI_Order measures orders per second through the whole handler
// stack (auth, validation, catalog facts, one TransactWriteItems) against
// the emulator, and in the same run the emulator's own rate for a bare
// TransactWriteItems of the same items, copied from a real order's
// transaction: the ratio is Mercato's overhead per order. It also reports
// the DynamoDB calls and capacity units of an order and of the bare
// transaction, the least an order can cost. The orders are a warm
// instance's: the token, customer, listing and version come from its
// caches, and the transaction checks the customer and the product's guard.
func BenchmarkAPI_Order(b *testing.B) {
	s, rec := newRecordingShop(b)
	body := map[string]any{"lineItems": []any{s.line(s.lab.item, 2)}}
	// Warm the emulator, the clients and the instance's caches once, and
	// copy the order's write (a cold one's, without the checks).
	s.do(http.MethodPost, s.ordersPath(), s.provider.Token.Value, body, http.StatusCreated, nil)
	items := bareItemsOf(b, rec.last())

	var api, bare cost
	b.ResetTimer()
	for range b.N {
		bare.add(s.counter, func() {
			if err := bareTransact(b.Context(), s.app.Table.Client.TransactWriteItems, s.app.Config.TableName, items); err != nil {
				b.Fatal(err)
			}
		})
		api.add(s.counter, func() {
			if r := s.call2(http.MethodPost, s.ordersPath(), body); r.status != http.StatusCreated {
				b.Fatalf("order = %d %s", r.status, r.body)
			}
		})
	}
	b.StopTimer()
	reportVsBare(b, "order", api, bare)
}

// cost is what a benchmark's calls of one kind took: wall time in all and
// call by call, DynamoDB calls and capacity units.
type cost struct {
	elapsed time.Duration
	each    []time.Duration
	calls   int
	units   float64
}

// add runs f and adds what it took. The API and its bare baseline take
// turns, one call each, rather than running as two loops: the emulator's
// reads and writes slow down as its table grows, so whichever loop ran
// second would pay for the items the first one wrote.
func (c *cost) add(counter *dynamo.Counter, f func()) {
	calls, units := counter.Total(), counter.Capacity()
	start := time.Now()
	f()
	d := time.Since(start)
	c.elapsed += d
	c.each = append(c.each, d)
	c.calls += counter.Total() - calls
	c.units += counter.Capacity() - units
}

// reportVsBare reports the rate of op through the API and of its bare
// transaction, their ratio, the time the API adds to each op, and the
// calls and capacity units of each per op, under the metric names
// infra/cmd/bench reads.
func reportVsBare(b *testing.B, op string, api, bare cost) {
	b.Helper()
	n := float64(b.N)
	b.ReportMetric(n/api.elapsed.Seconds(), op+"s/s")
	b.ReportMetric(n/bare.elapsed.Seconds(), "bare-tx/s")
	b.ReportMetric(bare.elapsed.Seconds()/api.elapsed.Seconds(), "ratio")
	b.ReportMetric(float64(medianAdded(api.each, bare.each).Microseconds())/1000, "added-ms/"+op)
	b.ReportMetric(float64(api.calls)/n, "ddb-calls/"+op)
	b.ReportMetric(api.units/n, "capacity-units/"+op)
	b.ReportMetric(float64(bare.calls)/n, "bare-ddb-calls/"+op)
	b.ReportMetric(bare.units/n, "bare-capacity-units/"+op)
}

type transactFunc func(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)

// bareTransact writes items, as new items of a partition of their own, in
// one TransactWriteItems.
func bareTransact(ctx context.Context, transact transactFunc, table string, items []map[string]types.AttributeValue) error {
	pk := &types.AttributeValueMemberS{Value: "BENCH#" + ident.UUID()}
	tx := make([]types.TransactWriteItem, 0, len(items))
	for _, it := range items {
		put := maps.Clone(it)
		put[dynamo.PK] = pk
		tx = append(tx, types.TransactWriteItem{Put: &types.Put{
			TableName: aws.String(table), Item: put, ConditionExpression: aws.String("attribute_not_exists(pk)"),
		}})
	}
	_, err := transact(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx})
	return err
}

// medianAdded is the median of what each API call took over the bare
// call made just before it. The emulator's calls slow down as the table
// grows and stall now and then on a shared machine; both move the two rates and
// their ratio, but a pair of calls sees the same table, and the median
// ignores the stalls, so this is the time Mercato itself adds.
func medianAdded(api, bare []time.Duration) time.Duration {
	diffs := make([]time.Duration, 0, len(api))
	for i := range min(len(api), len(bare)) {
		diffs = append(diffs, api[i]-bare[i])
	}
	if len(diffs) == 0 {
		return 0
	}
	slices.Sort(diffs)
	return diffs[len(diffs)/2]
}

// BenchmarkAPI_CatalogRead reports what the provider's catalog costs: the
// calls and capacity units of GET /v1/products and of one product's skus,
// against one Query of the product's partition (the least any read can
// do: one call).
func BenchmarkAPI_CatalogRead(b *testing.B) {
	s := newShop(b)
	skus := "/v1/products/" + s.lab.product.ID + "/skus?country=US"
	b.ResetTimer()
	s.counter.Reset()
	for range b.N {
		s.do(http.MethodGet, "/v1/products?country=US", s.provider.Token.Value, nil, http.StatusOK, nil)
		s.do(http.MethodGet, skus, s.provider.Token.Value, nil, http.StatusOK, nil)
	}
	b.StopTimer()
	calls, units := s.counter.Total(), s.counter.Capacity()
	s.counter.Reset()
	for range b.N {
		if err := queryPartition(b.Context(), s.app.Table.Client, s.app.Config.TableName, "PRODUCT#"+s.lab.product.ID); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(calls)/float64(2*b.N), "ddb-calls/read")
	b.ReportMetric(units/float64(2*b.N), "capacity-units/read")
	b.ReportMetric(float64(s.counter.Total())/float64(b.N), "bare-ddb-calls/read")
	b.ReportMetric(s.counter.Capacity()/float64(b.N), "bare-capacity-units/read")
}

func queryPartition(ctx context.Context, client dynamo.API, table, pk string) error {
	_, err := client.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}},
	})
	if err != nil {
		return fmt.Errorf("query %s: %w", pk, err)
	}
	return nil
}

// BenchmarkAPI_Approve measures approves per second through the whole
// handler stack (auth, the request and its asset in one TransactGetItems,
// the product version, one TransactWriteItems; warm, the token and the
// version come from the instance's caches) against the emulator and,
// in the same run, the emulator's rate for a bare TransactWriteItems of
// the items the approve writes, copied from a real approve's transaction.
// It reports the calls and capacity units of both. Each approve needs a
// pending request of its own, so the orders are placed and their
// fulfillment parameter filled before the timer starts.
func BenchmarkAPI_Approve(b *testing.B) {
	s, rec := newRecordingShop(b)
	approve := map[string]any{"template_id": s.lab.template.ID}
	// Warm the emulator and the clients once, and copy the approve's write.
	s.do(http.MethodPost, reqPath(filledRequest(b, s), "approve"), s.vendor.Token.Value, approve, http.StatusOK, nil)
	items := bareItemsOf(b, rec.last())
	ids := make([]string, b.N)
	for i := range ids {
		ids[i] = filledRequest(b, s)
	}

	var api, bare cost
	b.ResetTimer()
	for _, id := range ids {
		bare.add(s.counter, func() {
			if err := bareTransact(b.Context(), s.app.Table.Client.TransactWriteItems, s.app.Config.TableName, items); err != nil {
				b.Fatal(err)
			}
		})
		api.add(s.counter, func() {
			if r := s.call(http.MethodPost, reqPath(id, "approve"), s.vendor.Token.Value, approve); r.status != http.StatusOK {
				b.Fatalf("approve = %d %s", r.status, r.body)
			}
		})
	}
	b.StopTimer()
	reportVsBare(b, "approve", api, bare)
}

// filledRequest places a one-line order and fills the purchase request's
// fulfillment parameter, so that it can be approved; it returns the
// request's id.
func filledRequest(b *testing.B, s *shop) string {
	b.Helper()
	var o struct {
		LineItems []struct {
			SubscriptionID string `json:"subscriptionId"`
		} `json:"lineItems"`
	}
	s.do(http.MethodPost, s.ordersPath(), s.provider.Token.Value, map[string]any{"lineItems": []any{s.line(s.lab.item, 1)}}, http.StatusCreated, &o)
	if len(o.LineItems) != 1 {
		b.Fatalf("order has %d lines, want 1", len(o.LineItems))
	}
	id := fulfillment.RequestID(o.LineItems[0].SubscriptionID, 1)
	s.do(http.MethodPut, reqPath(id), s.vendor.Token.Value, map[string]any{"asset": map[string]any{"params": []any{
		map[string]any{"id": "param_admin_email", "value": "admin@contoso.example"}}}}, http.StatusOK, nil)
	return id
}

// newRecordingShop is newShop whose API runs on an app of the same stack
// whose client also keeps the last transaction, as
// TestFulfillment_ConcurrentApprove builds one.
func newRecordingShop(b *testing.B) (*shop, *txRecorder) {
	b.Helper()
	s := newShop(b)
	rec := &txRecorder{}
	s.app = stacktest.Shared(b).App(b, app.Options{DynamoOptions: []func(*dynamodb.Options){s.counter.Option, rec.option}})
	s.api = s.app.API()
	return s, rec
}

// txRecorder keeps the last TransactWriteItems a client sends.
type txRecorder struct {
	mu sync.Mutex
	tx *dynamodb.TransactWriteItemsInput
}

func (r *txRecorder) option(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("benchTxRecorder",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if tx, ok := in.Parameters.(*dynamodb.TransactWriteItemsInput); ok {
					r.mu.Lock()
					r.tx = tx
					r.mu.Unlock()
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	})
}

func (r *txRecorder) last() *dynamodb.TransactWriteItemsInput {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tx
}

// bareItemsOf turns a transaction into items for bareTransact: a put's
// item as it is, any other write's key, each under a sort key of its own
// since bareTransact gives them all one partition.
func bareItemsOf(b *testing.B, tx *dynamodb.TransactWriteItemsInput) []map[string]types.AttributeValue {
	b.Helper()
	if tx == nil || len(tx.TransactItems) == 0 {
		b.Fatal("no transaction recorded")
	}
	out := make([]map[string]types.AttributeValue, 0, len(tx.TransactItems))
	for i, it := range tx.TransactItems {
		item := writtenItem(it)
		sk, _ := item[dynamo.SK].(*types.AttributeValueMemberS)
		if sk == nil {
			b.Fatalf("item %d of the transaction has no string sort key", i)
		}
		copied := maps.Clone(item)
		copied[dynamo.SK] = &types.AttributeValueMemberS{Value: fmt.Sprintf("%d#%s", i, sk.Value)}
		out = append(out, copied)
	}
	return out
}

func writtenItem(it types.TransactWriteItem) map[string]types.AttributeValue {
	switch {
	case it.Put != nil:
		return it.Put.Item
	case it.Update != nil:
		return it.Update.Key
	case it.Delete != nil:
		return it.Delete.Key
	case it.ConditionCheck != nil:
		return it.ConditionCheck.Key
	}
	return nil
}
