package dynamo

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// BatchRead names the items one BatchGet reads.
type BatchRead struct {
	Keys []Key
	// Consistent asks for strongly consistent reads, for callers that write
	// what they read back under a condition.
	Consistent bool
	// Projection, when set, is the ProjectionExpression of every call.
	Projection string
}

// Pauses before asking again for keys DynamoDB left unprocessed (it does so
// when throttled, and asks callers to back off exponentially).
const (
	batchFirstPause = 50 * time.Millisecond
	batchMaxPause   = 2 * time.Second
)

// BatchGet reads the items of b.Keys, 100 per BatchGetItem, asking again for
// any keys left unprocessed, and decodes each into T. A key with no item is
// absent from the result, and the result is in no particular order. A key
// named twice is read once: BatchGetItem refuses a request that repeats one.
func BatchGet[T any](ctx context.Context, t *Table, b BatchRead) ([]T, error) {
	var out []T
	for chunk := range slices.Chunk(uniqueKeys(b.Keys), 100) {
		ka := types.KeysAndAttributes{Keys: make([]map[string]types.AttributeValue, 0, len(chunk))}
		for _, k := range chunk {
			ka.Keys = append(ka.Keys, k.AV())
		}
		if b.Consistent {
			ka.ConsistentRead = aws.Bool(true)
		}
		if b.Projection != "" {
			ka.ProjectionExpression = aws.String(b.Projection)
		}
		items, err := batchGetAll[T](ctx, t, map[string]types.KeysAndAttributes{t.Name: ka})
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
	}
	return out, nil
}

// batchGetAll sends req until nothing is left unprocessed.
func batchGetAll[T any](ctx context.Context, t *Table, req map[string]types.KeysAndAttributes) ([]T, error) {
	var out []T
	for pause := batchFirstPause; ; pause = min(pause*2, batchMaxPause) {
		res, err := t.Client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return nil, fmt.Errorf("dynamo: batch get: %w", Unavailable(err))
		}
		var items []T
		if err := attributevalue.UnmarshalListOfMaps(res.Responses[t.Name], &items); err != nil {
			return nil, fmt.Errorf("dynamo: decode batch get: %w", err)
		}
		out = append(out, items...)
		req = res.UnprocessedKeys
		if len(req) == 0 {
			return out, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("dynamo: batch get: %w", Unavailable(ctx.Err()))
		case <-time.After(pause):
		}
	}
}

func uniqueKeys(keys []Key) []Key {
	seen := make(map[Key]bool, len(keys))
	out := make([]Key, 0, len(keys))
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}
