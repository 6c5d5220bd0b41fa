package account

import (
	"strings"
	"testing"

	"github.com/mercato-dev/mercato/internal/fault"
)

func TestParseAuthorization(t *testing.T) {
	tests := []struct {
		name    string
		header  string
		want    string
		wantErr string
	}{
		{"apikey", "ApiKey SU-1:abc", "SU-1:abc", ""},
		{"bearer", "Bearer SU-1:abc", "SU-1:abc", ""},
		{"any case and spaces", "  bearer   SU-1:abc ", "SU-1:abc", ""},
		{"missing", "", "", "missing"},
		{"scheme only", "ApiKey", "", "malformed"},
		{"basic", "Basic dXNlcjpwYXNz", "", "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAuthorization(tt.header)
			if tt.wantErr != "" {
				if !fault.Is(err, fault.Unauthorized) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want Unauthorized containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v", got, err)
			}
		})
	}
}

func TestNewTokenValue(t *testing.T) {
	id, value := newTokenValue()
	if !strings.HasPrefix(value, id+":") || len(value) != len(id)+1+43 {
		t.Fatalf("value %q for id %q", value, id)
	}
	if h := HashToken(value); len(h) != 64 || h == HashToken(value+"x") || strings.Contains(h, value) {
		t.Fatalf("hash %q", h)
	}
	if got := hint(value); got != "…"+value[len(value)-4:] {
		t.Fatalf("hint = %q", got)
	}
}

func TestCreateAccountInput_Validate(t *testing.T) {
	tests := []struct {
		name string
		in   CreateAccountInput
		msgs int
	}{
		{"ok", CreateAccountInput{Type: Vendor, Name: "Front Street"}, 0},
		{"ok with email", CreateAccountInput{Type: Provider, Name: "Hub", Email: "ops@hub.example"}, 0},
		{"everything wrong", CreateAccountInput{Type: "reseller", Name: " ", Email: "nope"}, 3},
		{"name too long", CreateAccountInput{Type: Admin, Name: strings.Repeat("x", 201)}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.in.validate()
			if tt.msgs == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			fe, ok := fault.As(err)
			if !ok || fe.Kind != fault.Invalid || len(fe.Messages) != tt.msgs {
				t.Fatalf("err = %#v, want %d messages", err, tt.msgs)
			}
		})
	}
}
