package dynamo_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/fault"
)

// failingAPI answers every call the table makes with err, as the SDK
// returns it once its own retries are spent.
type failingAPI struct {
	dynamo.API
	err error
}

func (f failingAPI) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return nil, f.err
}

func (f failingAPI) Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	return nil, f.err
}

func (f failingAPI) BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	return nil, f.err
}

func (f failingAPI) TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	return nil, f.err
}

func httpStatus(code int) error {
	return &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: code}}, Err: errors.New("answer")}
}

// TestTable_Unavailable checks that every table call reports throttling
// and outages as fault.Unavailable (the HTTP layer's 503 with
// Retry-After), and any other failure as it was.
func TestTable_Unavailable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"provisioned throughput exceeded", &types.ProvisionedThroughputExceededException{Message: aws.String("slow down")}, true},
		{"throttling", &smithy.GenericAPIError{Code: "ThrottlingException"}, true},
		{"a 500", httpStatus(http.StatusInternalServerError), true},
		{"retry quota spent", ratelimit.QuotaExceededError{}, true},
		{"deadline", context.DeadlineExceeded, true},
		{"canceled by the caller", context.Canceled, false},
		{"a 400", &smithy.GenericAPIError{Code: "ValidationException"}, false},
		{"missing table", &types.ResourceNotFoundException{Message: aws.String("no table")}, false},
	}
	calls := map[string]func(*dynamo.Table) error{
		"get": func(tb *dynamo.Table) error {
			var out map[string]any
			return tb.Get(context.Background(), dynamo.Key{PK: "a", SK: "b"}, &out)
		},
		"query": func(tb *dynamo.Table) error {
			_, err := tb.Query(context.Background(), &dynamodb.QueryInput{})
			return err
		},
		"batch get": func(tb *dynamo.Table) error {
			_, err := dynamo.BatchGet[map[string]any](context.Background(), tb, dynamo.BatchRead{Keys: []dynamo.Key{{PK: "a", SK: "b"}}})
			return err
		},
		"commit": func(tb *dynamo.Table) error {
			return tb.Tx().Put("item", map[string]string{"pk": "a", "sk": "b"}, nil).Commit(context.Background())
		},
	}
	for _, tt := range tests {
		for call, do := range calls {
			t.Run(tt.name+"/"+call, func(t *testing.T) {
				err := do(&dynamo.Table{Client: failingAPI{err: tt.err}, Name: "t"})
				if got := fault.Is(err, fault.Unavailable); got != tt.want {
					t.Fatalf("fault.Unavailable = %v, want %v (error %v)", got, tt.want, err)
				}
				if !errors.Is(err, tt.err) {
					t.Errorf("error %v does not wrap the call's %v", err, tt.err)
				}
			})
		}
	}
}
