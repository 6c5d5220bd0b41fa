package relay

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/internal/dynamo"
)

func image(attrs map[string]string) map[string]events.DynamoDBAttributeValue {
	if attrs == nil {
		return nil
	}
	out := map[string]events.DynamoDBAttributeValue{}
	for k, v := range attrs {
		out[k] = events.NewStringAttribute(v)
	}
	return out
}

func record(before, after map[string]string, seq string) events.DynamoDBEventRecord {
	return events.DynamoDBEventRecord{Change: events.DynamoDBStreamRecord{
		SequenceNumber: seq, OldImage: image(before), NewImage: image(after),
	}}
}

func count(pk string) dynamo.Key { return dynamo.Key{PK: "COUNT#" + pk + "#3", SK: "COUNT"} }

func TestCountDeltas(t *testing.T) {
	pending := map[string]string{"gsi4pk": "REQ#Q#VA-1#pending#3", "gsi5pk": "REQ#V#VA-1#3", "gsi6pk": "REQ#P#PA-1#3"}
	approved := map[string]string{"gsi4pk": "REQ#Q#VA-1#approved#3", "gsi5pk": "REQ#V#VA-1#3", "gsi6pk": "REQ#P#PA-1#3"}
	other := map[string]string{"gsi4pk": "REQ#Q#VA-1#pending#7", "gsi5pk": "REQ#V#VA-1#7", "gsi6pk": "REQ#P#PA-1#7"}
	tests := []struct {
		name    string
		records []events.DynamoDBEventRecord
		want    map[dynamo.Key]int
	}{
		{"an insert enters every list", []events.DynamoDBEventRecord{record(nil, pending, "1")},
			map[dynamo.Key]int{count("REQ#Q#VA-1#pending"): 1, count("REQ#V#VA-1"): 1, count("REQ#P#PA-1"): 1}},
		{"a status change moves between queue lists only", []events.DynamoDBEventRecord{record(pending, approved, "1")},
			map[dynamo.Key]int{count("REQ#Q#VA-1#pending"): -1, count("REQ#Q#VA-1#approved"): 1}},
		{"shards of one list add up", []events.DynamoDBEventRecord{record(nil, pending, "1"), record(nil, other, "2")},
			map[dynamo.Key]int{count("REQ#Q#VA-1#pending"): 2, count("REQ#V#VA-1"): 2, count("REQ#P#PA-1"): 2}},
		{"in and out in one batch cancel", []events.DynamoDBEventRecord{record(nil, pending, "1"), record(pending, approved, "2"), record(approved, nil, "3")},
			map[dynamo.Key]int{}},
		{"an update that keeps the keys counts nothing", []events.DynamoDBEventRecord{record(pending, pending, "1")}, map[dynamo.Key]int{}},
		{"keys of other shapes are not counted", []events.DynamoDBEventRecord{record(nil, map[string]string{"gsi1pk": "ACCOUNTS#vendor", "gsi2pk": "INVOICES#PA-1#3", "gsi4pk": "NOSHARD"}, "1")},
			map[dynamo.Key]int{}},
		{"a catalog list is counted as one partition", []events.DynamoDBEventRecord{
			record(nil, map[string]string{"gsi1pk": "LISTINGREQUESTS#V#VA-1", "gsi2pk": "LISTINGREQUESTS#P#PA-1"}, "1"),
			record(nil, map[string]string{"gsi1pk": "PRODUCTS#VA-1"}, "2"),
			record(map[string]string{"gsi1pk": "MARKETPLACES#PA-1", "gsi2pk": "MARKETPLACES"}, nil, "3")},
			map[dynamo.Key]int{count("LISTINGREQUESTS#V#VA-1"): 1, count("LISTINGREQUESTS#P#PA-1"): 1, count("PRODUCTS#VA-1"): 1,
				count("MARKETPLACES#PA-1"): -1, count("MARKETPLACES"): -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, countDeltas(tt.records, 3)); diff != "" {
				t.Errorf("deltas (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSettled(t *testing.T) {
	recs := []events.DynamoDBEventRecord{record(nil, nil, "98"), record(nil, nil, "99"), record(nil, nil, "100")}
	tests := []struct {
		failedAt string
		want     int
	}{{"", 3}, {"98", 0}, {"99", 1}, {"100", 2}}
	for _, tt := range tests {
		t.Run("failed at "+tt.failedAt, func(t *testing.T) {
			if got := len(settled(recs, tt.failedAt)); got != tt.want {
				t.Errorf("settled = %d records, want %d", got, tt.want)
			}
		})
	}
}
