package scale

import (
	"github.com/mercato-dev/mercato/internal/dynamo"
	"math"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Unit is what one call costs one partition key: of the table (Index "")
// or of an index.
type Unit struct {
	Index string
	PK    string
	WCU   float64
	RCU   float64
	// ConsistentRCU is the part of RCU that strongly consistent reads
	// took (the target bounds it per key).
	ConsistentRCU float64
}

// Write is one item written by a call: its images before and after, and
// how it was written.
type Write struct {
	Old, New map[string]types.AttributeValue
	// Tx: inside TransactWriteItems.
	Tx bool
	// Check: a ConditionCheck of a transaction, which writes nothing.
	Check bool
	// Failed: the call failed (a condition did not hold, a transaction was
	// cancelled): DynamoDB still charges the table write of the item's
	// current size, and no index is written.
	Failed bool
}

// Rules are the charging choices that DynamoDB's documentation leaves to
// the reader; the zero value is what `make scale` applies (see README).
type Rules struct {
	// TxIndexFactor multiplies the index writes of a transactional write.
	// DynamoDB documents the doubling for the items a transaction writes
	// (prepare and commit), not for the index updates that follow them
	// asynchronously, so 0 means 1: index writes at the standard rate.
	TxIndexFactor float64
}

func (r Rules) txIndexFactor() float64 {
	if r.TxIndexFactor <= 0 {
		return 1
	}
	return r.TxIndexFactor
}

// WriteUnits is 1 WCU per started KB, at least 1.
func WriteUnits(size int) float64 { return math.Max(1, math.Ceil(float64(size)/1024)) }

// ReadUnits is 1 RCU per started 4 KB for a strongly consistent read,
// half that for an eventually consistent one, at least one unit's worth.
func ReadUnits(size int, consistent bool) float64 {
	u := math.Max(1, math.Ceil(float64(size)/4096))
	if consistent {
		return u
	}
	return u / 2
}

// ChargeWrite charges one written item on the table and on every index:
//   - the table: the larger of the old and new item, doubled in a
//     transaction; a ConditionCheck 2 WCU per started KB of the item it
//     checks (it is billed as a transactional write);
//   - an index the item enters: a put of the projected new item; one it
//     leaves: a delete of the projected old item; a key change: both; an
//     item that stays under the same index key: one write of the larger
//     projected image, and none when the projected image did not change
//     (so KEYS_ONLY and INCLUDE indexes skip writes that touch nothing
//     they keep).
func (s Schema) ChargeWrite(w Write, r Rules) []Unit {
	img := w.New
	if img == nil {
		img = w.Old
	}
	pk, _ := scalar(img[s.Hash])
	tx := 1.0
	if w.Tx || w.Check {
		tx = 2
	}
	if w.Check || w.Failed {
		return []Unit{{PK: pk, WCU: tx * WriteUnits(dynamo.ItemSize(w.Old))}}
	}
	units := []Unit{{PK: pk, WCU: tx * WriteUnits(max(dynamo.ItemSize(w.Old), dynamo.ItemSize(w.New)))}}
	f := 1.0
	if w.Tx {
		f = r.txIndexFactor()
	}
	for _, ix := range s.Indexes {
		oh, or, inOld := ix.In(w.Old)
		nh, nr, inNew := ix.In(w.New)
		var po, pn map[string]types.AttributeValue
		if inOld {
			po = ix.Project(s, w.Old)
		}
		if inNew {
			pn = ix.Project(s, w.New)
		}
		switch {
		case inOld && inNew && oh == nh && or == nr:
			if !sameItem(po, pn) {
				units = append(units, Unit{Index: ix.Name, PK: nh, WCU: f * WriteUnits(max(dynamo.ItemSize(po), dynamo.ItemSize(pn)))})
			}
		default:
			if inOld {
				units = append(units, Unit{Index: ix.Name, PK: oh, WCU: f * WriteUnits(dynamo.ItemSize(po))})
			}
			if inNew {
				units = append(units, Unit{Index: ix.Name, PK: nh, WCU: f * WriteUnits(dynamo.ItemSize(pn))})
			}
		}
	}
	return units
}

// ChargeItemReads charges reads item by item (GetItem, BatchGetItem,
// TransactGetItems with factor 2): each item rounded up on its own, a
// missing item one unit. Index reads are never consistent.
func ChargeItemReads(index, pk string, sizes []int, consistent bool, factor float64) Unit {
	u := Unit{Index: index, PK: pk}
	for _, n := range sizes {
		u.RCU += factor * ReadUnits(n, consistent)
	}
	if consistent {
		u.ConsistentRCU = u.RCU
	}
	return u
}

// ChargeQuery charges a Query page: the sum of the sizes of the items it
// read (before any filter, whatever the projection), rounded up once.
func ChargeQuery(index, pk string, sizes []int, consistent bool) Unit {
	total := 0
	for _, n := range sizes {
		total += n
	}
	return ChargeItemReads(index, pk, []int{total}, consistent, 1)
}
