package scale

import (
	"fmt"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Schema is what the model knows of the table: its key attributes and its
// global secondary indexes, read from the deployed table's description.
type Schema struct {
	Table       string
	Hash, Range string // the table's key attributes; Range may be empty
	Indexes     []Index
}

// Index is one global secondary index.
type Index struct {
	Name        string
	Hash, Range string
	Projection  types.ProjectionType
	NonKey      []string // INCLUDE's NonKeyAttributes
}

// SchemaOf reads the schema from a DescribeTable answer.
func SchemaOf(d *types.TableDescription) (Schema, error) {
	s := Schema{Table: aws.ToString(d.TableName)}
	s.Hash, s.Range = keyAttrs(d.KeySchema)
	if s.Hash == "" {
		return s, fmt.Errorf("scale: table %s has no hash key", s.Table)
	}
	for _, g := range d.GlobalSecondaryIndexes {
		ix := Index{Name: aws.ToString(g.IndexName)}
		ix.Hash, ix.Range = keyAttrs(g.KeySchema)
		if g.Projection != nil {
			ix.Projection, ix.NonKey = g.Projection.ProjectionType, g.Projection.NonKeyAttributes
		}
		if ix.Projection == "" {
			ix.Projection = types.ProjectionTypeKeysOnly
		}
		s.Indexes = append(s.Indexes, ix)
	}
	return s, nil
}

func keyAttrs(ks []types.KeySchemaElement) (hash, rng string) {
	for _, k := range ks {
		switch k.KeyType {
		case types.KeyTypeHash:
			hash = aws.ToString(k.AttributeName)
		case types.KeyTypeRange:
			rng = aws.ToString(k.AttributeName)
		}
	}
	return hash, rng
}

// Key returns the table key attributes of item.
func (s Schema) Key(item map[string]types.AttributeValue) map[string]types.AttributeValue {
	k := map[string]types.AttributeValue{s.Hash: item[s.Hash]}
	if s.Range != "" {
		k[s.Range] = item[s.Range]
	}
	return k
}

// Index returns the index named name.
func (s Schema) Index(name string) (Index, bool) {
	for _, ix := range s.Indexes {
		if ix.Name == name {
			return ix, true
		}
	}
	return Index{}, false
}

// In reports whether item is in the index (a sparse index holds only the
// items that carry all its key attributes) and its index key.
func (ix Index) In(item map[string]types.AttributeValue) (hash, rng string, ok bool) {
	if item == nil {
		return "", "", false
	}
	h, ok := scalar(item[ix.Hash])
	if !ok {
		return "", "", false
	}
	if ix.Range == "" {
		return h, "", true
	}
	r, ok := scalar(item[ix.Range])
	return h, r, ok
}

// Project is the index item that the table item becomes: its keys, the
// table's keys and what the projection keeps.
func (ix Index) Project(s Schema, item map[string]types.AttributeValue) map[string]types.AttributeValue {
	if ix.Projection == types.ProjectionTypeAll {
		return item
	}
	out := map[string]types.AttributeValue{}
	keep := append([]string{s.Hash, s.Range, ix.Hash, ix.Range}, ix.NonKey...)
	if ix.Projection != types.ProjectionTypeInclude {
		keep = keep[:4]
	}
	for _, a := range keep {
		if v, ok := item[a]; ok && a != "" {
			out[a] = v
		}
	}
	return out
}

// scalar renders a key attribute's value as text; key attributes are S, N
// or B.
func scalar(v types.AttributeValue) (string, bool) {
	switch t := v.(type) {
	case *types.AttributeValueMemberS:
		return t.Value, true
	case *types.AttributeValueMemberN:
		return t.Value, true
	case *types.AttributeValueMemberB:
		return fmt.Sprintf("%x", t.Value), true
	}
	return "", false
}

func sameItem(a, b map[string]types.AttributeValue) bool { return reflect.DeepEqual(a, b) }
