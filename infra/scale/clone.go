package scale

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// idPattern matches the platform's ids: Partner Center order ids (12 hex
// digits), Connect-style ids (PR-1234-5678-9012-001) and UUIDs.
var idPattern = regexp.MustCompile(`\b[0-9a-f]{12}\b|\b[A-Z]{1,4}(?:-\d{3,})+\b|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`)

// Cloner seeds a tenant at size by copying the items that one real order
// left in the table, each copy with fresh ids: the copies are shaped
// exactly as the stores write them, whatever the layout, at the cost of a
// BatchWriteItem per 25 items instead of the whole pipeline per order.
type Cloner struct {
	Raw    *dynamodb.Client
	Schema Schema
	// TTL is the table's time-to-live attribute: items that carry it
	// (events, dedupe marks, idempotency records) are short-lived and not
	// copied.
	TTL string
	// Vary, when set, makes copy k's replacements (k counts every copy
	// this Cloner wrote) from the pairs that fresh draws (each id of the
	// family and a new one), drawing again if need be, and may add pairs
	// of its own: a copy that must sit where the real one does not
	// (another shard of an index, another day) says so here.
	Vary func(k int, fresh func() []string) []string

	family []map[string]types.AttributeValue
	ids    []string
	made   int
}

// ScanIDs returns every id that the table's items mention.
func ScanIDs(ctx context.Context, raw *dynamodb.Client, table string) (map[string]bool, []map[string]types.AttributeValue, error) {
	ids := map[string]bool{}
	var all []map[string]types.AttributeValue
	p := dynamodb.NewScanPaginator(raw, &dynamodb.ScanInput{TableName: aws.String(table)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("scale: scan the table: %w", err)
		}
		for _, it := range page.Items {
			walkStrings(it, func(s string) {
				for _, id := range idPattern.FindAllString(s, -1) {
					ids[id] = true
				}
			})
		}
		all = append(all, page.Items...)
	}
	return ids, all, nil
}

// Learn finds the items of the order seed: the items whose key holds the
// order's id or the id of an item that mentions it (its requests, assets,
// subscriptions), ids that existed before the orders (shared) excepted,
// short-lived items skipped.
func (c *Cloner) Learn(items []map[string]types.AttributeValue, seed string, shared map[string]bool) {
	family := map[string]bool{seed: true}
	for range 3 {
		for _, it := range items {
			mentions := false
			walkStrings(it, func(s string) { mentions = mentions || containsAny(s, family) })
			if !mentions {
				continue
			}
			// Only the ids of its key: an item that merely lists the
			// order (a customer's roll-up) must not pull in every other
			// order it lists.
			walkStrings(c.Schema.Key(it), func(s string) {
				for _, id := range idPattern.FindAllString(s, -1) {
					if !shared[id] {
						family[id] = true
					}
				}
			})
		}
	}
	c.ids = c.ids[:0]
	for id := range family {
		c.ids = append(c.ids, id)
	}
	c.family = c.family[:0]
	for _, it := range items {
		if _, ok := it[c.TTL]; ok && c.TTL != "" {
			continue
		}
		mentions := false
		walkStrings(c.Schema.Key(it), func(s string) { mentions = mentions || containsAny(s, family) })
		if mentions {
			c.family = append(c.family, it)
		}
	}
}

// Family is how many items one copy writes.
func (c *Cloner) Family() int { return len(c.family) }

// Clone writes n copies of the order's items.
func (c *Cloner) Clone(ctx context.Context, n int) error {
	batches := make(chan []types.WriteRequest)
	errs := make(chan error, 4)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for b := range batches {
				if err := c.write(ctx, b); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var batch []types.WriteRequest
	var err error
feed:
	for range n {
		r := strings.NewReplacer(c.pairs()...)
		for _, it := range c.family {
			batch = append(batch, types.WriteRequest{PutRequest: &types.PutRequest{Item: mapItem(it, r)}})
			if len(batch) == 25 {
				select {
				case batches <- batch:
				case err = <-errs:
					break feed
				}
				batch = nil
			}
		}
	}
	if err == nil && len(batch) > 0 {
		batches <- batch
	}
	close(batches)
	wg.Wait()
	close(errs)
	if err != nil {
		return err
	}
	return <-errs
}

func (c *Cloner) write(ctx context.Context, b []types.WriteRequest) error {
	req := map[string][]types.WriteRequest{c.Schema.Table: b}
	for len(req) > 0 {
		out, err := c.Raw.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: req})
		if err != nil {
			return fmt.Errorf("scale: seed: %w", err)
		}
		req = out.UnprocessedItems
	}
	return nil
}

// pairs are the replacements of the next copy.
func (c *Cloner) pairs() []string {
	k := c.made
	c.made++
	if c.Vary != nil {
		return c.Vary(k, c.fresh)
	}
	return c.fresh()
}

// fresh pairs every id of the family with a new one of the same form.
func (c *Cloner) fresh() []string {
	var pairs []string
	for _, id := range c.ids {
		b := []byte(id)
		for i, ch := range b {
			switch {
			case ch >= '0' && ch <= '9':
				b[i] = '0' + byte(rand.IntN(10))
			case ch >= 'a' && ch <= 'f' && len(id) == 36:
				b[i] = "0123456789abcdef"[rand.IntN(16)]
			}
		}
		pairs = append(pairs, id, string(b))
	}
	return pairs
}

func containsAny(s string, ids map[string]bool) bool {
	for _, id := range idPattern.FindAllString(s, -1) {
		if ids[id] {
			return true
		}
	}
	return false
}

func walkStrings(item map[string]types.AttributeValue, f func(string)) {
	for _, v := range item {
		walkValue(v, f)
	}
}

func walkValue(v types.AttributeValue, f func(string)) {
	switch t := v.(type) {
	case *types.AttributeValueMemberS:
		f(t.Value)
	case *types.AttributeValueMemberSS:
		for _, s := range t.Value {
			f(s)
		}
	case *types.AttributeValueMemberL:
		for _, e := range t.Value {
			walkValue(e, f)
		}
	case *types.AttributeValueMemberM:
		walkStrings(t.Value, f)
	}
}

func mapItem(item map[string]types.AttributeValue, r *strings.Replacer) map[string]types.AttributeValue {
	out := make(map[string]types.AttributeValue, len(item))
	for k, v := range item {
		out[k] = mapValue(v, r)
	}
	return out
}

func mapValue(v types.AttributeValue, r *strings.Replacer) types.AttributeValue {
	switch t := v.(type) {
	case *types.AttributeValueMemberS:
		return &types.AttributeValueMemberS{Value: r.Replace(t.Value)}
	case *types.AttributeValueMemberSS:
		ss := make([]string, len(t.Value))
		for i, s := range t.Value {
			ss[i] = r.Replace(s)
		}
		return &types.AttributeValueMemberSS{Value: ss}
	case *types.AttributeValueMemberL:
		l := make([]types.AttributeValue, len(t.Value))
		for i, e := range t.Value {
			l[i] = mapValue(e, r)
		}
		return &types.AttributeValueMemberL{Value: l}
	case *types.AttributeValueMemberM:
		return &types.AttributeValueMemberM{Value: mapItem(t.Value, r)}
	}
	return v
}
