package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// BenchmarkAPI_Order measures orders per second through the whole handler
// stack (auth, validation, catalog reads, one TransactWriteItems) against
// the emulator, and in the same run the emulator's own rate for a bare
// TransactWriteItems of the same items: the ratio is Mercato's overhead per
// order. It also reports the DynamoDB calls an order makes.
func BenchmarkAPI_Order(b *testing.B) {
	s := newShop(b)
	body := map[string]any{"lineItems": []any{s.line(s.lab.item, 2)}}
	// Warm the emulator and the clients once.
	s.do(http.MethodPost, s.ordersPath(), s.provider.Token.Value, body, http.StatusCreated, nil)
	sample := s.call2(http.MethodPost, s.ordersPath(), body)
	items := bareOrderItems(b, len(sample.body))

	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if err := bareTransact(b.Context(), s.app.Table.Client.TransactWriteItems, s.app.Config.TableName, items); err != nil {
			b.Fatal(err)
		}
	}
	bare := time.Since(start)
	s.counter.Reset()
	start = time.Now()
	for range b.N {
		if r := s.call2(http.MethodPost, s.ordersPath(), body); r.status != http.StatusCreated {
			b.Fatalf("order = %d %s", r.status, r.body)
		}
	}
	api := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/api.Seconds(), "orders/s")
	b.ReportMetric(float64(b.N)/bare.Seconds(), "bare-tx/s")
	b.ReportMetric(bare.Seconds()/api.Seconds(), "ratio")
	b.ReportMetric(float64(s.counter.Total())/float64(b.N), "ddb-calls/order")
	b.ReportMetric(s.counter.Capacity()/float64(b.N), "capacity-units/order")
}

type transactFunc func(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)

// bareOrderItems builds six items like those a one-line order writes
// (order, asset, request, three events), each about the size of the
// order's answer.
func bareOrderItems(b *testing.B, approxSize int) []map[string]types.AttributeValue {
	b.Helper()
	var out []map[string]types.AttributeValue
	for i := range 6 {
		av, err := attributevalue.MarshalMap(map[string]string{"pk": "", "sk": fmt.Sprint(i), "doc": strings.Repeat("x", approxSize)})
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, av)
	}
	return out
}

var bareSeq int

func bareTransact(ctx context.Context, transact transactFunc, table string, items []map[string]types.AttributeValue) error {
	bareSeq++
	tx := make([]types.TransactWriteItem, 0, len(items))
	for _, it := range items {
		put := map[string]types.AttributeValue{}
		for k, v := range it {
			put[k] = v
		}
		put["pk"] = &types.AttributeValueMemberS{Value: fmt.Sprintf("BENCH#%d", bareSeq)}
		tx = append(tx, types.TransactWriteItem{Put: &types.Put{
			TableName: aws.String(table), Item: put, ConditionExpression: aws.String("attribute_not_exists(pk)"),
		}})
	}
	_, err := transact(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx})
	return err
}

// BenchmarkAPI_CatalogRead reports what the provider's catalog costs: the
// calls and capacity units of GET /v1/products and of one product's skus,
// against reading the product partition alone (the least any read can do).
func BenchmarkAPI_CatalogRead(b *testing.B) {
	s := newShop(b)
	skus := "/v1/products/" + s.lab.product.ID + "/skus?country=US"
	s.counter.Reset()
	for range b.N {
		s.do(http.MethodGet, "/v1/products?country=US", s.provider.Token.Value, nil, http.StatusOK, nil)
		s.do(http.MethodGet, skus, s.provider.Token.Value, nil, http.StatusOK, nil)
	}
	b.ReportMetric(float64(s.counter.Total())/float64(2*b.N), "ddb-calls/read")
	b.ReportMetric(s.counter.Capacity()/float64(2*b.N), "capacity-units/read")
}
