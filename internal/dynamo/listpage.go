package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mercato-dev/mercato/internal/fault"
)

// A list page reads what it answers, whatever the list's history: the
// keys narrow the read (a range of sort keys, a cursor, a direction), a
// ChunkReader reads the list's next rows in key order, and ReadPage reads
// chunks until the page is full. Every list of the API pages through it,
// whether its rows come from a keys-only sharded index (PageEntries and a
// BatchGetItem) or from an index that projects them (RangeItems).

// ListQuery asks for one page of a list. What it names is read through
// keys (the sort-key range, the order, the cursor); Match filters the rows
// read, within MatchBudget.
type ListQuery[T any] struct {
	// From and To bound the sort key, [From, To).
	From, To string
	Desc     bool
	// After is the sort key of the last entry the previous page answered.
	After         string
	Offset, Limit int
	// Match, when set, keeps only the rows it accepts.
	Match func(T) bool
	// Sort, when set, orders the matches in place by what no key orders:
	// the page then reads every match of the range first, which must end
	// within MatchBudget rows (ErrSortBudget otherwise), and answers no
	// cursor.
	Sort func(items []T)
}

// ListPage is one page of a list.
type ListPage[T any] struct {
	Items []T
	// Next is the sort key of the page's last entry when more may follow,
	// else "".
	Next string
	// Total is the number of matches when the read reached the list's end
	// from its start, else -1.
	Total int
	// Short reports that the page ended early because Match had read
	// MatchBudget rows; Next continues from there.
	Short bool
}

// MatchBudget bounds the rows one page reads to apply a filter or an
// ordering that no key narrows: past it the page ends early (or the API
// refuses an offset page).
const MatchBudget = 2000

// ErrBudget reports that a filter examined MatchBudget rows before it
// filled the page.
var ErrBudget = fault.Invalidf("the filter matched too few of the %d most recent entries to fill the page; narrow it by status or created, or page with the cursor", MatchBudget)

// ErrSortBudget reports that a list ordered by a field no key orders by
// holds more than MatchBudget matches.
var ErrSortBudget = fault.Invalidf("this ordering sorts the whole list, which is limited to %d entries; narrow the list with filters, or use the list's default ordering", MatchBudget)

// Chunk is what a ChunkReader read: rows in key order, each with its sort
// key.
type Chunk[T any] struct {
	Rows []T
	Keys []string
	// Last is the sort key of the last entry read ("" when none). It may
	// have no row: an index entry whose row was deleted since.
	Last string
	// Read is how many entries the read examined.
	Read int
	// More reports that entries may follow Last.
	More bool
}

// ChunkReader reads the next n entries of a list within r, in r's order.
type ChunkReader[T any] func(ctx context.Context, r Range, n int) (Chunk[T], error)

// EntryChunks is the ChunkReader of lists on keys-only indexes: a chunk is
// the next keys of every partition (PagePartitions), then their rows,
// which rows reads in the entries' order with each row's sort key (leaving
// out a row deleted since the index was read).
func EntryChunks[T any](t *Table, parts []Partition, rows func(context.Context, []IndexEntry) ([]T, []string, error)) ChunkReader[T] {
	return func(ctx context.Context, r Range, n int) (Chunk[T], error) {
		entries, more, err := PagePartitions(ctx, t, parts, r, n)
		if err != nil {
			return Chunk[T]{}, err
		}
		docs, sks, err := rows(ctx, entries)
		if err != nil {
			return Chunk[T]{}, err
		}
		c := Chunk[T]{Rows: docs, Keys: sks, Read: len(entries), More: more}
		if len(entries) > 0 {
			c.Last = entries[len(entries)-1].SortKey
		}
		return c, nil
	}
}

// ItemsAt reads the items of entries, 100 per BatchGetItem, and answers
// them decoded in the entries' order, with each one's index sort key: the
// rows of an EntryChunks reader. An item deleted since the index was read
// is left out.
func ItemsAt[R Rowed, T any](ctx context.Context, t *Table, entries []IndexEntry, decode func(R) (T, error)) ([]T, []string, error) {
	rows, err := BatchGet[R](ctx, t, BatchRead{Keys: Keys(entries)})
	if err != nil {
		return nil, nil, err
	}
	byKey := make(map[Key]R, len(rows))
	for _, r := range rows {
		byKey[r.Base().Key] = r
	}
	out := make([]T, 0, len(rows))
	sks := make([]string, 0, len(rows))
	for _, e := range entries {
		r, ok := byKey[e.Key]
		if !ok {
			continue
		}
		v, err := decode(r)
		if err != nil {
			return nil, nil, err
		}
		out, sks = append(out, v), append(sks, e.SortKey)
	}
	return out, sks, nil
}

// ReadPage reads offset+limit matches of a list in chunks. Without Match or
// Sort one chunk does; with Match, chunks follow until the page is full,
// the list ends or MatchBudget rows were read; with Sort, until the list
// ends.
func ReadPage[T any](ctx context.Context, read ChunkReader[T], q ListQuery[T]) (ListPage[T], error) {
	need := q.Offset + q.Limit
	chunk := need
	switch {
	case q.Sort != nil:
		chunk = MatchBudget
	case q.Match != nil:
		chunk = max(need, 100)
	}
	r := Range{From: q.From, To: q.To, Desc: q.Desc, After: q.After}
	var items []T
	var keys []string
	examined := 0
	for {
		c, err := read(ctx, r, chunk)
		if err != nil {
			return ListPage[T]{}, err
		}
		for i, d := range c.Rows {
			if q.Match == nil || q.Match(d) {
				items, keys = append(items, d), append(keys, c.Keys[i])
			}
		}
		examined += c.Read
		if q.Sort != nil {
			if !c.More {
				return sorted(items, q), nil
			}
			if examined >= MatchBudget {
				return ListPage[T]{}, ErrSortBudget
			}
		}
		done := q.Sort == nil && (len(items) >= need || !c.More)
		if done || examined >= MatchBudget {
			p := cut(items, keys, q, c.More || len(items) > need, done)
			if !done {
				// Continue after what was examined, matched or not.
				p.Next = c.Last
			}
			return p, nil
		}
		r.After = c.Last
	}
}

// sorted answers the page at offset of every match, ordered by q.Sort.
// There is no cursor: the page's position is its offset in that order.
func sorted[T any](items []T, q ListQuery[T]) ListPage[T] {
	q.Sort(items)
	start := min(q.Offset, len(items))
	end := min(start+q.Limit, len(items))
	return ListPage[T]{Items: items[start:end], Total: len(items)}
}

// cut answers the page at offset of the matches read. complete says the
// read ended because the page was full or the list ended (not because the
// budget ran out).
func cut[T any](items []T, keys []string, q ListQuery[T], more, complete bool) ListPage[T] {
	p := ListPage[T]{Total: -1, Short: !complete}
	if !more && complete && q.After == "" {
		p.Total = len(items)
	}
	start := min(q.Offset, len(items))
	end := min(start+q.Limit, len(items))
	p.Items = items[start:end]
	if end > start && (more || end < len(items)) {
		p.Next = keys[end-1]
	}
	return p
}

// RangeItems reads up to n whole items of partition p (of the table, or
// of an index that projects them) within r, in r's order, with each item's
// sort key: the ChunkReader of a list that is one partition. It reads at
// most n+1 items, in pages of up to 1 MB.
func RangeItems[T any](ctx context.Context, t *Table, p Partition, r Range, n int) (Chunk[T], error) {
	in, err := p.rangeInput(r, int32(n+1))
	if errors.Is(err, errEmptyRange) {
		return Chunk[T]{}, nil
	}
	if err != nil {
		return Chunk[T]{}, err
	}
	_, skName := p.keyNames()
	var raw []map[string]types.AttributeValue
	for len(raw) <= n {
		page, err := t.Query(ctx, in)
		if err != nil {
			return Chunk[T]{}, err
		}
		raw = append(raw, page.Items...)
		if page.Next == nil {
			break
		}
		in.ExclusiveStartKey = page.Next
	}
	c := Chunk[T]{More: len(raw) > n}
	raw = raw[:min(len(raw), n)]
	c.Keys = make([]string, len(raw))
	for i, it := range raw {
		if err := attributevalue.Unmarshal(it[skName], &c.Keys[i]); err != nil {
			return Chunk[T]{}, fmt.Errorf("dynamo: sort key of %s: %w", p.PK, err)
		}
	}
	if err := attributevalue.UnmarshalListOfMaps(raw, &c.Rows); err != nil {
		return Chunk[T]{}, fmt.Errorf("dynamo: decode %s: %w", p.PK, err)
	}
	c.Read = len(raw)
	if len(raw) > 0 {
		c.Last = c.Keys[len(raw)-1]
	}
	return c, nil
}
