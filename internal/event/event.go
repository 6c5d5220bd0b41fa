// Package event defines the domain event envelope that every state change
// commits with its entity (the transactional outbox), the event types, and
// the routing of each type to the queues that consume it.
package event

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/mercato-dev/mercato/internal/ident"
)

// Type is a dotted event name such as "request.created".
type Type string

// The event types of DESIGN.md, plus the account and token audit events.
const (
	RequestCreated        Type = "request.created"
	RequestUpdated        Type = "request.updated"
	AssetUpdated          Type = "asset.updated"
	OrderCreated          Type = "order.created"
	OrderUpdated          Type = "order.updated"
	SubscriptionUpdated   Type = "subscription.updated"
	ListingRequestUpdated Type = "listing_request.updated"
	MarketplaceCreated    Type = "marketplace.created"
	ProductCreated        Type = "product.created"
	ProductUpdated        Type = "product.updated"
	ProductPublished      Type = "product.published"
	ListingUpdated        Type = "listing.updated"
	HubUpdated            Type = "hub.updated"
	ConnectionUpdated     Type = "connection.updated"
	UsageFileUpdated      Type = "usage_file.updated"
	WebhookTest           Type = "webhook.test"
	WebhookDisabled       Type = "webhook.disabled"
	AccountCreated        Type = "account.created"
	TokenCreated          Type = "token.created"
	TokenUpdated          Type = "token.updated"
	TokenDeleted          Type = "token.deleted"
)

// Webhook registration audit events, and the commands the API sends the
// dispatcher through the outbox (a redelivery or a recovery is requested by
// committing its event, never by calling SQS from the API). None of these
// is delivered to webhooks.
const (
	WebhookCreated             Type = "webhook.created"
	WebhookUpdated             Type = "webhook.updated"
	WebhookDeleted             Type = "webhook.deleted"
	WebhookSecretRotated       Type = "webhook.secret_rotated"
	WebhookRedeliveryRequested Type = "webhook.redelivery_requested"
	WebhookRecoveryRequested   Type = "webhook.recovery_requested"
)

// Jobs: a scheduled run commits one job event per bounded unit of work,
// and a unit that has more to do commits its continuation, so that every
// invocation is bounded whatever a tenant's size. Job events belong to the
// platform, go to the consumer that runs them and to no webhook.
const (
	JobRenewal Type = "job.renewal"
	JobBilling Type = "job.billing"        // one step of a provider's billing run: the billing function's
	JobExport  Type = "job.billing_export" // one part of a large reconciliation export: the billing function's
	// JobWebhookRecovery is one page of a webhook recovery, for the
	// dispatcher.
	JobWebhookRecovery Type = "job.webhook_recovery"
	// JobUsageDelete deletes a bounded part of one shard of a usage file's
	// superseded records, for the usage function.
	JobUsageDelete Type = "job.usage_delete"
)

// PlatformAccount is the account of the platform's own events (jobs).
const PlatformAccount = "PLATFORM"

// Event is the envelope delivered to queues and webhooks. Data is the full
// object as the API returns it.
type Event struct {
	ID      string          `json:"id"`
	Type    Type            `json:"type"`
	Created time.Time       `json:"created"`
	Account string          `json:"account"`
	Data    json.RawMessage `json:"data"`
}

// New builds an event for account about obj, which is marshalled as the API
// would show it.
func New(t Type, account string, obj any, now time.Time) (Event, error) {
	data, err := json.Marshal(obj)
	if err != nil {
		return Event{}, fmt.Errorf("event %s: marshal data: %w", t, err)
	}
	return Event{ID: NewID(now), Type: t, Created: now.UTC(), Account: account, Data: data}, nil
}

// NewID returns an event id that sorts by creation time, so that listings of
// events and deliveries come out in order without a second index.
func NewID(now time.Time) string {
	return fmt.Sprintf("EV-%013x-%s", now.UnixMilli(), strings.ToLower(ident.Secret(9)))
}

// Route names a consumer of events. Each route is one SQS queue.
type Route string

// The routes. The webhook route receives every event: the dispatcher matches
// them against each account's webhook filters.
const (
	RouteFulfillment Route = "fulfillment"
	RouteWebhook     Route = "webhook"
	RouteBilling     Route = "billing"
	// RouteUsage is the usage queue, which also receives the usage bucket's
	// S3 notifications.
	RouteUsage Route = "usage"
)

// TypeAttribute is the SQS message attribute in which the relay names an
// event's type, so that a queue shared with other senders (the usage
// queue, fed by S3 too) tells events apart without decoding the body.
const TypeAttribute = "event_type"

// Routes returns the consumers of events of type t.
func Routes(t Type) []Route {
	switch t {
	case JobBilling, JobExport:
		return []Route{RouteBilling}
	case JobWebhookRecovery:
		return []Route{RouteWebhook}
	case JobUsageDelete:
		return []Route{RouteUsage}
	}
	if t.Object() == "job" {
		return []Route{RouteFulfillment}
	}
	routes := []Route{RouteWebhook}
	switch t.Object() {
	case "request", "asset", "order", "subscription":
		routes = append(routes, RouteFulfillment)
	case "usage_file":
		routes = append(routes, RouteBilling)
	}
	return routes
}

// Object returns the object part of the type: "request" for
// "request.created".
func (t Type) Object() string {
	obj, _, _ := strings.Cut(string(t), ".")
	return obj
}
