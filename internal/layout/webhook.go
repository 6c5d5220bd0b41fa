package layout

import (
	"fmt"

	"github.com/mercato-dev/mercato/internal/dynamo"
)

// The keys of webhooks, their deliveries and counters (internal/webhook
// says what each item holds):
//
//	WEBHOOKS#<account> / WEBHOOK#<id>         a webhook
//	WEBHOOKS#<account> / COUNT                how many webhooks the account has
//	WHSTATS#<account>#<webhook>#<n> / STATS   delivery counters, WebhookStatsShards copies
//	WHDELIVERY#<account>#<webhook>#<dl> /     a delivery, in a partition of its own
//	  DELIVERY
//	WHDELIVERY#…#<dl> / A#<nnnn>              one attempt of it
//
//	gsi7pk WHDELIVERIES#<account>#<webhook>#<n>   pending and succeeded deliveries
//	gsi7pk WHFAILED#<account>#<webhook>#<n>       failed ones
//	gsi7sk <dl>
//
// The account is part of every key, so no id of another tenant can reach
// an item.

// WebhookKey is the key of a webhook.
func WebhookKey(account, id string) dynamo.Key {
	return dynamo.Key{PK: webhooksPK(account), SK: "WEBHOOK#" + id}
}

// Webhooks is the partition of an account's webhooks.
func Webhooks(account string) dynamo.Partition {
	return dynamo.Partition{PK: webhooksPK(account), SKPrefix: "WEBHOOK#"}
}

// WebhookCountKey is the key of the count of an account's webhooks. It sits
// in their partition under a sort key outside WEBHOOK#, so reading the
// webhooks never reads it.
func WebhookCountKey(account string) dynamo.Key {
	return dynamo.Key{PK: webhooksPK(account), SK: "COUNT"}
}

func webhooksPK(account string) string { return "WEBHOOKS#" + account }

// WebhookStatsShards is how many items a webhook's delivery counters are
// spread over. The dispatcher adds a batch's counts to one of them, chosen
// at random, and a reader sums them. At 1,000 orders/s the provider's
// webhook takes about 20,000 attempts a second; at the emulator's ~35
// messages a batch that is ~570 counter writes a second (1 WCU each: the
// item is under 1 KB), 36 a copy with 16 copies; at a real peak's full
// batches of 100, 13 a copy. A copy reaches half a partition's limit only
// if batches average under two messages. It may grow, never shrink:
// readers sum every copy below it.
const WebhookStatsShards = 16

// statsSK is the sort key of every counter copy.
const statsSK = "STATS"

// WebhookStats is the counter copies of a webhook.
func WebhookStats(account, webhookID string) dynamo.Sharded {
	return dynamo.Sharded{Prefix: "WHSTATS#" + account + "#" + webhookID, Shards: WebhookStatsShards}
}

// WebhookStatsKey is counter copy n of a webhook.
func WebhookStatsKey(account, webhookID string, n int) dynamo.Key {
	return dynamo.Key{PK: dynamo.ShardKey(WebhookStats(account, webhookID).Prefix, n), SK: statsSK}
}

// WebhookStatsKeys are the keys of every counter copy of a webhook.
func WebhookStatsKeys(account, webhookID string) []dynamo.Key {
	out := make([]dynamo.Key, WebhookStatsShards)
	for n := range out {
		out[n] = WebhookStatsKey(account, webhookID, n)
	}
	return out
}

func deliveryPK(account, webhookID, id string) string {
	return "WHDELIVERY#" + account + "#" + webhookID + "#" + id
}

// DeliveryKey is the key of a delivery.
func DeliveryKey(account, webhookID, id string) dynamo.Key {
	return dynamo.Key{PK: deliveryPK(account, webhookID, id), SK: "DELIVERY"}
}

// AttemptKey is the key of the n-th attempt of a delivery.
func AttemptKey(account, webhookID, id string, n int) dynamo.Key {
	return dynamo.Key{PK: deliveryPK(account, webhookID, id), SK: fmt.Sprintf("A#%04d", n)}
}

// DeliveriesIndex is the index that lists a webhook's deliveries.
const DeliveriesIndex = "gsi7"

// Deliveries is the gsi7 list of a webhook's deliveries over shards
// partitions: the failed ones, or the others, so that a recovery reads
// failures only. A delivery's gsi7pk is Key(its id); its gsi7sk is its id.
func Deliveries(account, webhookID string, failed bool, shards int) dynamo.Sharded {
	prefix := "WHDELIVERIES#"
	if failed {
		prefix = "WHFAILED#"
	}
	return dynamo.Sharded{Index: DeliveriesIndex, Prefix: prefix + account + "#" + webhookID, Shards: shards}
}
