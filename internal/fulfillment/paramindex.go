package fulfillment

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"

	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/layout"
)

// The parameter index lets a usage row name its asset by a parameter
// value with one Query, whatever the number of the vendor's assets:
//
//	APARAM#<product>#<marketplace>#<param id>#V#<value> / ASSET#<id>   one item per valued parameter
//
// (layout.AssetParamValue). SaveAsset keeps it in step in the same
// transaction as the asset, from the asset's approval on (a purchase
// waiting for approval is not searched: no usage can fall in its life
// yet). A terminated asset keeps its items: usage of its active days may
// still come.
type paramRow struct {
	dynamo.Row
	AssetID string `dynamodbav:"asset_id"`
}

// MaxParamLookups bounds the indexed parameters of an asset, its first
// ones in the product's order: an asset change moves at most twice as
// many items (a delete and a put each), which must fit the transaction's
// 100 items with the asset, its request and their events.
const MaxParamLookups = 32

// paramEntries are the index keys of an asset's valued parameters.
func paramEntries(a Asset) map[dynamo.Key]bool {
	if a.Status == AssetProcessing || a.ID == "" {
		return nil
	}
	out := map[dynamo.Key]bool{}
	for _, p := range a.Params[:min(len(a.Params), MaxParamLookups)] {
		if p.Value == "" {
			continue
		}
		out[dynamo.Key{PK: layout.AssetParamValue(a.Product.ID, a.Marketplace.ID, p.ID, p.Value), SK: layout.AssetParamSK(a.ID)}] = true
	}
	return out
}

// reindexParams adds to tx what moves an asset's parameter index items
// from its state before to after: only the values that changed.
func reindexParams(tx *dynamo.Tx, before, after Asset) {
	had, has := paramEntries(before), paramEntries(after)
	for k := range had {
		if !has[k] {
			tx.Delete("parameter index", k, nil)
		}
	}
	for k := range has {
		if !had[k] {
			tx.Put("parameter index", paramRow{Row: dynamo.Row{Key: k, Entity: "asset_param"}, AssetID: after.ID}, nil)
		}
	}
}

// AssetsWithParam returns the ids of up to limit assets of product on
// marketplace whose parameter paramID (an id, not a name) holds value:
// one Query of the parameter index, reading at most limit small items.
func (s *Store) AssetsWithParam(ctx context.Context, product, marketplace, paramID, value string, limit int) ([]string, error) {
	part := dynamo.Partition{PK: layout.AssetParamValue(product, marketplace, paramID, value)}
	in, err := part.Input(int32(limit), nil)
	if err != nil {
		return nil, err
	}
	in.ProjectionExpression = aws.String("asset_id")
	page, err := s.table.Query(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("fulfillment: parameter search: %w", err)
	}
	var rows []paramRow
	if err := attributevalue.UnmarshalListOfMaps(page.Items, &rows); err != nil {
		return nil, fmt.Errorf("fulfillment: decode parameter search: %w", err)
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.AssetID
	}
	return ids, nil
}
