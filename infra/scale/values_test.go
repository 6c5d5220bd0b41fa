package scale

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Attribute values for the tests of the charging rules.
type av = types.AttributeValue

func s(v string) av   { return &types.AttributeValueMemberS{Value: v} }
func n(v string) av   { return &types.AttributeValueMemberN{Value: v} }
func pad(k int) av    { return s(strings.Repeat("x", k)) }
func list(v ...av) av { return &types.AttributeValueMemberL{Value: v} }
