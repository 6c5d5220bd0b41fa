package config

import (
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string {
		return func(k string) string { return m[k] }
	}
	tests := []struct {
		name    string
		env     map[string]string
		wantErr bool
		check   func(t *testing.T, c Config)
	}{
		{name: "table required", env: map[string]string{}, wantErr: true},
		{
			name: "defaults",
			env:  map[string]string{"TABLE_NAME": "t"},
			check: func(t *testing.T, c Config) {
				if c.LogLevel != slog.LevelInfo || c.AllowHTTPLoopback || len(c.WebhookRetries) != 7 || c.WebhookRetries[0] != 5*time.Second {
					t.Errorf("defaults = %+v", c)
				}
			},
		},
		{
			name: "overrides",
			env: map[string]string{"TABLE_NAME": "t", "LOG_LEVEL": "debug", "MERCATO_ALLOW_HTTP_LOOPBACK": "true",
				"MERCATO_WEBHOOK_RETRY_SCHEDULE": "100ms, 1s"},
			check: func(t *testing.T, c Config) {
				if c.LogLevel != slog.LevelDebug || !c.AllowHTTPLoopback {
					t.Errorf("got %+v", c)
				}
				if diff := cmp.Diff([]time.Duration{100 * time.Millisecond, time.Second}, c.WebhookRetries); diff != "" {
					t.Errorf("retries (-want +got):\n%s", diff)
				}
			},
		},
		{name: "bad bool", env: map[string]string{"TABLE_NAME": "t", "MERCATO_ALLOW_HTTP_LOOPBACK": "maybe"}, wantErr: true},
		{name: "bad schedule", env: map[string]string{"TABLE_NAME": "t", "MERCATO_WEBHOOK_RETRY_SCHEDULE": "5 parsecs"}, wantErr: true},
		{name: "bad level", env: map[string]string{"TABLE_NAME": "t", "LOG_LEVEL": "loud"}, wantErr: true},
		{
			name: "webhook delivery shards",
			env:  map[string]string{"TABLE_NAME": "t", "MERCATO_WEBHOOK_DELIVERY_SHARDS": "64"},
			check: func(t *testing.T, c Config) {
				if c.WebhookDeliveryShards != 64 {
					t.Errorf("WebhookDeliveryShards = %d, want 64", c.WebhookDeliveryShards)
				}
			},
		},
		{
			name: "export part",
			env:  map[string]string{"TABLE_NAME": "t", "MERCATO_EXPORT_PART_BYTES": "32768"},
			check: func(t *testing.T, c Config) {
				if c.ExportPartBytes != 32768 {
					t.Errorf("ExportPartBytes = %d, want 32768", c.ExportPartBytes)
				}
			},
		},
		{name: "zero export part", env: map[string]string{"TABLE_NAME": "t", "MERCATO_EXPORT_PART_BYTES": "0"}, wantErr: true},
		{name: "zero webhook delivery shards", env: map[string]string{"TABLE_NAME": "t", "MERCATO_WEBHOOK_DELIVERY_SHARDS": "0"}, wantErr: true},
		{
			name: "pages by default",
			env:  map[string]string{"TABLE_NAME": "t"},
			check: func(t *testing.T, c Config) {
				if c.RenewalPage != 0 || c.RecoveryPage != 0 {
					t.Errorf("RenewalPage, RecoveryPage = %d, %d; want 0 (the packages' pages)", c.RenewalPage, c.RecoveryPage)
				}
			},
		},
		{
			name: "pages",
			env:  map[string]string{"TABLE_NAME": "t", "MERCATO_RENEWAL_PAGE": "10", "MERCATO_RECOVERY_PAGE": "20"},
			check: func(t *testing.T, c Config) {
				if c.RenewalPage != 10 || c.RecoveryPage != 20 {
					t.Errorf("RenewalPage, RecoveryPage = %d, %d; want 10, 20", c.RenewalPage, c.RecoveryPage)
				}
			},
		},
		{name: "zero renewal page", env: map[string]string{"TABLE_NAME": "t", "MERCATO_RENEWAL_PAGE": "0"}, wantErr: true},
		{name: "bad recovery page", env: map[string]string{"TABLE_NAME": "t", "MERCATO_RECOVERY_PAGE": "ten"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := FromEnv(env(tt.env))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}
