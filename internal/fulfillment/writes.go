package fulfillment

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/fault"
)

// Pair reads a request and its asset in one TransactGetItems, so that a
// transition sees both as of one moment and costs one read.
func (s *Store) Pair(ctx context.Context, requestID string) (StoredRequest, StoredAsset, error) {
	assetID, ok := AssetOfRequest(requestID)
	if !ok {
		return StoredRequest{}, StoredAsset{}, ErrNotFound
	}
	get := func(k dynamo.Key) types.TransactGetItem {
		return types.TransactGetItem{Get: &types.Get{TableName: &s.table.Name, Key: k.AV()}}
	}
	out, err := s.table.Client.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{
		TransactItems: []types.TransactGetItem{get(RequestKey(requestID)), get(AssetKey(assetID))},
	})
	if err != nil {
		return StoredRequest{}, StoredAsset{}, fmt.Errorf("fulfillment: read request %s and its asset: %w", requestID, dynamo.Unavailable(err))
	}
	var rows [2]Row
	for i, res := range out.Responses {
		if i >= len(rows) || res.Item == nil {
			return StoredRequest{}, StoredAsset{}, ErrNotFound
		}
		if err := attributevalue.UnmarshalMap(res.Item, &rows[i]); err != nil {
			return StoredRequest{}, StoredAsset{}, fmt.Errorf("fulfillment: decode %s: %w", requestID, err)
		}
	}
	if len(out.Responses) != len(rows) {
		return StoredRequest{}, StoredAsset{}, ErrNotFound
	}
	r, err := dynamo.Decode[Request](rows[0])
	if err != nil {
		return StoredRequest{}, StoredAsset{}, err
	}
	a, err := dynamo.Decode[Asset](rows[1])
	return StoredRequest{Request: r, Rev: rows[0].Rev},
		StoredAsset{Asset: a, Rev: rows[1].Rev, NextReq: rows[1].NextReq, LastApproved: rows[1].LastApproved}, err
}

func revIs(rev int) expression.ConditionBuilder {
	return expression.Name("rev").Equal(expression.Value(rev))
}

// SaveRequest adds r, read at r.Rev, to tx under a condition on that
// revision, with request.updated for the vendor and the provider.
func (s *Store) SaveRequest(tx *dynamo.Tx, r StoredRequest, now time.Time) error {
	cond := revIs(r.Rev)
	r.Rev++
	tx.Put("request", RequestRow(r), &cond)
	return s.emit(tx, event.RequestUpdated, r.Request, now, r.Asset.Vendor.ID, r.Asset.Provider.ID)
}

// SaveAsset adds a, read at a.Rev, to tx under a condition on that
// revision, with asset.updated for both sides and, for a Partner Center
// subscription, subscription.updated (its resource, as the API shows it)
// for the provider. The renewal index follows the asset's new state.
func (s *Store) SaveAsset(tx *dynamo.Tx, before Asset, a StoredAsset, now time.Time) error {
	cond := revIs(a.Rev)
	a.Rev++
	tx.Put("asset", AssetRow(a), &cond)
	reindexRenewal(tx, before, a.Asset)
	reindexParams(tx, before, a.Asset)
	if err := s.emit(tx, event.AssetUpdated, a.Asset, now, a.Vendor.ID, a.Provider.ID); err != nil {
		return err
	}
	if a.Subscription.CustomerID == "" {
		return nil
	}
	// The request that settled is no longer pending, so no pending change
	// needs reading for the resource.
	return s.emit(tx, event.SubscriptionUpdated, NewSubscriptionResource(a.Asset, nil), now, a.Provider.ID)
}

// markRow is a dedupe mark: its existence says an effect of an event was
// done. It expires once no redelivery of the event can come (SQS keeps a
// message at most 14 days).
type markRow struct {
	dynamo.Row
	ExpiresAt int64 `dynamodbav:"expires_at"`
}

const markTTL = 15 * 24 * time.Hour

// MarkLabel is the transaction label of a dedupe mark, which a failed
// condition names when the effect was already done.
const MarkLabel = "dedupe"

func markKey(key string) dynamo.Key { return dynamo.Key{PK: "DEDUPE#" + key, SK: "DEDUPE"} }

// Mark adds the dedupe mark key to tx: the transaction fails on it (label
// MarkLabel) when the effect was already committed.
func (s *Store) Mark(tx *dynamo.Tx, key string, now time.Time) {
	k := markKey(key)
	tx.Create(MarkLabel, markRow{Row: dynamo.Row{Key: k, Entity: "dedupe"}, ExpiresAt: now.Add(markTTL).Unix()})
}

// Marked reports whether the dedupe mark key exists.
func (s *Store) Marked(ctx context.Context, key string) (bool, error) {
	var m markRow
	err := s.table.Get(ctx, markKey(key), &m)
	if errors.Is(err, dynamo.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// PutMark stores the dedupe mark key on its own, for effects outside the
// table (an e-mail). A mark already there is not an error.
func (s *Store) PutMark(ctx context.Context, key string, now time.Time) error {
	tx := s.table.Tx()
	s.Mark(tx, key, now)
	if err := tx.Commit(ctx); err != nil && !AlreadyDone(err) {
		return err
	}
	return nil
}

// AlreadyDone reports whether a transaction failed only because its dedupe
// mark exists: the effect was committed by an earlier delivery.
func AlreadyDone(err error) bool {
	cf, ok := dynamo.AsConditionFailed(err)
	return ok && cf.Failed(MarkLabel)
}

// conflict turns a lost race on a request into the API's 409, keeping the
// cause so that callers can tell which item conflicted.
func conflict(err error, requestID string) error {
	if !fault.Is(err, fault.Conflict) {
		return err
	}
	return &fault.Error{Kind: fault.Conflict, Err: err, Messages: []string{
		fmt.Sprintf("request %s was changed by another request at the same time; reload it and retry", requestID)}}
}
