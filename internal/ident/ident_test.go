package ident

import (
	"regexp"
	"testing"
)

func TestDigits(t *testing.T) {
	tests := []struct {
		prefix string
		groups []int
		re     string
	}{
		{"PRD", []int{3, 3, 3}, `^PRD-\d{3}-\d{3}-\d{3}$`},
		{"VA", []int{3, 3}, `^VA-\d{3}-\d{3}$`},
		{"MP", []int{5}, `^MP-\d{5}$`},
		{"AS", []int{4, 4, 4}, `^AS-\d{4}-\d{4}-\d{4}$`},
	}
	for _, tt := range tests {
		t.Run(tt.prefix, func(t *testing.T) {
			got := Digits(tt.prefix, tt.groups...)
			if !regexp.MustCompile(tt.re).MatchString(got) {
				t.Errorf("Digits() = %q, want match %s", got, tt.re)
			}
		})
	}
}

func TestUUID(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 100 {
		u := UUID()
		if !re.MatchString(u) || seen[u] {
			t.Fatalf("UUID() = %q (dup %v)", u, seen[u])
		}
		seen[u] = true
	}
}

func TestSecret(t *testing.T) {
	if a, b := Secret(32), Secret(32); a == b || len(a) != 43 {
		t.Fatalf("Secret(32) = %q, %q", a, b)
	}
}
