package dynamo

import (
	"encoding/json"
	"fmt"
)

// Row is an item as every store writes it: its key, the index key
// attributes it is listed by, what it is (entity), and the object as the
// JSON the API shows (doc), so that an answer, an event and a snapshot are
// the same bytes. A store whose items carry more attributes (revisions,
// counters, expiry) embeds Row and adds them; one that stores attributes
// rather than a doc leaves Doc empty, and an index attribute left empty is
// not written, so the item stays out of that index.
//
// The values of the keys are built by internal/layout and the owning
// store; Row only fixes the attribute names, which template.yaml declares.
type Row struct {
	Key
	Indexes
	Entity string `dynamodbav:"entity"`
	Doc    string `dynamodbav:"doc,omitempty"`
}

// Indexes are an item's index key attributes, gsi1–gsi7.
type Indexes struct {
	GSI1PK string `dynamodbav:"gsi1pk,omitempty"`
	GSI1SK string `dynamodbav:"gsi1sk,omitempty"`
	GSI2PK string `dynamodbav:"gsi2pk,omitempty"`
	GSI2SK string `dynamodbav:"gsi2sk,omitempty"`
	GSI3PK string `dynamodbav:"gsi3pk,omitempty"`
	GSI3SK string `dynamodbav:"gsi3sk,omitempty"`
	GSI4PK string `dynamodbav:"gsi4pk,omitempty"`
	GSI4SK string `dynamodbav:"gsi4sk,omitempty"`
	GSI5PK string `dynamodbav:"gsi5pk,omitempty"`
	GSI5SK string `dynamodbav:"gsi5sk,omitempty"`
	GSI6PK string `dynamodbav:"gsi6pk,omitempty"`
	GSI6SK string `dynamodbav:"gsi6sk,omitempty"`
	GSI7PK string `dynamodbav:"gsi7pk,omitempty"`
	GSI7SK string `dynamodbav:"gsi7sk,omitempty"`
}

// DocRow is the row of v, stored as its JSON under key k. The stored types
// are plain structs of strings, numbers, times and decimals, which always
// marshal; a failure is a programming error.
func DocRow(k Key, entity string, v any) Row {
	return Row{Key: k, Entity: entity, Doc: DocJSON(v)}
}

// DocJSON is the JSON of a stored value (a row's doc, or a JSON attribute
// beside it), under DocRow's rule: a failure is a programming error.
func DocJSON(v any) string {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("dynamo: marshal %T: %v", v, err))
	}
	return string(raw)
}

// Base returns the row itself: it lets Decode take a store's row that
// embeds Row as well as a Row.
func (r Row) Base() Row { return r }

// Rowed is Row or a store's row type that embeds it.
type Rowed interface{ Base() Row }

// Decode decodes the doc of a row; the error names the row.
func Decode[T any](rowed Rowed) (T, error) {
	r := rowed.Base()
	var v T
	if err := json.Unmarshal([]byte(r.Doc), &v); err != nil {
		return v, fmt.Errorf("decode %s %s/%s: %w", r.Entity, r.PK, r.SK, err)
	}
	return v, nil
}

// DecodeAll decodes the docs of rows, in order.
func DecodeAll[T any, R Rowed](rows []R) ([]T, error) {
	out := make([]T, 0, len(rows))
	for _, r := range rows {
		v, err := Decode[T](r)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
