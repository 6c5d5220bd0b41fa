// Package webhook delivers the platform's events to the HTTPS endpoints that
// vendor and provider accounts register: the registrations and their signing
// secrets, the Standard Webhooks signature, the SSRF guard that vets every
// URL and every dialled address, the HTTP client, and the dispatcher that
// fans each event out to matching endpoints, records every attempt and
// schedules retries on the webhook queue.
package webhook

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/mercato-dev/mercato/internal/event"
)

// Webhook is an endpoint registration as the API shows it: never with its
// secrets. Its item stores it under the same names, with the Stats beside
// the other attributes rather than in a map of their own (webhookItem).
type Webhook struct {
	ID             string     `json:"id" dynamodbav:"id"`
	Label          string     `json:"label" dynamodbav:"label"`
	Description    string     `json:"description,omitempty" dynamodbav:"description,omitempty"`
	URL            string     `json:"url" dynamodbav:"url"`
	Events         []string   `json:"events" dynamodbav:"events"`
	Products       []string   `json:"products" dynamodbav:"products"`
	Active         bool       `json:"active" dynamodbav:"active"`
	DisabledReason string     `json:"disabled_reason,omitempty" dynamodbav:"disabled_reason,omitempty"`
	DisabledAt     *time.Time `json:"disabled_at,omitempty" dynamodbav:"disabled_at,omitempty"`
	Account        string     `json:"account" dynamodbav:"account"`
	Stats          Stats      `json:"stats" dynamodbav:"-"`
	Created        time.Time  `json:"created" dynamodbav:"created"`
	Updated        time.Time  `json:"updated" dynamodbav:"updated"`
}

// Stats are a webhook's delivery counters. Successes and failures count
// attempts; consecutive failures reset on a success. The webhook's item
// stores them under the same names.
type Stats struct {
	Deliveries          int64      `json:"deliveries" dynamodbav:"deliveries"`
	Successes           int64      `json:"successes" dynamodbav:"successes"`
	Failures            int64      `json:"failures" dynamodbav:"failures"`
	ConsecutiveFailures int64      `json:"consecutive_failures" dynamodbav:"consecutive_failures"`
	LastSuccess         *time.Time `json:"last_success,omitempty" dynamodbav:"last_success,omitempty"`
	LastFailure         *time.Time `json:"last_failure,omitempty" dynamodbav:"last_failure,omitempty"`
	// FailingSince is the first failure after the last success; an
	// endpoint failing continuously for DisableAfter is disabled.
	FailingSince *time.Time `json:"failing_since,omitempty" dynamodbav:"failing_since,omitempty"`
}

// WithSecret is a webhook as created or rotated: the only answers that show
// the secret.
type WithSecret struct {
	Webhook
	Secret string `json:"secret"`
	// PreviousSecretExpires is when the secret replaced by a rotation stops
	// signing.
	PreviousSecretExpires *time.Time `json:"previous_secret_expires,omitempty"`
}

// Delivery statuses.
const (
	StatusPending   = "pending"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
)

// Delivery is one event for one webhook, with its attempts, newest first.
type Delivery struct {
	ID           string     `json:"id"`
	WebhookID    string     `json:"webhook_id"`
	Event        EventRef   `json:"event"`
	Status       string     `json:"status"`
	AttemptCount int        `json:"attempt_count"`
	NextAttempt  *time.Time `json:"next_attempt,omitempty"`
	Created      time.Time  `json:"created"`
	Updated      time.Time  `json:"updated"`
	Attempts     []Attempt  `json:"attempts"`
}

// EventRef names the event a delivery carries.
type EventRef struct {
	ID      string     `json:"id"`
	Type    event.Type `json:"type"`
	Created time.Time  `json:"created"`
}

// Triggers of an attempt.
const (
	TriggerScheduled = "scheduled" // the first attempt or a retry of the schedule
	TriggerManual    = "manual"    // redeliver or recover
	TriggerTest      = "test"      // POST /webhooks/{id}/test
)

// Attempt is one HTTP request of a delivery.
type Attempt struct {
	Number     int       `json:"number"`
	At         time.Time `json:"at"`
	Trigger    string    `json:"trigger"`
	StatusCode int       `json:"status_code,omitempty"`
	DurationMS int64     `json:"duration_ms"`
	Error      string    `json:"error,omitempty"`
	// Response is the start of the response body, at most 4 KiB.
	Response string `json:"response,omitempty"`
	// NextAttempt is when the schedule tries again after this failure.
	NextAttempt *time.Time `json:"next_attempt,omitempty"`
}

// Succeeded reports whether the endpoint accepted the message: a 2xx only.
func (a Attempt) Succeeded() bool { return a.StatusCode >= 200 && a.StatusCode < 300 && a.Error == "" }

// DeliveryID derives the id of the delivery of event eventID to webhook
// webhookID. It is deterministic so that a re-sent event finds the record it
// already made instead of making a second one, and it starts with the
// event's time so that a webhook's deliveries sort newest first by key.
func DeliveryID(eventID string, created time.Time, webhookID string) string {
	sum := sha256.Sum256([]byte(eventID + "|" + webhookID))
	return fmt.Sprintf("DL-%013x-%s", created.UnixMilli(), hex.EncodeToString(sum[:8]))
}

// sinceKey is the smallest delivery id of events created at or after t.
func sinceKey(t time.Time) string { return fmt.Sprintf("DL-%013x-", t.UnixMilli()) }

// Input is the body of POST /public/v1/webhooks and PUT /webhooks/{id}. On
// PUT, a field left out keeps its value.
type Input struct {
	Label       *string   `json:"label"`
	Description *string   `json:"description"`
	URL         *string   `json:"url"`
	Events      *[]string `json:"events"`
	Products    *[]string `json:"products"`
	Active      *bool     `json:"active"`
}

var productID = regexp.MustCompile(`^PRD-\d{3}-\d{3}-\d{3}$`)

// Limits of a registration.
const (
	maxLabel       = 100
	maxDescription = 1000
	maxURL         = 2048
	maxProducts    = 100
	// MaxPerAccount bounds the fan-out of one event, so that one event's
	// deliveries fit in one dispatcher invocation.
	MaxPerAccount = 50
)

// apply merges the input into w and reports every broken rule except the
// URL's address checks, which need a lookup.
func (in Input) apply(w *Webhook, creating bool) []string {
	var msgs []string
	if in.Label != nil || creating {
		w.Label = strings.TrimSpace(deref(in.Label))
		if w.Label == "" || len(w.Label) > maxLabel {
			msgs = append(msgs, fmt.Sprintf("label is required and must be at most %d characters", maxLabel))
		}
	}
	if in.Description != nil {
		w.Description = strings.TrimSpace(*in.Description)
		if len(w.Description) > maxDescription {
			msgs = append(msgs, fmt.Sprintf("description must be at most %d characters", maxDescription))
		}
	}
	if in.URL != nil || creating {
		w.URL = strings.TrimSpace(deref(in.URL))
		if w.URL == "" || len(w.URL) > maxURL {
			msgs = append(msgs, fmt.Sprintf("url is required and must be at most %d characters", maxURL))
		}
	}
	if in.Events != nil || creating {
		var bad []string
		w.Events, bad = normalizeEvents(derefSlice(in.Events))
		msgs = append(msgs, bad...)
	}
	if in.Products != nil || creating {
		var bad []string
		w.Products, bad = normalizeProducts(derefSlice(in.Products))
		msgs = append(msgs, bad...)
	}
	if in.Active != nil {
		w.Active = *in.Active
	}
	return msgs
}

func normalizeEvents(in []string) ([]string, []string) {
	return normalizeSet(in, strings.TrimSpace, func(e string) bool {
		_, ok := catalogByType()[event.Type(e)]
		return ok
	}, "events: %q is not an event type a webhook can receive; see GET /public/v1/webhooks/event-types")
}

func normalizeProducts(in []string) ([]string, []string) {
	if len(in) > maxProducts {
		return []string{}, []string{fmt.Sprintf("products must list at most %d product ids", maxProducts)}
	}
	return normalizeSet(in, func(p string) string { return strings.ToUpper(strings.TrimSpace(p)) },
		productID.MatchString, "products: %q is not a product id such as PRD-123-456-789")
}

// normalizeSet cleans each value of in and keeps the valid ones once each,
// sorted; every other one gets the message invalid (a format of the value).
func normalizeSet(in []string, clean func(string) string, valid func(string) bool, invalid string) ([]string, []string) {
	var msgs []string
	out := []string{}
	for _, v := range in {
		v = clean(v)
		if !valid(v) {
			msgs = append(msgs, fmt.Sprintf(invalid, v))
			continue
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out, msgs
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func derefSlice(p *[]string) []string {
	if p == nil {
		return nil
	}
	return *p
}

// Matches reports whether the webhook receives e: it must be active, list
// e's type (or no type, meaning all), and, when it filters by product, be
// about one of its products. Operational events (webhook.*) are about the
// account, not a product, so the product filter does not apply to them.
func (w Webhook) Matches(e event.Event) bool {
	if !w.Active || !Deliverable(e.Type) {
		return false
	}
	if len(w.Events) > 0 && !slices.Contains(w.Events, string(e.Type)) {
		return false
	}
	if len(w.Products) == 0 || e.Type.Object() == "webhook" {
		return true
	}
	for _, p := range ProductIDs(e) {
		if slices.Contains(w.Products, p) {
			return true
		}
	}
	return false
}

// ProductIDs returns the products an event is about, read from its data:
// "id" of a product event, "product.id" (listing requests, usage files,
// requests' own product), "asset.product.id" (requests), each
// "items[].product.id", and in Partner Center's order and subscription
// resources the product part of each "lineItems[].offerId" and of
// "offerId" (a catalogItemId, product:sku:availability), as well as a
// "productId" / "lineItems[].productId" if present. An event without any
// is about no product.
func ProductIDs(e event.Event) []string {
	var d struct {
		ID        string `json:"id"`
		ProductID string `json:"productId"`
		OfferID   string `json:"offerId"`
		Product   *ref   `json:"product"`
		Asset     *struct {
			Product *ref `json:"product"`
		} `json:"asset"`
		LineItems []struct {
			ProductID string `json:"productId"`
			OfferID   string `json:"offerId"`
		} `json:"lineItems"`
		Items []struct {
			Product *ref `json:"product"`
		} `json:"items"`
	}
	if json.Unmarshal(e.Data, &d) != nil {
		return nil
	}
	var out []string
	add := func(id string) {
		if id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	if e.Type.Object() == "product" {
		add(d.ID)
	}
	add(d.ProductID)
	add(offerProduct(d.OfferID))
	if d.Product != nil {
		add(d.Product.ID)
	}
	if d.Asset != nil && d.Asset.Product != nil {
		add(d.Asset.Product.ID)
	}
	for _, li := range d.LineItems {
		add(li.ProductID)
		add(offerProduct(li.OfferID))
	}
	for _, it := range d.Items {
		if it.Product != nil {
			add(it.Product.ID)
		}
	}
	return out
}

// offerProduct is the product of a catalogItemId (product:sku:availability),
// or "" for anything else.
func offerProduct(offerID string) string {
	parts := strings.Split(offerID, ":")
	if len(parts) != 3 || parts[1] == "" || parts[2] == "" {
		return ""
	}
	return parts[0]
}

type ref struct {
	ID string `json:"id"`
}
