package scale

import "testing"

func TestShaper_Shape(t *testing.T) {
	sh := Shaper{Names: map[string]string{"VA-123-456": "<vendor>", "PA-111-222": "<provider>"}}
	tests := []struct{ key, want string }{
		{"EVENTS#VA-123-456", "EVENTS#<vendor>"},
		{"REQUESTS#V#VA-123-456#pending", "REQUESTS#V#<vendor>#pending"},
		{"EVENTS#PA-111-222#7", "EVENTS#<provider>#<n>"},
		{"RENEWAL#2026-12-05", "RENEWAL#<date>"},
		{"USAGE#2026-12", "USAGE#<date>"},
		{"AT#2026-12-05T21:14:33Z", "AT#<date>"},
		{"ASSET#AS-1234-5678-9012", "ASSET#<id>"},
		{"CUSTOMER#3f2c1a9e-1b2c-4d3e-8f90-123456789abc", "CUSTOMER#<id>"},
		{"WHDELIVERIES#PA-111-222#WH-123-456", "WHDELIVERIES#<provider>#<id>"},
		{"IDEMPOTENCY#PA-111-222#scale-17-3", "IDEMPOTENCY#<provider>#<id>"},
		{"ACCOUNT:VA-123-456", "ACCOUNT:<vendor>"},
		{"PRODUCTS", "PRODUCTS"},
		{"DEDUPE#mail#EV-1234-5678", "DEDUPE#mail#<id>"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if got := sh.Shape(tt.key); got != tt.want {
				t.Errorf("Shape(%q) = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
}

func TestAPIOp(t *testing.T) {
	sh := Shaper{}
	tests := []struct{ method, path, want string }{
		{"POST", "/v1/customers/3f2c1a9e-1b2c-4d3e-8f90-123456789abc/orders", "order"},
		{"POST", "/public/v1/requests/PR-1234-5678-9012-001/approve", "approve"},
		{"GET", "/public/v1/requests", "list requests"},
		{"GET", "/public/v1/assets/AS-1234-5678-9012", "api GET /public/v1/assets/<id>"},
	}
	for _, tt := range tests {
		if got := apiOp(tt.method, tt.path, sh); got != tt.want {
			t.Errorf("apiOp(%s %s) = %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}
