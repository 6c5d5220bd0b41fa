package fault

import (
	"errors"
	"fmt"
	"testing"
)

func TestKindOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Kind
	}{
		{"plain error is internal", errors.New("boom"), Internal},
		{"direct", NotFoundf("product %s not found", "PRD-1"), NotFound},
		{"wrapped", fmt.Errorf("load: %w", Conflictf("version moved")), Conflict},
		{"nil is internal", nil, Internal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := KindOf(tt.err); got != tt.want {
				t.Errorf("KindOf() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestError_WithCode(t *testing.T) {
	base := Invalidf("quantity must be at least %d", 1)
	coded := base.WithCode("REQ_010").WithPartnerCode(800009)
	if base.Code != "" || base.PartnerCode != 0 {
		t.Fatalf("WithCode mutated the original: %+v", base)
	}
	if coded.Code != "REQ_010" || coded.PartnerCode != 800009 || coded.Kind != Invalid {
		t.Fatalf("coded = %+v", coded)
	}
	if coded.Error() != "quantity must be at least 1" {
		t.Fatalf("Error() = %q", coded.Error())
	}
}
