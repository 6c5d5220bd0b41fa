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
	"crypto/sha256"
	"encoding/hex"
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

// IndexKeys are the index key attributes of one item, on gsi4–gsi6.
type IndexKeys struct {
	GSI4PK string `dynamodbav:"gsi4pk,omitempty"`
	GSI4SK string `dynamodbav:"gsi4sk,omitempty"`
	GSI5PK string `dynamodbav:"gsi5pk,omitempty"`
	GSI5SK string `dynamodbav:"gsi5sk,omitempty"`
	GSI6PK string `dynamodbav:"gsi6pk,omitempty"`
	GSI6SK string `dynamodbav:"gsi6sk,omitempty"`
}

// RequestIndexes are a request's index keys in status.
func RequestIndexes(id, vendor, provider, status string, created time.Time) IndexKeys {
	sk := SortKey(created, id)
	return IndexKeys{
		GSI4PK: VendorQueue(vendor, status).Key(id), GSI4SK: sk,
		GSI5PK: VendorRequests(vendor).Key(id), GSI5SK: sk,
		GSI6PK: ProviderRequests(provider).Key(id), GSI6SK: sk,
	}
}

// AssetIndexes are an asset's index keys; customer is empty for an asset
// that is no subscription of a Partner Center customer.
func AssetIndexes(id, vendor, provider, customer string, created time.Time) IndexKeys {
	sk := SortKey(created, id)
	k := IndexKeys{
		GSI5PK: VendorAssets(vendor).Key(id), GSI5SK: sk,
		GSI6PK: ProviderAssets(provider).Key(id), GSI6SK: sk,
	}
	if customer != "" {
		k.GSI4PK, k.GSI4SK = CustomerSubscriptions(customer).Key(id), sk
	}
	return k
}

// UsageRecordShards is N for a usage file's records. A file's records are
// written at the pace of one function, not of people: 2,000,000 rows
// within the usage function's timeout need about 40,000 writes a second
// (README: "Usage files"), 40 partitions' worth, so records spread over 64
// with room for bursts. The number a file was written with is stored on
// the file, so it may change for new files.
const UsageRecordShards = 64

// UsageRecords is the records of usage file fileID, table items
//
//	UREC#<file>#<n> / REC#<generation>#<seq>
//
// Records go to the shards in blocks of RecordBlock by their number
// (RecordShard), not by a hash: consecutive rows fill every shard evenly,
// and the records from offset o to o+l are a known key range in each of
// the few shards they fall in, so a page of any offset is read without
// reading what comes before it.
func UsageRecords(fileID string, shards int) dynamo.Sharded {
	return dynamo.Sharded{Prefix: "UREC#" + fileID, Shards: shards}
}

// RecordBlock is how many consecutive records share a shard before the
// next shard takes over: one BatchWriteItem's worth, so that a batch
// writes one partition and the batches in flight write different ones.
const RecordBlock = 25

// RecordShard is the shard of the seq-th record (from 0) among n.
func RecordShard(seq, n int) int { return seq / RecordBlock % max(n, 1) }

// AssetParamValue is the partition of the lookup items of the assets of
// product on marketplace whose parameter paramID holds value:
//
//	APARAM#<product>#<marketplace>#<param id>#V#<value> / ASSET#<asset id>
//
// A usage row that names its asset by a parameter value is one Query of
// it. A value longer than maxParamKeyValue is named by its SHA-256 (#H#<hex>), which
// keeps the key within DynamoDB's 2,048 bytes. The key is not sharded: an
// asset's items all change in the transaction of that asset, and although
// many assets may share a value (a dropdown's choice), their sort keys are
// random asset ids, so DynamoDB can split a busy value's items by
// sort-key range, which it cannot for time-ordered keys.
func AssetParamValue(product, marketplace, paramID, value string) string {
	if len(value) > maxParamKeyValue {
		sum := sha256.Sum256([]byte(value))
		return "APARAM#" + product + "#" + marketplace + "#" + paramID + "#H#" + hex.EncodeToString(sum[:])
	}
	return "APARAM#" + product + "#" + marketplace + "#" + paramID + "#V#" + value
}

// maxParamKeyValue is the longest parameter value a lookup key spells out.
const maxParamKeyValue = 128

// AssetParamSK is the sort key of an asset's lookup item.
func AssetParamSK(assetID string) string { return "ASSET#" + assetID }
