// Package layout is the one home of the table's hot keys: the index keys
// of requests, assets and subscriptions, and the renewal index. Every
// package that writes or reads those keys calls these builders, so
// resharding a key is a change to one function here.
//
// The lists an order adds to live on the keys-only indexes gsi4–gsi6 and
// are write-sharded (dynamo.Sharded); gsi1–gsi3 (projecting whole items)
// keep the catalog's, accounts', customers', usage files' and invoices'
// lists, which change at the pace of people, not of orders.
//
//	request  gsi4 REQ#Q#<vendor>#<status>#<n>  the vendor's queue by status
//	         gsi5 REQ#V#<vendor>#<n>           every request of the vendor
//	         gsi6 REQ#P#<provider>#<n>         every request of the provider
//	asset    gsi4 SUBS#<customer>              a customer's subscriptions
//	         gsi5 AST#V#<vendor>#<n>           every asset of the vendor
//	         gsi6 AST#P#<provider>#<n>         every asset of the provider
//	renewal  pk   RENEWAL#<yyyy-mm-dd>#<n>     live subscriptions ending that day
//
// Index sort keys are <created>#<id> (SortKey), so a list merged from its
// shards comes out in creation order.
package layout

import (
	"strconv"
	"strings"
	"time"

	"github.com/mercato-dev/mercato/internal/dynamo"
)

// Shards is N for every sharded key. It is a constant rather than a
// deployment setting because writers in one function and readers in
// another must agree on it: it may only grow (readers then cover the old
// shards too), and it is sized by the scale model (`make scale`, README).
const Shards = dynamo.DefaultShards

// SortKey orders an index entry by creation time, then id.
func SortKey(t time.Time, id string) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000Z") + "#" + id
}

// VendorQueue is the vendor's requests in one status.
func VendorQueue(vendor, status string) dynamo.Sharded {
	return dynamo.Sharded{Index: dynamo.GSI4, Prefix: "REQ#Q#" + vendor + "#" + status, Shards: Shards}
}

// VendorRequests is every request of the vendor.
func VendorRequests(vendor string) dynamo.Sharded {
	return dynamo.Sharded{Index: dynamo.GSI5, Prefix: "REQ#V#" + vendor, Shards: Shards}
}

// ProviderRequests is every request of the provider.
func ProviderRequests(provider string) dynamo.Sharded {
	return dynamo.Sharded{Index: dynamo.GSI6, Prefix: "REQ#P#" + provider, Shards: Shards}
}

// VendorAssets is every asset of the vendor.
func VendorAssets(vendor string) dynamo.Sharded {
	return dynamo.Sharded{Index: dynamo.GSI5, Prefix: "AST#V#" + vendor, Shards: Shards}
}

// ProviderAssets is every asset of the provider.
func ProviderAssets(provider string) dynamo.Sharded {
	return dynamo.Sharded{Index: dynamo.GSI6, Prefix: "AST#P#" + provider, Shards: Shards}
}

// CustomerSubscriptions is a customer's subscriptions. One customer's
// orders are a small part of any provider's, so it is one partition.
func CustomerSubscriptions(customer string) dynamo.Sharded {
	return dynamo.Sharded{Index: dynamo.GSI4, Prefix: "SUBS#" + customer, Shards: 1}
}

// RenewalDay is the renewal index of the subscriptions whose commitment
// ends on day: table items, sharded because every approved purchase of
// that day's term adds one.
func RenewalDay(day time.Time) dynamo.Sharded {
	return dynamo.Sharded{Prefix: "RENEWAL#" + day.UTC().Format(time.DateOnly), Shards: Shards}
}

// RenewalEntry is the renewal index item of asset assetID, whose
// commitment ends on day.
func RenewalEntry(day time.Time, assetID string) dynamo.Key {
	return dynamo.Key{PK: RenewalDay(day).Key(assetID), SK: assetSK(assetID)}
}

// RenewalAsset is the asset id of a renewal index item's sort key.
func RenewalAsset(sk string) string { return strings.TrimPrefix(sk, assetSKPrefix) }

// assetSK is the sort key of an index item that names an asset: a renewal
// or a parameter lookup.
func assetSK(assetID string) string { return assetSKPrefix + assetID }

const assetSKPrefix = "ASSET#"

// RequestIndexes are a request's index keys in status.
func RequestIndexes(id, vendor, provider, status string, created time.Time) dynamo.Indexes {
	sk := SortKey(created, id)
	return dynamo.Indexes{
		GSI4PK: VendorQueue(vendor, status).Key(id), GSI4SK: sk,
		GSI5PK: VendorRequests(vendor).Key(id), GSI5SK: sk,
		GSI6PK: ProviderRequests(provider).Key(id), GSI6SK: sk,
	}
}

// AssetIndexes are an asset's index keys; customer is empty for an asset
// that is no subscription of a Partner Center customer.
func AssetIndexes(id, vendor, provider, customer string, created time.Time) dynamo.Indexes {
	sk := SortKey(created, id)
	k := dynamo.Indexes{
		GSI5PK: VendorAssets(vendor).Key(id), GSI5SK: sk,
		GSI6PK: ProviderAssets(provider).Key(id), GSI6SK: sk,
	}
	if customer != "" {
		k.GSI4PK, k.GSI4SK = CustomerSubscriptions(customer).Key(id), sk
	}
	return k
}

// Counts. Each list of gsi4–gsi6 has count items, COUNT#<list prefix>#<m>,
// which the relay keeps from the table's stream: per stream batch it adds
// up how each row's list keys changed and writes one ADD per list, to the
// count shard m its batch hashes to. A batch holds the records of about one
// order at a vendor's peak, so one count item per list would take a write
// per order; CountShards items take an eighth each, and a total is one
// BatchGetItem of them.

// CountShards is how many items a list's count is spread over. Like
// Shards, it may grow but never shrink (readers sum every shard below it).
const CountShards = 8

// countSK is the sort key of every count item.
const countSK = "COUNT"

// CountKeys are the keys of list's count items.
func CountKeys(list dynamo.Sharded) []dynamo.Key {
	out := make([]dynamo.Key, CountShards)
	for m := range CountShards {
		out[m] = dynamo.Key{PK: dynamo.ShardKey("COUNT#"+list.Prefix, m), SK: countSK}
	}
	return out
}

// CountOf returns count item m of the list that index key pk (a shard of a
// gsi4–gsi6 list) belongs to.
func CountOf(pk string, m int) (dynamo.Key, bool) {
	i := strings.LastIndexByte(pk, '#')
	if i < 0 {
		return dynamo.Key{}, false
	}
	if _, err := strconv.Atoi(pk[i+1:]); err != nil {
		return dynamo.Key{}, false
	}
	return dynamo.Key{PK: dynamo.ShardKey("COUNT#"+pk[:i], m), SK: countSK}, true
}

// CountedIndexes are the index key attributes whose lists are counted.
var CountedIndexes = []string{dynamo.GSI4 + "pk", dynamo.GSI5 + "pk", dynamo.GSI6 + "pk"}

// The catalog's lists live on gsi1–gsi2, one partition each (they change at
// the pace of people, not of orders), and are counted the same way:
// COUNT#<list key>#<m>. A gsi1/gsi2 key is counted when it starts with one
// of countedLists.
var countedLists = []string{"PRODUCTS#", "LISTINGS#", "LISTINGREQUESTS#", "MARKETPLACES"}

// CountedListIndexes are the index key attributes of the counted catalog
// lists.
var CountedListIndexes = []string{dynamo.GSI1 + "pk", dynamo.GSI2 + "pk"}

// ListCountOf returns count item m of the catalog list whose key is pk,
// when that list is counted.
func ListCountOf(pk string, m int) (dynamo.Key, bool) {
	for _, p := range countedLists {
		if strings.HasPrefix(pk, p) {
			return dynamo.Key{PK: dynamo.ShardKey("COUNT#"+pk, m), SK: countSK}, true
		}
	}
	return dynamo.Key{}, false
}

// List is the catalog list whose key is pk, for CountKeys.
func List(pk string) dynamo.Sharded { return dynamo.Sharded{Prefix: pk, Shards: 1} }
