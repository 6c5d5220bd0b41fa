package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

func TestNew_AddsScope(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, slog.LevelInfo)
	ctx, scope := WithScope(context.Background(), "req-1")
	log.InfoContext(ctx, "before auth")
	scope.SetAccount("VA-123-456")
	log.With("k", "v").InfoContext(ctx, "after auth")
	log.Info("no context")

	var lines []map[string]any
	for _, raw := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("not JSON: %s", raw)
		}
		lines = append(lines, m)
	}
	if len(lines) != 3 {
		t.Fatalf("got %d lines", len(lines))
	}
	if lines[0]["request_id"] != "req-1" || lines[0]["account_id"] != nil {
		t.Errorf("line 0 = %v", lines[0])
	}
	if lines[1]["request_id"] != "req-1" || lines[1]["account_id"] != "VA-123-456" || lines[1]["k"] != "v" {
		t.Errorf("line 1 = %v", lines[1])
	}
	if _, ok := lines[2]["request_id"]; ok {
		t.Errorf("line 2 = %v", lines[2])
	}
}

func TestInvocationID(t *testing.T) {
	lambdaCtx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "lambda-req-1"})
	tests := []struct {
		name string
		ctx  context.Context
		want string
	}{
		{"lambda", lambdaCtx, "lambda-req-1"},
		{"empty lambda id", lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{}), "fallback"},
		{"no lambda context", context.Background(), "fallback"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := InvocationID(tt.ctx, "fallback"); got != tt.want {
				t.Errorf("InvocationID = %q, want %q", got, tt.want)
			}
		})
	}
}
