// Package config loads the settings every function shares from the
// environment that template.yaml sets, so that the Lambdas, the local runtime
// and the tests are configured the same way.
package config

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// Config is the shared configuration of all functions.
type Config struct {
	TableName          string
	FulfillmentQueue   string // URL
	WebhookQueue       string // URL
	BillingQueue       string // URL
	UsageQueue         string // URL: S3's notifications and the usage function's job units
	UsageBucket        string
	Env                string // dev, staging, prod, local
	LogLevel           slog.Level
	AllowHTTPLoopback  bool // only the local stack sets it: lets webhooks target http://127.0.0.1
	EmailFrom          string
	WebhookRetries     []time.Duration
	MaxBodyBytes       int64
	PublicBaseURL      string // optional: absolute base for links, e.g. http://127.0.0.1:8080
	EventRetentionDays int
	// ExportRetentionDays is how long the usage bucket keeps a
	// reconciliation export under exports/ (its lifecycle rule).
	ExportRetentionDays int
	// ExportPartBytes is the multipart part a reconciliation export unit
	// writes (0: billing.DefaultExportPartBytes, S3's 5 MB minimum). Only
	// an emulator that accepts smaller parts takes less: the scale model's.
	ExportPartBytes int
	// WebhookDeliveryShards is how many index partitions a webhook's
	// deliveries are spread over (0: webhook.DefaultDeliveryShards). It may
	// grow, never shrink.
	WebhookDeliveryShards int
	// RenewalPage and RecoveryPage bound the subscriptions a renewal unit
	// decides and the failed deliveries a webhook recovery unit redelivers
	// (0: fulfillment.RenewalPage and webhook.RecoveryPage, 100 each). A
	// smaller page means more, smaller units; a model of a small tenant
	// lowers it so that its units are full.
	RenewalPage, RecoveryPage int
	MetricsNamespace          string        // CloudWatch namespace of the EMF metrics
	PortalSessionTTL          time.Duration // 0: the portal's default
}

// DefaultWebhookRetries is the Standard Webhooks / Svix schedule that
// DESIGN.md fixes.
const DefaultWebhookRetries = "5s,5m,30m,2h,5h,10h,10h"

// FromEnv reads the configuration through getenv (os.Getenv in production,
// a map in tests). TABLE_NAME is the only required variable: a function that
// needs a queue or bucket checks for it when it is built.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		TableName:          getenv("TABLE_NAME"),
		FulfillmentQueue:   getenv("FULFILLMENT_QUEUE_URL"),
		WebhookQueue:       getenv("WEBHOOK_QUEUE_URL"),
		BillingQueue:       getenv("BILLING_QUEUE_URL"),
		UsageQueue:         getenv("USAGE_QUEUE_URL"),
		UsageBucket:        getenv("USAGE_BUCKET"),
		Env:                orDefault(getenv("MERCATO_ENV"), "dev"),
		EmailFrom:          orDefault(getenv("MERCATO_EMAIL_FROM"), "noreply@mercato.example"),
		PublicBaseURL:      strings.TrimRight(getenv("MERCATO_PUBLIC_BASE_URL"), "/"),
		MaxBodyBytes:       1 << 20,
		EventRetentionDays: 30,
		MetricsNamespace:   orDefault(getenv("MERCATO_METRICS_NAMESPACE"), "Mercato"),
	}
	if c.TableName == "" {
		return Config{}, fmt.Errorf("config: TABLE_NAME is not set")
	}
	if err := c.LogLevel.UnmarshalText([]byte(orDefault(getenv("LOG_LEVEL"), "info"))); err != nil {
		return Config{}, fmt.Errorf("config: LOG_LEVEL: %w", err)
	}
	var err error
	if v := getenv("MERCATO_ALLOW_HTTP_LOOPBACK"); v != "" {
		if c.AllowHTTPLoopback, err = strconv.ParseBool(v); err != nil {
			return Config{}, fmt.Errorf("config: MERCATO_ALLOW_HTTP_LOOPBACK: %w", err)
		}
	}
	if v := getenv("MERCATO_WEBHOOK_DELIVERY_SHARDS"); v != "" {
		if c.WebhookDeliveryShards, err = strconv.Atoi(v); err != nil || c.WebhookDeliveryShards < 1 {
			return Config{}, fmt.Errorf("config: MERCATO_WEBHOOK_DELIVERY_SHARDS must be a positive integer, not %q", v)
		}
	}
	if c.RenewalPage, err = positive(getenv, "MERCATO_RENEWAL_PAGE"); err != nil {
		return Config{}, err
	}
	if c.RecoveryPage, err = positive(getenv, "MERCATO_RECOVERY_PAGE"); err != nil {
		return Config{}, err
	}
	if v := getenv("MERCATO_PORTAL_SESSION_TTL"); v != "" {
		if c.PortalSessionTTL, err = time.ParseDuration(v); err != nil || c.PortalSessionTTL <= 0 {
			return Config{}, fmt.Errorf("config: MERCATO_PORTAL_SESSION_TTL: want a positive duration such as 8h, got %q", v)
		}
	}
	if v := getenv("MERCATO_EXPORT_RETENTION_DAYS"); v != "" {
		if c.ExportRetentionDays, err = strconv.Atoi(v); err != nil || c.ExportRetentionDays < 1 {
			return Config{}, fmt.Errorf("config: MERCATO_EXPORT_RETENTION_DAYS must be a positive integer, not %q", v)
		}
	}
	if v := getenv("MERCATO_EXPORT_PART_BYTES"); v != "" {
		if c.ExportPartBytes, err = strconv.Atoi(v); err != nil || c.ExportPartBytes < 1 {
			return Config{}, fmt.Errorf("config: MERCATO_EXPORT_PART_BYTES must be a positive integer, not %q", v)
		}
	}
	if c.WebhookRetries, err = ParseSchedule(orDefault(getenv("MERCATO_WEBHOOK_RETRY_SCHEDULE"), DefaultWebhookRetries)); err != nil {
		return Config{}, fmt.Errorf("config: MERCATO_WEBHOOK_RETRY_SCHEDULE: %w", err)
	}
	return c, nil
}

// positive reads the positive integer in variable k; unset is 0.
func positive(getenv func(string) string, k string) (int, error) {
	v := getenv(k)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("config: %s must be a positive integer, not %q", k, v)
	}
	return n, nil
}

// ParseSchedule parses a comma-separated list of Go durations.
func ParseSchedule(s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		d, err := time.ParseDuration(part)
		if err != nil {
			return nil, err
		}
		if d < 0 {
			return nil, fmt.Errorf("negative delay %s", part)
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty schedule")
	}
	return out, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
