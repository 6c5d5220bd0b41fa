package layout

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/mercato-dev/mercato/internal/dynamo"
)

// The keys of usage files' records and of the parameter index that usage
// rows search assets by.

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
func AssetParamSK(assetID string) string { return assetSK(assetID) }
