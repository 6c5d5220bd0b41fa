package layout

import "github.com/mercato-dev/mercato/internal/dynamo"

// GuardShards is how many copies of a product's guard item there are
// (catalog.Guard says what a guard holds). An order checks one, chosen by
// its id, and a ConditionCheck is charged as a write of the item (2 WCU for
// a guard, under 1 KB): at 1,000 orders/s of one product each copy takes
// 125 WCU/s, an eighth of a partition's limit, and concurrent orders
// rarely check the same copy at the same moment. Publishing and listing
// changes write all copies in their transaction. Changing it needs a
// deployment in which no instance runs the old value.
const GuardShards = 16

// guardSK is the sort key of every guard copy.
const guardSK = "GUARD"

// ProductGuard is the copies of a product's guard, table items
//
//	GUARD#<product>#<n> / GUARD
func ProductGuard(product string) dynamo.Sharded {
	return dynamo.Sharded{Prefix: "GUARD#" + product, Shards: GuardShards}
}

// GuardCopy is the copy of the product's guard that the order with id
// orderID checks.
func GuardCopy(product, orderID string) dynamo.Key {
	return dynamo.Key{PK: ProductGuard(product).Key(orderID), SK: guardSK}
}

// GuardCopies are the keys of every copy of the product's guard, which a
// change of what it guards writes.
func GuardCopies(product string) []dynamo.Key {
	g := ProductGuard(product)
	out := make([]dynamo.Key, g.Shards)
	for n := range out {
		out[n] = dynamo.Key{PK: dynamo.ShardKey(g.Prefix, n), SK: guardSK}
	}
	return out
}
