package webhook

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/mercato-dev/mercato/internal/event"
)

// EventType is one entry of GET /public/v1/webhooks/event-types.
type EventType struct {
	Type        event.Type      `json:"type"`
	Description string          `json:"description"`
	Example     json.RawMessage `json:"example"`
}

// Catalog lists the event types a webhook can receive. Audit events
// (account.*, token.*, webhook.created …) and the dispatcher's internal
// commands are not in it and are never delivered. A new domain event
// becomes deliverable by adding it here. It is built on first use: encoding
// the examples was most of the package's initialisation, which every cold
// start of the API and the dispatcher ran before its first answer.
var Catalog = sync.OnceValue(func() []EventType {
	return []EventType{
		{event.RequestCreated, "A fulfillment request was created: a purchase, change, suspend, resume or cancel of an asset.",
			example(event.RequestCreated, "VA-610-138", `{"id":"PR-7658-9572-0778-001","type":"purchase","status":"pending","asset":{"id":"AS-7658-9572-0778","external_id":"42","product":{"id":"PRD-387-522-630","name":"Cloud Backup"},"marketplace":{"id":"MP-71206"},"items":[{"id":"PRD-387-522-630-0001","mpn":"BACKUP-100GB","quantity":5}]},"created":"2026-11-22T10:15:30Z","updated":"2026-11-22T10:15:30Z"}`)},
		{event.RequestUpdated, "A request changed status (pending, inquiring, approved, failed) or its parameters changed.",
			example(event.RequestUpdated, "VA-610-138", `{"id":"PR-7658-9572-0778-001","type":"purchase","status":"approved","asset":{"id":"AS-7658-9572-0778","product":{"id":"PRD-387-522-630"}},"updated":"2026-11-22T11:02:00Z"}`)},
		{event.AssetUpdated, "An asset (a subscription as the vendor sees it) changed status or quantities.",
			example(event.AssetUpdated, "VA-610-138", `{"id":"AS-7658-9572-0778","status":"active","product":{"id":"PRD-387-522-630"},"marketplace":{"id":"MP-71206"},"items":[{"id":"PRD-387-522-630-0001","quantity":5}],"updated":"2026-11-22T11:02:00Z"}`)},
		{event.OrderCreated, "A provider hub placed an order (a cart checkout).",
			example(event.OrderCreated, "PA-855-748", exampleOrder("pending"))},
		{event.OrderUpdated, "An order's status or provisioning status changed.",
			example(event.OrderUpdated, "PA-855-748", exampleOrder("completed"))},
		{event.SubscriptionUpdated, "A subscription's quantity, status or auto-renewal changed.",
			example(event.SubscriptionUpdated, "PA-855-748", exampleSubscription())},
		{event.ProductCreated, "The vendor created a product (a draft until published).",
			example(event.ProductCreated, "VA-610-138", `{"id":"PRD-387-522-630","name":"Cloud Backup","status":"draft","owner":{"id":"VA-610-138","name":"Front Street Inc."}}`)},
		{event.ProductUpdated, "A product's draft changed.",
			example(event.ProductUpdated, "VA-610-138", `{"id":"PRD-387-522-630","name":"Cloud Backup Pro","status":"draft","owner":{"id":"VA-610-138"}}`)},
		{event.ProductPublished, "A product version was published: an immutable snapshot of its items, parameters and templates.",
			example(event.ProductPublished, "VA-610-138", `{"version":2,"product":{"id":"PRD-387-522-630","name":"Cloud Backup"},"items":[],"parameters":[],"templates":[],"published_at":"2026-11-22T10:15:30Z"}`)},
		{event.ListingUpdated, "A listing of a product on a marketplace changed (prices, status). Sent to both the vendor and the provider.",
			example(event.ListingUpdated, "PA-855-748", `{"id":"LST-204-117-395","status":"listed","product":{"id":"PRD-387-522-630"},"marketplace":{"id":"MP-71206"},"vendor":{"id":"VA-610-138"},"provider":{"id":"PA-855-748"},"currency":"USD"}`)},
		{event.ListingRequestUpdated, "A listing request was submitted, approved or refused.",
			example(event.ListingRequestUpdated, "VA-610-138", `{"id":"LSTR-812-445-901","status":"deployed","product":{"id":"PRD-387-522-630"},"marketplace":{"id":"MP-71206"}}`)},
		{event.UsageFileUpdated, "A usage file changed status (processing, ready, invalid, pending, accepted, rejected, closed).",
			example(event.UsageFileUpdated, "VA-610-138", `{"id":"UF-2026-11-4471","status":"ready","product":{"id":"PRD-387-522-630"},"marketplace":{"id":"MP-71206"},"records":120}`)},
		{event.WebhookTest, "Sent by POST /public/v1/webhooks/{id}/test to that webhook only.",
			example(event.WebhookTest, "VA-610-138", `{"webhook":{"id":"WH-512-904-337","label":"fulfillment bot"},"message":"This is a test delivery from Mercato."}`)},
		{event.WebhookDisabled, "Another webhook of the account was disabled: its endpoint answered 410 Gone, or failed continuously for 5 days. Sent to the account's other webhooks.",
			example(event.WebhookDisabled, "VA-610-138", `{"id":"WH-512-904-337","label":"fulfillment bot","url":"https://hooks.example.com/mercato","events":[],"products":[],"active":false,"disabled_reason":"the endpoint answered 410 Gone","account":"VA-610-138"}`)},
	}
})

var catalogByType = sync.OnceValue(func() map[event.Type]EventType {
	m := make(map[event.Type]EventType, len(Catalog()))
	for _, et := range Catalog() {
		m[et.Type] = et
	}
	return m
})

// Deliverable reports whether events of type t go to webhooks.
func Deliverable(t event.Type) bool {
	_, ok := catalogByType()[t]
	return ok
}

// example renders the whole envelope a receiver gets, so that the example
// shows the body exactly.
func example(t event.Type, account, data string) json.RawMessage {
	raw, err := json.Marshal(event.Event{
		ID: "EV-019aab3c5e000-k2v9q0x1zr4m", Type: t, Created: time.Date(2026, 11, 22, 10, 15, 30, 0, time.UTC),
		Account: account, Data: json.RawMessage(data),
	})
	if err != nil {
		panic("webhook: example of " + string(t) + ": " + err.Error())
	}
	return raw
}
