package dynamo_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/internal/dynamo"
)

// TestRow_Attributes pins the attribute names of a row, and of a store's
// row that embeds it: they are the table's layout, which must not change
// with the Go types.
func TestRow_Attributes(t *testing.T) {
	type storeRow struct {
		dynamo.Row
		Rev int `dynamodbav:"rev"`
	}
	for _, tt := range []struct {
		name string
		row  any
		want []string
	}{
		{"doc row", dynamo.DocRow(dynamo.Key{PK: "P", SK: "S"}, "thing", map[string]int{"a": 1}),
			[]string{"pk", "sk", "entity", "doc"}},
		{"indexed row with an attribute", storeRow{Row: dynamo.Row{Key: dynamo.Key{PK: "P", SK: "S"}, Entity: "thing",
			Indexes: dynamo.Indexes{GSI1PK: "L", GSI1SK: "1", GSI7PK: "D", GSI7SK: "2"}}},
			[]string{"pk", "sk", "entity", "gsi1pk", "gsi1sk", "gsi7pk", "gsi7sk", "rev"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			av, err := attributevalue.MarshalMap(tt.row)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for k := range av {
				got[k] = true
			}
			want := map[string]bool{}
			for _, k := range tt.want {
				want[k] = true
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("attributes (-want +got):\n%s", diff)
			}
			var back storeRow
			if err := attributevalue.UnmarshalMap(av, &back); err != nil || back.PK != "P" || back.Entity != "thing" {
				t.Errorf("decoded %+v, %v", back, err)
			}
		})
	}
}

func TestRow_Decode(t *testing.T) {
	r := dynamo.DocRow(dynamo.Key{PK: "P", SK: "S"}, "thing", struct {
		A int `json:"a"`
	}{7})
	got, err := dynamo.Decode[map[string]int](r)
	if err != nil || got["a"] != 7 {
		t.Fatalf("Decode = %v, %v", got, err)
	}
	r.Doc = "{"
	if _, err := dynamo.Decode[map[string]int](r); err == nil {
		t.Error("a broken doc decoded")
	}
}
