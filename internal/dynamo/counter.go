package dynamo

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

// Counter counts the DynamoDB calls a client makes, by operation. Tests use
// it to hold each API operation to a fixed number of calls (no N+1, no Scan).
type Counter struct {
	mu       sync.Mutex
	calls    map[string]int
	capacity float64
}

// NewCounter returns an empty counter.
func NewCounter() *Counter { return &Counter{calls: map[string]int{}} }

// Option installs the counter on a client: dynamodb.NewFromConfig(cfg, c.Option).
func (c *Counter) Option(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("mercatoCallCounter",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				c.add(middleware.GetOperationName(ctx))
				estimate := askCapacity(in.Parameters)
				out, md, err := next.HandleInitialize(ctx, in)
				if err == nil {
					c.addCapacity(reportedCapacity(out.Result), estimate)
				}
				return out, md, err
			}), middleware.Before)
	})
}

func (c *Counter) addCapacity(reported, estimate float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if reported > 0 {
		c.capacity += reported
		return
	}
	c.capacity += estimate
}

// Capacity returns the capacity units consumed since the last Reset: what
// DynamoDB reported, or, where the emulator reports nothing (moto does not
// for transactions), DynamoDB's published rule for transactional writes: 2
// write units per item per started KB.
func (c *Counter) Capacity() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.capacity
}

// askCapacity asks DynamoDB to report consumed capacity, and estimates
// what a transaction will consume.
func askCapacity(params any) float64 {
	total := types.ReturnConsumedCapacityTotal
	switch in := params.(type) {
	case *dynamodb.GetItemInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.QueryInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.BatchGetItemInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.PutItemInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.UpdateItemInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.DeleteItemInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.BatchWriteItemInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.TransactWriteItemsInput:
		in.ReturnConsumedCapacity = total
		units := 0.0
		for _, it := range in.TransactItems {
			size := 1
			if it.Put != nil {
				size = ItemSize(it.Put.Item)
			}
			units += 2 * float64((size+1023)/1024)
		}
		return units
	}
	return 0
}

func reportedCapacity(result any) float64 {
	sum := func(cs []types.ConsumedCapacity) float64 {
		t := 0.0
		for _, c := range cs {
			t += aws.ToFloat64(c.CapacityUnits)
		}
		return t
	}
	one := func(c *types.ConsumedCapacity) float64 {
		if c == nil {
			return 0
		}
		return aws.ToFloat64(c.CapacityUnits)
	}
	switch out := result.(type) {
	case *dynamodb.GetItemOutput:
		return one(out.ConsumedCapacity)
	case *dynamodb.QueryOutput:
		return one(out.ConsumedCapacity)
	case *dynamodb.PutItemOutput:
		return one(out.ConsumedCapacity)
	case *dynamodb.UpdateItemOutput:
		return one(out.ConsumedCapacity)
	case *dynamodb.DeleteItemOutput:
		return one(out.ConsumedCapacity)
	case *dynamodb.BatchGetItemOutput:
		return sum(out.ConsumedCapacity)
	case *dynamodb.BatchWriteItemOutput:
		return sum(out.ConsumedCapacity)
	case *dynamodb.TransactWriteItemsOutput:
		return sum(out.ConsumedCapacity)
	}
	return 0
}

func (c *Counter) add(op string) {
	c.mu.Lock()
	c.calls[op]++
	c.mu.Unlock()
}

// Reset forgets every count.
func (c *Counter) Reset() {
	c.mu.Lock()
	c.calls = map[string]int{}
	c.capacity = 0
	c.mu.Unlock()
}

// Calls returns a copy of the counts by operation name.
func (c *Counter) Calls() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.calls))
	for k, v := range c.calls {
		out[k] = v
	}
	return out
}

// Total returns the number of calls of every kind.
func (c *Counter) Total() int {
	n := 0
	for _, v := range c.Calls() {
		n += v
	}
	return n
}

// String renders the counts as "GetItem=1 Query=2", sorted, for messages.
func (c *Counter) String() string {
	calls := c.Calls()
	names := make([]string, 0, len(calls))
	for k := range calls {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, k := range names {
		parts = append(parts, k+"="+strconv.Itoa(calls[k]))
	}
	return strings.Join(parts, " ")
}
