package dynamo

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ItemSize is an item's size in bytes by DynamoDB's published rules
// ("Item sizes and formats" in the developer guide): the UTF-8 length of
// every attribute name plus its value's size.
func ItemSize(item map[string]types.AttributeValue) int {
	n := 0
	for k, v := range item {
		n += len(k) + valueSize(v)
	}
	return n
}

// valueSize is a value's size: strings and binaries their byte length,
// numbers one byte per two significant digits plus one, null and booleans
// one byte, lists and maps 3 bytes plus one byte and the size of each
// element (a map element also its name), sets the sum of their members.
func valueSize(v types.AttributeValue) int {
	switch t := v.(type) {
	case *types.AttributeValueMemberS:
		return len(t.Value)
	case *types.AttributeValueMemberN:
		return numberSize(t.Value)
	case *types.AttributeValueMemberB:
		return len(t.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		return sum(t.Value, func(s string) int { return len(s) })
	case *types.AttributeValueMemberNS:
		return sum(t.Value, numberSize)
	case *types.AttributeValueMemberBS:
		return sum(t.Value, func(b []byte) int { return len(b) })
	case *types.AttributeValueMemberL:
		return 3 + sum(t.Value, func(e types.AttributeValue) int { return 1 + valueSize(e) })
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range t.Value {
			n += 1 + len(k) + valueSize(e)
		}
		return n
	}
	return 0
}

// sum is the sum of size(v) over vs.
func sum[T any](vs []T, size func(T) int) int {
	n := 0
	for _, v := range vs {
		n += size(v)
	}
	return n
}

// numberSize is 1 byte per two significant digits (leading and trailing
// zeros trimmed, rounded up) plus 1.
func numberSize(s string) int {
	s = strings.TrimLeft(s, "+-")
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		s = s[:i]
	}
	s = strings.ReplaceAll(s, ".", "")
	s = strings.Trim(s, "0")
	return (len(s)+1)/2 + 1
}
