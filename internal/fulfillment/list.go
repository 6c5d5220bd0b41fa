package fulfillment

import (
	"context"
	"slices"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/layout"
)

// ListQuery asks for one page of a request or asset list. What it names
// is read through keys (the list, its status partitions, the created
// range, the order); Match filters the rows read, within a budget.
type ListQuery[T any] struct {
	// Statuses, for the vendor's requests, reads only these statuses'
	// lists (the queue); elsewhere Match applies the status filter.
	Statuses []string
	// From and To bound the index sort key (layout.SortKey), [From, To).
	From, To string
	Desc     bool
	// After is the sort key of the last entry the previous page answered.
	After         string
	Offset, Limit int
	// Match, when set, keeps only the rows it accepts.
	Match func(T) bool
}

// Page is one page of a list.
type Page[T any] struct {
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

// MatchBudget bounds the rows one page reads to apply a filter that no key
// narrows: past it the page ends early (or the API refuses an offset page).
const MatchBudget = 2000

// ErrBudget reports that a filter examined MatchBudget rows before it
// filled the page.
var ErrBudget = fault.Invalidf("the filter matched too few of the %d most recent entries to fill the page; narrow it by status or created, or page with the cursor", MatchBudget)

// RequestPage is one page of the vendor's queue or the provider's requests.
func (s *Service) RequestPage(ctx context.Context, actor account.Principal, q ListQuery[Request]) (Page[Request], error) {
	lists, err := requestLists(actor, q.Statuses)
	if err != nil {
		return Page[Request]{}, err
	}
	return page(ctx, s.store, lists, q)
}

// AssetPage is one page of the vendor's or the provider's assets.
func (s *Service) AssetPage(ctx context.Context, actor account.Principal, q ListQuery[Asset]) (Page[Asset], error) {
	lists, err := assetLists(actor)
	if err != nil {
		return Page[Asset]{}, err
	}
	return page(ctx, s.store, lists, q)
}

// Page reads one page of list, for the lists other packages own a view
// of (a customer's subscriptions).
func (s *Store) Page(ctx context.Context, list dynamo.Sharded, q ListQuery[Asset]) (Page[Asset], error) {
	return page(ctx, s, []dynamo.Sharded{list}, q)
}

// page reads one page of lists: their shards' entries, then the rows.
func page[T any](ctx context.Context, s *Store, lists []dynamo.Sharded, q ListQuery[T]) (Page[T], error) {
	var parts []dynamo.Partition
	for _, l := range lists {
		parts = append(parts, l.Partitions()...)
	}
	return ReadPage(ctx, s.table, parts, q, func(ctx context.Context, entries []dynamo.IndexEntry) ([]T, []string, error) {
		return docsAt[T](ctx, s, entries)
	})
}

// ReadPage reads offset+limit matches of the lists in partitions parts,
// in chunks: keys from every partition (dynamo.PagePartitions), then the
// chunk's rows, which rows reads (in the entries' order, with each row's
// sort key; a row gone since the index was read is left out). Without
// Match one chunk does; with it, chunks follow until the page is full, the
// lists end or MatchBudget rows were read. Other stores' lists (usage
// files) page through it too.
func ReadPage[T any](ctx context.Context, t *dynamo.Table, parts []dynamo.Partition, q ListQuery[T],
	rows func(context.Context, []dynamo.IndexEntry) ([]T, []string, error)) (Page[T], error) {
	need := q.Offset + q.Limit
	chunk := need
	if q.Match != nil {
		chunk = max(need, 100)
	}
	r := dynamo.Range{From: q.From, To: q.To, Desc: q.Desc, After: q.After}
	var items []T
	var keys []string
	examined := 0
	for {
		entries, more, err := dynamo.PagePartitions(ctx, t, parts, r, chunk)
		if err != nil {
			return Page[T]{}, err
		}
		docs, sks, err := rows(ctx, entries)
		if err != nil {
			return Page[T]{}, err
		}
		for i, d := range docs {
			if q.Match == nil || q.Match(d) {
				items, keys = append(items, d), append(keys, sks[i])
			}
		}
		examined += len(entries)
		done := len(items) >= need || !more
		if done || examined >= MatchBudget {
			p := cut(items, keys, q, more || len(items) > need, done)
			if !done {
				// Continue after what was examined, matched or not.
				p.Next = entries[len(entries)-1].SortKey
			}
			return p, nil
		}
		r.After = entries[len(entries)-1].SortKey
	}
}

// cut answers the page at offset of the matches read. complete says the
// read ended because the page was full or the lists ended (not because the
// budget ran out).
func cut[T any](items []T, keys []string, q ListQuery[T], more, complete bool) Page[T] {
	p := Page[T]{Total: -1, Short: !complete}
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

// docsAt reads the rows of entries, in their order, with each row's sort
// key. A row deleted since the index was read is left out.
func docsAt[T any](ctx context.Context, s *Store, entries []dynamo.IndexEntry) ([]T, []string, error) {
	rows, err := dynamo.BatchGet[Row](ctx, s.table, dynamo.BatchRead{Keys: dynamo.Keys(entries)})
	if err != nil {
		return nil, nil, err
	}
	byKey := make(map[dynamo.Key]Row, len(rows))
	for _, r := range rows {
		byKey[dynamo.Key{PK: r.PK, SK: r.SK}] = r
	}
	docs := make([]T, 0, len(rows))
	sks := make([]string, 0, len(rows))
	for _, e := range entries {
		r, ok := byKey[e.Key]
		if !ok {
			continue
		}
		v, err := dynamo.Decode[T](r)
		if err != nil {
			return nil, nil, err
		}
		docs, sks = append(docs, v), append(sks, e.SortKey)
	}
	return docs, sks, nil
}

// countRow is one of a list's count items (layout.CountKeys), kept by the
// relay.
type countRow struct {
	N int `dynamodbav:"n"`
}

// count sums the count items of lists: one BatchGetItem.
func (s *Service) count(ctx context.Context, lists []dynamo.Sharded) (int, error) {
	return Count(ctx, s.store.table, lists)
}

// Count sums the count items (layout.CountKeys) of lists on table t: one
// BatchGetItem, whoever keeps them (the relay for gsi4–gsi6, the usage
// store for its file lists).
func Count(ctx context.Context, t *dynamo.Table, lists []dynamo.Sharded) (int, error) {
	var keys []dynamo.Key
	for _, l := range lists {
		keys = append(keys, layout.CountKeys(l)...)
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

// requestLists are the lists a request page of actor reads.
func requestLists(actor account.Principal, statuses []string) ([]dynamo.Sharded, error) {
	switch {
	case actor.Is(account.Vendor) && len(statuses) > 0:
		var lists []dynamo.Sharded
		for _, st := range Statuses {
			if slices.Contains(statuses, st) {
				lists = append(lists, layout.VendorQueue(actor.AccountID, st))
			}
		}
		return lists, nil
	case actor.Is(account.Vendor):
		return []dynamo.Sharded{layout.VendorRequests(actor.AccountID)}, nil
	case actor.Is(account.Provider):
		return []dynamo.Sharded{layout.ProviderRequests(actor.AccountID)}, nil
	}
	return nil, fault.Forbiddenf("requests are listed for vendor and provider accounts; the token belongs to a %s account", actor.AccountType)
}

// assetLists are the lists an asset page of actor reads.
func assetLists(actor account.Principal) ([]dynamo.Sharded, error) {
	switch {
	case actor.Is(account.Vendor):
		return []dynamo.Sharded{layout.VendorAssets(actor.AccountID)}, nil
	case actor.Is(account.Provider):
		return []dynamo.Sharded{layout.ProviderAssets(actor.AccountID)}, nil
	}
	return nil, fault.Forbiddenf("assets are listed for vendor and provider accounts; the token belongs to a %s account", actor.AccountType)
}

// RequestCount is the number of requests on the lists a page with these
// statuses reads (every request of the actor when there are none), from
// the lists' count items.
func (s *Service) RequestCount(ctx context.Context, actor account.Principal, statuses []string) (int, error) {
	lists, err := requestLists(actor, statuses)
	if err != nil {
		return 0, err
	}
	return s.count(ctx, lists)
}

// AssetCount is the number of the actor's assets.
func (s *Service) AssetCount(ctx context.Context, actor account.Principal) (int, error) {
	lists, err := assetLists(actor)
	if err != nil {
		return 0, err
	}
	return s.count(ctx, lists)
}
