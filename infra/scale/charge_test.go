package scale

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
)

// testSchema has an ALL, a KEYS_ONLY and an INCLUDE index.
var testSchema = Schema{Table: "t", Hash: "pk", Range: "sk", Indexes: []Index{
	{Name: "all", Hash: "apk", Range: "ask", Projection: types.ProjectionTypeAll},
	{Name: "keys", Hash: "kpk", Range: "ksk", Projection: types.ProjectionTypeKeysOnly},
	{Name: "inc", Hash: "ipk", Range: "isk", Projection: types.ProjectionTypeInclude, NonKey: []string{"a"}},
}}

// item is pk P#1, sk S (5 + 3 bytes) plus attrs.
func item(attrs ...any) map[string]av {
	it := map[string]av{"pk": s("P#1"), "sk": s("S")}
	for i := 0; i < len(attrs); i += 2 {
		it[attrs[i].(string)] = attrs[i+1].(av)
	}
	return it
}

func TestSchema_ChargeWrite(t *testing.T) {
	tests := []struct {
		name  string
		w     Write
		rules Rules
		want  []Unit
	}{
		{"put under 1 KB: 1 WCU, no index",
			Write{New: item("pad", pad(1000))}, // 8 + 3 + 1000 = 1011
			Rules{}, []Unit{{PK: "P#1", WCU: 1}}},
		{"put over 1 KB: 2 WCU",
			Write{New: item("pad", pad(1020))}, // 1031
			Rules{}, []Unit{{PK: "P#1", WCU: 2}}},
		{"transactional put: doubled",
			Write{New: item("pad", pad(1020)), Tx: true},
			Rules{}, []Unit{{PK: "P#1", WCU: 4}}},
		{"update: the larger image",
			Write{Old: item("pad", pad(2100)), New: item("pad", pad(10))}, // 2111 → 3
			Rules{}, []Unit{{PK: "P#1", WCU: 3}}},
		{"put entering an ALL index: the whole item there",
			Write{New: item("apk", s("G#1"), "ask", s("x"), "pad", pad(1010))}, // 8+7+5+1013 = 1033
			Rules{}, []Unit{{PK: "P#1", WCU: 2}, {Index: "all", PK: "G#1", WCU: 2}}},
		{"transactional put into an index: index at the standard rate",
			Write{New: item("apk", s("G#1"), "ask", s("x")), Tx: true},
			Rules{}, []Unit{{PK: "P#1", WCU: 2}, {Index: "all", PK: "G#1", WCU: 1}}},
		{"transactional put into an index, index doubled by rule",
			Write{New: item("apk", s("G#1"), "ask", s("x")), Tx: true},
			Rules{TxIndexFactor: 2}, []Unit{{PK: "P#1", WCU: 2}, {Index: "all", PK: "G#1", WCU: 2}}},
		{"index key change: delete old, put new",
			Write{Old: item("apk", s("G#1"), "ask", s("x")), New: item("apk", s("G#2"), "ask", s("x"))},
			Rules{}, []Unit{{PK: "P#1", WCU: 1}, {Index: "all", PK: "G#1", WCU: 1}, {Index: "all", PK: "G#2", WCU: 1}}},
		{"index sort key change: delete and put under one partition",
			Write{Old: item("apk", s("G#1"), "ask", s("x")), New: item("apk", s("G#1"), "ask", s("y"))},
			Rules{}, []Unit{{PK: "P#1", WCU: 1}, {Index: "all", PK: "G#1", WCU: 1}, {Index: "all", PK: "G#1", WCU: 1}}},
		{"index key removed: delete of the old projection",
			Write{Old: item("apk", s("G#1"), "ask", s("x"), "pad", pad(1500)), New: item("pad", pad(1500))},
			Rules{}, []Unit{{PK: "P#1", WCU: 2}, {Index: "all", PK: "G#1", WCU: 2}}},
		{"sparse: no range key, not in the index",
			Write{New: item("apk", s("G#1"))},
			Rules{}, []Unit{{PK: "P#1", WCU: 1}}},
		{"ALL index: a non-key change rewrites it",
			Write{Old: item("apk", s("G#1"), "ask", s("x"), "pad", pad(1)), New: item("apk", s("G#1"), "ask", s("x"), "pad", pad(2))},
			Rules{}, []Unit{{PK: "P#1", WCU: 1}, {Index: "all", PK: "G#1", WCU: 1}}},
		{"KEYS_ONLY index: a non-key change does not touch it",
			Write{Old: item("kpk", s("K#1"), "ksk", s("x"), "pad", pad(1)), New: item("kpk", s("K#1"), "ksk", s("x"), "pad", pad(2))},
			Rules{}, []Unit{{PK: "P#1", WCU: 1}}},
		{"KEYS_ONLY index: keys only, whatever the item's size",
			Write{New: item("kpk", s("K#1"), "ksk", s("x"), "pad", pad(5000))}, // table 8+7+5+5003 = 5023 → 5
			Rules{}, []Unit{{PK: "P#1", WCU: 5}, {Index: "keys", PK: "K#1", WCU: 1}}},
		{"INCLUDE index: a change of an included attribute rewrites it",
			Write{Old: item("ipk", s("I#1"), "isk", s("x"), "a", s("1")), New: item("ipk", s("I#1"), "isk", s("x"), "a", s("2"))},
			Rules{}, []Unit{{PK: "P#1", WCU: 1}, {Index: "inc", PK: "I#1", WCU: 1}}},
		{"INCLUDE index: a change of another attribute does not",
			Write{Old: item("ipk", s("I#1"), "isk", s("x"), "b", s("1")), New: item("ipk", s("I#1"), "isk", s("x"), "b", s("2"))},
			Rules{}, []Unit{{PK: "P#1", WCU: 1}}},
		{"INCLUDE index: projected size counts the included attribute only",
			Write{New: item("ipk", s("I#1"), "isk", s("x"), "a", pad(1100), "b", pad(3000))}, // table ≈ 4124 → 5; index 8+7+5+1101 = 1121 → 2
			Rules{}, []Unit{{PK: "P#1", WCU: 5}, {Index: "inc", PK: "I#1", WCU: 2}}},
		{"delete: the old item, and its index entries",
			Write{Old: item("apk", s("G#1"), "ask", s("x"), "kpk", s("K#1"), "ksk", s("y"))},
			Rules{}, []Unit{{PK: "P#1", WCU: 1}, {Index: "all", PK: "G#1", WCU: 1}, {Index: "keys", PK: "K#1", WCU: 1}}},
		{"ConditionCheck: 2 WCU per started KB of the checked item, no index",
			Write{Old: item("apk", s("G#1"), "ask", s("x"), "pad", pad(1500)), New: item("apk", s("G#1"), "ask", s("x"), "pad", pad(1500)), Tx: true, Check: true},
			Rules{}, []Unit{{PK: "P#1", WCU: 4}}},
		{"failed conditional put: the current item's size, no index",
			Write{Old: item("apk", s("G#1"), "ask", s("x")), New: item("apk", s("G#1"), "ask", s("x")), Failed: true},
			Rules{}, []Unit{{PK: "P#1", WCU: 1}}},
		{"cancelled transaction: doubled",
			Write{New: item(), Tx: true, Failed: true},
			Rules{}, []Unit{{PK: "P#1", WCU: 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := testSchema.ChargeWrite(tt.w, tt.rules)
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("ChargeWrite() (-want +got):\n%s", d)
			}
		})
	}
}

func TestReadUnits(t *testing.T) {
	tests := []struct {
		size       int
		consistent bool
		want       float64
	}{
		{0, true, 1}, {0, false, 0.5}, {4096, true, 1}, {4097, true, 2}, {4097, false, 1}, {12500, true, 4}, {12500, false, 2},
	}
	for _, tt := range tests {
		if got := ReadUnits(tt.size, tt.consistent); got != tt.want {
			t.Errorf("ReadUnits(%d, %v) = %g, want %g", tt.size, tt.consistent, got, tt.want)
		}
	}
}

func TestChargeReads(t *testing.T) {
	tests := []struct {
		name string
		got  Unit
		want Unit
	}{
		{"query: sizes summed, then rounded", ChargeQuery("", "P", []int{3000, 3000}, true), Unit{PK: "P", RCU: 2, ConsistentRCU: 2}},
		{"query on an index: eventually consistent", ChargeQuery("gsi1", "G", []int{3000, 3000}, false), Unit{Index: "gsi1", PK: "G", RCU: 1}},
		{"empty query: still half a unit", ChargeQuery("gsi1", "G", nil, false), Unit{Index: "gsi1", PK: "G", RCU: 0.5}},
		{"batch get: each item rounded", ChargeItemReads("", "P", []int{3000, 3000}, false, 1), Unit{PK: "P", RCU: 1}},
		{"transactional get: doubled", ChargeItemReads("", "P", []int{3000, 5000}, true, 2), Unit{PK: "P", RCU: 6, ConsistentRCU: 6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.want, tt.got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestPartitionOf(t *testing.T) {
	vals := map[string]av{":0": s("EVENTS#VA-1"), ":1": s("2026")}
	tests := []struct {
		name  string
		cond  string
		names map[string]string
		want  string
	}{
		{"placeholders", "#0 = :0 AND begins_with(#1, :1)", map[string]string{"#0": "gsi1pk", "#1": "gsi1sk"}, "EVENTS#VA-1"},
		{"literal name", "gsi1pk = :0", nil, "EVENTS#VA-1"},
		{"hash second", "#1 = :1 AND #0 = :0", map[string]string{"#0": "gsi1pk", "#1": "gsi1sk"}, "EVENTS#VA-1"},
		{"no equality on the hash", "#1 = :1", map[string]string{"#1": "gsi1sk"}, "(unknown)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PartitionOf(tt.cond, tt.names, vals, "gsi1pk"); got != tt.want {
				t.Errorf("PartitionOf() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestKeyConditionOnly(t *testing.T) {
	q := keyConditionOnly(&dynamodb.QueryInput{
		KeyConditionExpression: aws.String("#0 = :0"), FilterExpression: aws.String("#2 = :2"), ProjectionExpression: aws.String("#2"),
		ExpressionAttributeNames:  map[string]string{"#0": "pk", "#2": "status"},
		ExpressionAttributeValues: map[string]av{":0": s("P#1"), ":2": s("open")},
	})
	if q.FilterExpression != nil || q.ProjectionExpression != nil || q.Select != "" {
		t.Errorf("filter, projection or select kept: %+v", q)
	}
	if d := cmp.Diff(map[string]string{"#0": "pk"}, q.ExpressionAttributeNames); d != "" {
		t.Errorf("names (-want +got):\n%s", d)
	}
	if len(q.ExpressionAttributeValues) != 1 || q.ExpressionAttributeValues[":0"] == nil {
		t.Errorf("values = %v, want only :0", q.ExpressionAttributeValues)
	}
}
