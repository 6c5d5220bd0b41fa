package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Partition names the items of one partition key, of the table or of an
// index, optionally narrowed to sort keys that start with SKPrefix.
type Partition struct {
	Index    string // "" for the table, or one of GSI1…GSI6
	PK       string
	SKPrefix string
}

func (p Partition) keyNames() (string, string) {
	if p.Index == "" {
		return PK, SK
	}
	return p.Index + "pk", p.Index + "sk"
}

// Input builds the Query input of one page of the partition.
func (p Partition) Input(limit int32, start map[string]types.AttributeValue) (*dynamodb.QueryInput, error) {
	pkName, skName := p.keyNames()
	kc := expression.Key(pkName).Equal(expression.Value(p.PK))
	if p.SKPrefix != "" {
		kc = kc.And(expression.Key(skName).BeginsWith(p.SKPrefix))
	}
	in, err := p.query(kc, limit)
	if err != nil {
		return nil, err
	}
	in.ExclusiveStartKey = start
	return in, nil
}

// query is the Query of the partition under the key condition kc.
func (p Partition) query(kc expression.KeyConditionBuilder, limit int32) (*dynamodb.QueryInput, error) {
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, fmt.Errorf("dynamo: build query of %s: %w", p.PK, err)
	}
	in := &dynamodb.QueryInput{
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		Limit:                     aws.Int32(limit),
	}
	if p.Index != "" {
		in.IndexName = aws.String(p.Index)
	} else {
		// Reads of the table itself are consistent, so that a list shows
		// what was just written; indexes cannot be.
		in.ConsistentRead = aws.Bool(true)
	}
	return in, nil
}

// QueryAll reads every item of the partition, a page of up to 1 MB at a
// time, and decodes them into T. Use it only for partitions that stay
// small (an account's tokens, a product's items).
func QueryAll[T any](ctx context.Context, t *Table, p Partition) ([]T, error) {
	var out []T
	var start map[string]types.AttributeValue
	for {
		in, err := p.Input(1000, start)
		if err != nil {
			return nil, err
		}
		page, err := t.Query(ctx, in)
		if err != nil {
			return nil, err
		}
		var items []T
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &items); err != nil {
			return nil, fmt.Errorf("dynamo: decode %s: %w", p.PK, err)
		}
		out = append(out, items...)
		if page.Next == nil {
			return out, nil
		}
		start = page.Next
	}
}
