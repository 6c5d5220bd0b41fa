package layout

import (
	"context"

	"github.com/mercato-dev/mercato/internal/dynamo"
)

// countRow is one of a list's count items (CountKeys), kept by the relay.
type countRow struct {
	N int `dynamodbav:"n"`
}

// Count sums the count items of lists: one BatchGetItem, whatever the
// lists' size.
func Count(ctx context.Context, t *dynamo.Table, lists ...dynamo.Sharded) (int, error) {
	var keys []dynamo.Key
	for _, l := range lists {
		keys = append(keys, CountKeys(l)...)
	}
	rows, err := dynamo.BatchGet[countRow](ctx, t, dynamo.BatchRead{Keys: keys})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range rows {
		n += r.N
	}
	return max(n, 0), nil
}
