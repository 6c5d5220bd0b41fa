package fulfillment

import (
	"fmt"
	"testing"

	"github.com/mercato-dev/mercato/internal/dynamo"
)

func TestReindexParams(t *testing.T) {
	asset := func(status string, values ...string) Asset {
		a := Asset{ID: "AS-1111-2222-3333", Status: status, Product: Ref{ID: "PRD-1"}, Marketplace: Ref{ID: "MP-1"}}
		for i, v := range values {
			a.Params = append(a.Params, AssetParam{ID: fmt.Sprintf("PRM-%d", i), Name: fmt.Sprintf("p%d", i), Value: v})
		}
		return a
	}
	many := make([]string, MaxParamLookups+10)
	for i := range many {
		many[i] = fmt.Sprintf("v%d", i)
	}
	for _, c := range []struct {
		name          string
		before, after Asset
		items         int
	}{
		{"a purchase waiting for approval is not indexed", Asset{}, asset(AssetProcessing, "a", "b"), 0},
		{"approval indexes every valued parameter", asset(AssetProcessing, "a", "b"), asset(AssetActive, "a", "b", ""), 2},
		{"nothing changed: no item", asset(AssetActive, "a", "b"), asset(AssetActive, "a", "b"), 0},
		{"a changed value: a delete and a put", asset(AssetActive, "a", "b"), asset(AssetActive, "a", "c"), 2},
		{"termination keeps the items", asset(AssetActive, "a"), asset(AssetTerminated, "a"), 0},
		{"at most MaxParamLookups parameters", asset(AssetProcessing), asset(AssetActive, many...), MaxParamLookups},
	} {
		t.Run(c.name, func(t *testing.T) {
			tx := (&dynamo.Table{Name: "t"}).Tx()
			reindexParams(tx, c.before, c.after)
			if tx.Len() != c.items {
				t.Errorf("%d items, want %d", tx.Len(), c.items)
			}
		})
	}
}
