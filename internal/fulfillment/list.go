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

// Page is one page of a list (dynamo.ReadPage).
type Page[T any] = dynamo.ListPage[T]

// MatchBudget bounds the rows one page reads to apply a filter that no key
// narrows (dynamo.MatchBudget).
const MatchBudget = dynamo.MatchBudget

// ErrBudget reports that a filter examined MatchBudget rows before it
// filled the page.
var ErrBudget = dynamo.ErrBudget

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

// page reads a page of the lists through the shared list reader
// (dynamo.ReadPage): each chunk is keys from every shard, then the chunk's
// rows (dynamo.EntryChunks).
func page[T any](ctx context.Context, s *Store, lists []dynamo.Sharded, q ListQuery[T]) (Page[T], error) {
	var parts []dynamo.Partition
	for _, l := range lists {
		parts = append(parts, l.Partitions()...)
	}
	read := dynamo.EntryChunks(s.table, parts, func(ctx context.Context, entries []dynamo.IndexEntry) ([]T, []string, error) {
		return docsAt[T](ctx, s, entries)
	})
	return dynamo.ReadPage(ctx, read, q.keyed())
}

// keyed is what of q the shared list reader reads through keys and Match.
func (q ListQuery[T]) keyed() dynamo.ListQuery[T] {
	return dynamo.ListQuery[T]{From: q.From, To: q.To, Desc: q.Desc, After: q.After,
		Offset: q.Offset, Limit: q.Limit, Match: q.Match}
}

// KeyedQuery is q as the shared list reader takes it (the statuses aside):
// other stores' lists (usage files) page through dynamo.ReadPage too.
func KeyedQuery[T any](q ListQuery[T]) dynamo.ListQuery[T] { return q.keyed() }

// docsAt reads the rows of entries, in their order, with each row's sort
// key (dynamo.ItemsAt). A row deleted since the index was read is left out.
func docsAt[T any](ctx context.Context, s *Store, entries []dynamo.IndexEntry) ([]T, []string, error) {
	return dynamo.ItemsAt(ctx, s.table, entries, func(r Row) (T, error) { return dynamo.Decode[T](r) })
}

// count sums the count items of lists (layout.Count).
func (s *Service) count(ctx context.Context, lists []dynamo.Sharded) (int, error) {
	return layout.Count(ctx, s.store.table, lists...)
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
