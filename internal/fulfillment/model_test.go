package fulfillment

import (
	"strings"
	"testing"
)

func TestAssetOfRequest_Shapes(t *testing.T) {
	tests := []struct {
		id    string
		asset string
		ok    bool
	}{
		{"PR-7658-9572-0778-001", "AS-7658-9572-0778", true},
		{"PR-7658-9572-0778-1000", "AS-7658-9572-0778", true},
		{RequestID("AS-1111-2222-3333", 12), "AS-1111-2222-3333", true},
		{"PR-7658-9572-0778", "", false},
		{"PR-7658-9572-0778-01", "", false},
		{"AS-7658-9572-0778-001", "", false},
		{"PR-", "", false},
		{"PR-7658-9572-0778-001#x", "", false},
		{"PR-" + strings.Repeat("1", 3000), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.id[:min(len(tt.id), 30)], func(t *testing.T) {
			got, ok := AssetOfRequest(tt.id)
			if got != tt.asset || ok != tt.ok {
				t.Errorf("AssetOfRequest(%q) = %q, %v; want %q, %v", tt.id, got, ok, tt.asset, tt.ok)
			}
		})
	}
}

func TestValidAssetID_Shapes(t *testing.T) {
	for id, want := range map[string]bool{
		NewAssetID():          true,
		"AS-7658-9572-0778":   true,
		"AS-7658-9572-077":    false,
		"as-7658-9572-0778":   false,
		"AS-7658-9572-0778 ":  false,
		"PR-7658-9572-0778-1": false,
	} {
		if got := ValidAssetID(id); got != want {
			t.Errorf("ValidAssetID(%q) = %v, want %v", id, got, want)
		}
	}
}
