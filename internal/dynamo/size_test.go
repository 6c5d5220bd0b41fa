package dynamo

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

type av = types.AttributeValue

func s(v string) av   { return &types.AttributeValueMemberS{Value: v} }
func n(v string) av   { return &types.AttributeValueMemberN{Value: v} }
func boolean() av     { return &types.AttributeValueMemberBOOL{Value: true} }
func null() av        { return &types.AttributeValueMemberNULL{Value: true} }
func list(v ...av) av { return &types.AttributeValueMemberL{Value: v} }

func TestItemSize(t *testing.T) {
	tests := []struct {
		name string
		item map[string]av
		want int
	}{
		{"string: name and value bytes", map[string]av{"pk": s("ACCOUNT#1")}, 2 + 9},
		{"utf-8 counts bytes", map[string]av{"n": s("é")}, 1 + 2},
		{"number: digits/2 rounded up, plus 1", map[string]av{"n": n("123")}, 1 + 2 + 1},
		{"number: zeros and point trimmed", map[string]av{"n": n("0.0100")}, 1 + 1 + 1},
		{"number: sign and exponent", map[string]av{"n": n("-12.5e3")}, 1 + 2 + 1},
		{"number: zero", map[string]av{"n": n("0")}, 1 + 0 + 1},
		{"bool", map[string]av{"ok": boolean()}, 2 + 1},
		{"null", map[string]av{"x": null()}, 1 + 1},
		{"binary: raw bytes", map[string]av{"b": &types.AttributeValueMemberB{Value: []byte{1, 2, 3}}}, 1 + 3},
		{"list: 3 + 1 per element + elements", map[string]av{"l": list(s("ab"), n("7"))}, 1 + 3 + (1 + 2) + (1 + 2)},
		{"empty list", map[string]av{"e": list()}, 1 + 3},
		{"map: elements carry their names", map[string]av{"m": &types.AttributeValueMemberM{Value: map[string]av{"k": s("v")}}}, 1 + 3 + (1 + 1 + 1)},
		{"string set", map[string]av{"s": &types.AttributeValueMemberSS{Value: []string{"a", "bc"}}}, 1 + 3},
		{"number set", map[string]av{"s": &types.AttributeValueMemberNS{Value: []string{"1", "1234"}}}, 1 + 2 + 3},
		{"several attributes", map[string]av{"pk": s("P#1"), "sk": s("S"), "v": n("42")}, 5 + 3 + 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ItemSize(tt.item); got != tt.want {
				t.Errorf("ItemSize() = %d, want %d", got, tt.want)
			}
		})
	}
}
