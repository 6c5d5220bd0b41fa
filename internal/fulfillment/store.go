package fulfillment

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/layout"
)

// Store reads and writes assets and requests. Writes are added to a caller's
// transaction, so that an order and its assets and requests, or a request
// and its asset, commit together with their events.
type Store struct {
	table         *dynamo.Table
	retentionDays int
}

// NewStore returns a store on table.
func NewStore(table *dynamo.Table, retentionDays int) *Store {
	return &Store{table: table, retentionDays: retentionDays}
}

// Table returns the store's table, for callers composing transactions.
func (s *Store) Table() *dynamo.Table { return s.table }

// StoredAsset is an asset with the bookkeeping of its row.
type StoredAsset struct {
	Asset
	Rev          int
	NextReq      int
	LastApproved string
}

// StoredRequest is a request with the revision of its row.
type StoredRequest struct {
	Request
	Rev int
}

// AssetRow is the row of an asset.
func AssetRow(a StoredAsset) Row {
	k := AssetKey(a.ID)
	r := Row{Row: dynamo.DocRow(k, "asset", a.Asset), Rev: a.Rev, NextReq: a.NextReq, LastApproved: a.LastApproved}
	r.Indexes = layout.AssetIndexes(a.ID, a.Vendor.ID, a.Provider.ID, a.Subscription.CustomerID, a.Created)
	return r
}

// RequestRow is the row of a request; its queue index key follows its
// status, so the vendor's queue in one status is one sharded list.
func RequestRow(r StoredRequest) Row {
	k := RequestKey(r.ID)
	row := Row{Row: dynamo.DocRow(k, "request", r.Request), Rev: r.Rev}
	row.Indexes = layout.RequestIndexes(r.ID, r.Asset.Vendor.ID, r.Asset.Provider.ID, r.Status, r.Created)
	return row
}

// emit adds an event for each account.
func (s *Store) emit(tx *dynamo.Tx, t event.Type, obj any, now time.Time, accounts ...string) error {
	for _, acct := range accounts {
		ev, err := event.New(t, acct, obj, now)
		if err != nil {
			return err
		}
		tx.Emit(ev, s.retentionDays)
	}
	return nil
}

// AddPurchase adds a new asset and its purchase request to tx, with
// request.created for the vendor and the provider.
func (s *Store) AddPurchase(tx *dynamo.Tx, a Asset, r Request, now time.Time) error {
	tx.Create("asset "+a.ID, AssetRow(StoredAsset{Asset: a, Rev: 1, NextReq: 2})).
		Create("request "+r.ID, RequestRow(StoredRequest{Request: r, Rev: 1}))
	return s.emit(tx, event.RequestCreated, r, now, a.Vendor.ID, a.Provider.ID)
}

// AddRequest opens request r on asset a (read at a.Rev): the asset records
// it as pending, under a condition that no other request got there first.
func (s *Store) AddRequest(tx *dynamo.Tx, a StoredAsset, r Request, now time.Time) error {
	cond := expression.Name("rev").Equal(expression.Value(a.Rev))
	a.PendingRequest = &Ref{ID: r.ID, Name: r.Type}
	a.Updated = now
	a.Rev++
	a.NextReq++
	r.Asset.PendingRequest = a.PendingRequest
	if a.LastApproved != "" {
		r.PreviousApprovedRequest = &Ref{ID: a.LastApproved}
	}
	tx.Put("asset", AssetRow(a), &cond).
		Create("request "+r.ID, RequestRow(StoredRequest{Request: r, Rev: 1}))
	if err := s.emit(tx, event.RequestCreated, r, now, a.Vendor.ID, a.Provider.ID); err != nil {
		return err
	}
	return s.emit(tx, event.AssetUpdated, a.Asset, now, a.Vendor.ID, a.Provider.ID)
}

// ErrNotFound reports an unknown asset or request.
var ErrNotFound = errors.New("fulfillment: not found")

// Asset reads an asset.
func (s *Store) Asset(ctx context.Context, id string) (StoredAsset, error) {
	if !ValidAssetID(id) {
		return StoredAsset{}, ErrNotFound
	}
	r, err := s.row(ctx, AssetKey(id))
	if err != nil {
		return StoredAsset{}, err
	}
	return storedAsset(r)
}

// Request reads a request.
func (s *Store) Request(ctx context.Context, id string) (StoredRequest, error) {
	if _, ok := AssetOfRequest(id); !ok {
		return StoredRequest{}, ErrNotFound
	}
	r, err := s.row(ctx, RequestKey(id))
	if err != nil {
		return StoredRequest{}, err
	}
	return storedRequest(r)
}

func storedAsset(r Row) (StoredAsset, error) {
	a, err := dynamo.Decode[Asset](r)
	return StoredAsset{Asset: a, Rev: r.Rev, NextReq: r.NextReq, LastApproved: r.LastApproved}, err
}

func storedRequest(r Row) (StoredRequest, error) {
	req, err := dynamo.Decode[Request](r)
	return StoredRequest{Request: req, Rev: r.Rev}, err
}

// row reads the row at k: ErrNotFound when there is none.
func (s *Store) row(ctx context.Context, k dynamo.Key) (Row, error) {
	return dynamo.GetAs[Row](ctx, s.table, k, ErrNotFound)
}

// AssetWithRequests reads an asset and all its requests in one Query.
func (s *Store) AssetWithRequests(ctx context.Context, id string) (StoredAsset, []StoredRequest, error) {
	if !ValidAssetID(id) {
		return StoredAsset{}, nil, ErrNotFound
	}
	rows, err := dynamo.QueryAll[Row](ctx, s.table, dynamo.Partition{PK: AssetPK(id)})
	if err != nil {
		return StoredAsset{}, nil, err
	}
	var a *StoredAsset
	var reqs []StoredRequest
	for _, r := range rows {
		switch r.Entity {
		case "asset":
			v, err := storedAsset(r)
			if err != nil {
				return StoredAsset{}, nil, err
			}
			a = &v
		case "request":
			v, err := storedRequest(r)
			if err != nil {
				return StoredAsset{}, nil, err
			}
			reqs = append(reqs, v)
		}
	}
	if a == nil {
		return StoredAsset{}, nil, ErrNotFound
	}
	return *a, reqs, nil
}

// Docs reads a list of assets or requests: its entries on a keys-only
// index (every shard), then the rows themselves, 100 per BatchGetItem, in
// the list's order. A row deleted between the two reads is left out.
func Docs[T any](ctx context.Context, s *Store, list dynamo.Sharded) ([]T, error) {
	entries, err := dynamo.AllEntries(ctx, s.table, list)
	if err != nil {
		return nil, err
	}
	docs, _, err := docsAt[T](ctx, s, entries)
	return docs, err
}

// NotFound turns ErrNotFound into the API's 404.
func NotFound(err error, what, id string) error {
	if errors.Is(err, ErrNotFound) {
		return fault.NotFoundf("%s %s not found", what, id)
	}
	return err
}

// Terminal reports whether a request status is final.
func Terminal(status string) bool { return status == StatusApproved || status == StatusFailed }

// Assets reads assets by id, 100 per BatchGetItem.
func (s *Store) Assets(ctx context.Context, ids []string) (map[string]Asset, error) {
	stored, err := s.StoredAssets(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Asset, len(stored))
	for id, a := range stored {
		out[id] = a.Asset
	}
	return out, nil
}

// StoredAssets reads assets by id with their revisions, 100 per
// BatchGetItem, for callers that write them back.
func (s *Store) StoredAssets(ctx context.Context, ids []string) (map[string]StoredAsset, error) {
	keys := make([]dynamo.Key, len(ids))
	for i, id := range ids {
		keys[i] = AssetKey(id)
	}
	rows, err := dynamo.BatchGet[Row](ctx, s.table, dynamo.BatchRead{Keys: keys, Consistent: true})
	if err != nil {
		return nil, fmt.Errorf("fulfillment: read assets: %w", err)
	}
	out := make(map[string]StoredAsset, len(rows))
	for _, r := range rows {
		a, err := storedAsset(r)
		if err != nil {
			return nil, err
		}
		out[a.ID] = a
	}
	return out, nil
}

// Requests reads requests by id, 100 per BatchGetItem; an id with no
// request is absent from the result.
func (s *Store) Requests(ctx context.Context, ids []string) (map[string]Request, error) {
	keys := make([]dynamo.Key, 0, len(ids))
	for _, id := range ids {
		if _, ok := AssetOfRequest(id); ok {
			keys = append(keys, RequestKey(id))
		}
	}
	rows, err := dynamo.BatchGet[Row](ctx, s.table, dynamo.BatchRead{Keys: keys, Consistent: true})
	if err != nil {
		return nil, fmt.Errorf("fulfillment: read requests: %w", err)
	}
	out := make(map[string]Request, len(rows))
	for _, r := range rows {
		req, err := dynamo.Decode[Request](r)
		if err != nil {
			return nil, err
		}
		out[req.ID] = req
	}
	return out, nil
}
