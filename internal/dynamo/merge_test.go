package dynamo

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// entry is item id's entry at sort key sk.
func entry(id, sk string) IndexEntry {
	return IndexEntry{Key: Key{PK: "ITEM#" + id, SK: "X"}, SortKey: sk}
}

// An item read under two index keys while it moved between partitions
// (its old status list and its new one) is merged once, in its place.
func TestMerge(t *testing.T) {
	a, b, c := entry("A", "T1#A"), entry("B", "T2#B"), entry("C", "T3#C")
	tests := []struct {
		name    string
		results [][]IndexEntry
		desc    bool
		want    []IndexEntry
	}{
		{"distinct items", [][]IndexEntry{{a, c}, {b}}, false, []IndexEntry{a, b, c}},
		{"descending", [][]IndexEntry{{c, a}, {b}}, true, []IndexEntry{c, b, a}},
		{"an item in two partitions", [][]IndexEntry{{a, b}, {b, c}}, false, []IndexEntry{a, b, c}},
		{"an item in two partitions, descending", [][]IndexEntry{{c, b}, {b, a}}, true, []IndexEntry{c, b, a}},
		{"an item in three partitions", [][]IndexEntry{{b}, {a, b}, {b, c}}, false, []IndexEntry{a, b, c}},
		{"one partition", [][]IndexEntry{{a, b, c}}, false, []IndexEntry{a, b, c}},
		{"nothing", [][]IndexEntry{{}, nil}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, merge(tt.results, tt.desc)); diff != "" {
				t.Errorf("merged (-want +got):\n%s", diff)
			}
		})
	}
}
