package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/ident"
)

// Rotation grace periods.
const (
	DefaultGrace = 24 * time.Hour
	MaxGrace     = 7 * 24 * time.Hour
	// maxOldSecrets bounds the secrets that still sign after rotations,
	// as Svix keeps up to ten.
	maxOldSecrets = 10
)

// Service is the registration API: webhooks, their secrets, tests,
// deliveries, redelivery and recovery.
type Service struct {
	store *DynamoStore
	guard *Guard
	disp  *Dispatcher
	now   func() time.Time
}

// NewService returns the service. d makes the test attempts, with the same
// client and records as the dispatcher.
func NewService(st *DynamoStore, g *Guard, d *Dispatcher, now func() time.Time) *Service {
	return &Service{store: st, guard: g, disp: d, now: now}
}

// EventTypes lists the event types a webhook can receive.
func (s *Service) EventTypes() []EventType { return Catalog() }

func mayUse(actor account.Principal) error {
	if !actor.Is(account.Vendor, account.Provider) {
		return fault.Forbiddenf("webhooks belong to vendor and provider accounts; the token belongs to a %s account", actor.AccountType)
	}
	return nil
}

func notFound(id string) error { return fault.NotFoundf("webhook %s not found", id) }

// Create registers a webhook for the caller's account and answers its
// secret, which is never shown again.
func (s *Service) Create(ctx context.Context, actor account.Principal, in Input) (WithSecret, error) {
	if err := mayUse(actor); err != nil {
		return WithSecret{}, err
	}
	now := s.now().UTC()
	w := Webhook{ID: ident.Digits("WH", 3, 3, 3), Account: actor.AccountID, Active: true, Created: now, Updated: now}
	if err := s.validate(ctx, in, &w, true); err != nil {
		return WithSecret{}, err
	}
	secret := NewSecret()
	ev, err := event.New(event.WebhookCreated, actor.AccountID, w, now)
	if err != nil {
		return WithSecret{}, err
	}
	err = s.store.createWebhook(ctx, endpoint{Webhook: w, secrets: []secretItem{{Value: secret}}}, ev)
	if errors.Is(err, errLimit) {
		return WithSecret{}, fault.Invalidf("an account can register at most %d webhooks; delete one first", MaxPerAccount)
	}
	if err != nil {
		return WithSecret{}, err
	}
	return WithSecret{Webhook: w, Secret: secret}, nil
}

// validate applies in to w and checks every rule, the URL's addresses last
// (they need a lookup), and reports all broken rules at once.
func (s *Service) validate(ctx context.Context, in Input, w *Webhook, creating bool) error {
	msgs := in.apply(w, creating)
	if (creating || in.URL != nil) && w.URL != "" && len(w.URL) <= maxURL {
		if _, err := s.guard.CheckURL(ctx, w.URL); err != nil {
			var ue *URLError
			if !errors.As(err, &ue) {
				return err
			}
			msgs = append(msgs, ue.Reason)
		}
	}
	if len(msgs) > 0 {
		return fault.InvalidList(msgs...)
	}
	return nil
}

func (s *Service) get(ctx context.Context, actor account.Principal, id string) (endpoint, error) {
	if err := mayUse(actor); err != nil {
		return endpoint{}, err
	}
	ep, err := s.store.webhook(ctx, actor.AccountID, id)
	if errors.Is(err, ErrNotFound) {
		return endpoint{}, notFound(id)
	}
	return ep, err
}

// Get reads one of the caller's webhooks.
func (s *Service) Get(ctx context.Context, actor account.Principal, id string) (Webhook, error) {
	ep, err := s.get(ctx, actor, id)
	return ep.Webhook, err
}

// List returns the caller's webhooks, oldest first.
func (s *Service) List(ctx context.Context, actor account.Principal) ([]Webhook, error) {
	if err := mayUse(actor); err != nil {
		return nil, err
	}
	eps, err := s.store.webhooks(ctx, actor.AccountID)
	if err != nil {
		return nil, err
	}
	if eps, err = s.store.withStats(ctx, actor.AccountID, eps); err != nil {
		return nil, err
	}
	out := make([]Webhook, 0, len(eps))
	for _, ep := range eps {
		out = append(out, ep.Webhook)
	}
	slices.SortFunc(out, func(a, b Webhook) int { return a.Created.Compare(b.Created) })
	return out, nil
}

// Update changes the fields given. Setting active to true re-enables a
// disabled webhook and clears its failure streak.
func (s *Service) Update(ctx context.Context, actor account.Principal, id string, in Input) (Webhook, error) {
	ep, err := s.get(ctx, actor, id)
	if err != nil {
		return Webhook{}, err
	}
	w := ep.Webhook
	if err := s.validate(ctx, in, &w, false); err != nil {
		return Webhook{}, err
	}
	reenabled := w.Active && !ep.Active
	if reenabled {
		w.DisabledReason, w.DisabledAt, w.Stats.FailingSince, w.Stats.ConsecutiveFailures = "", nil, nil, 0
	}
	w.Updated = s.now().UTC()
	ev, err := event.New(event.WebhookUpdated, w.Account, w, w.Updated)
	if err != nil {
		return Webhook{}, err
	}
	if err := s.store.updateSettings(ctx, w, ep.Updated, reenabled, ev); err != nil {
		return Webhook{}, s.writeError(err, id)
	}
	return w, nil
}

// writeError turns a lost optimistic lock into a 409 and a vanished item
// into a 404.
func (s *Service) writeError(err error, id string) error {
	if _, ok := dynamo.AsConditionFailed(err); ok {
		return fault.Conflictf("webhook %s was changed or deleted by another request; reload it and retry", id)
	}
	return err
}

// Delete removes a webhook. Its delivery records expire with their TTL.
func (s *Service) Delete(ctx context.Context, actor account.Principal, id string) error {
	ep, err := s.get(ctx, actor, id)
	if err != nil {
		return err
	}
	ev, err := event.New(event.WebhookDeleted, ep.Account, ep.Webhook, s.now().UTC())
	if err != nil {
		return err
	}
	if err := s.store.deleteWebhook(ctx, ep.Webhook, ev); err != nil {
		if _, ok := dynamo.AsConditionFailed(err); ok {
			return notFound(id)
		}
		return err
	}
	return nil
}

// RotateInput is the body of POST /webhooks/{id}/rotate-secret.
type RotateInput struct {
	// GracePeriodSeconds is how long the replaced secret keeps signing:
	// 86400 (24 h) when left out, at most 604800 (7 days); 0 stops it at
	// once.
	GracePeriodSeconds *int64 `json:"grace_period_seconds"`
}

// RotateSecret makes a new secret. The replaced one keeps signing for the
// grace period, so receivers can switch without dropping a delivery. The
// webhook is looked up first: an unknown one is 404 whatever the body.
func (s *Service) RotateSecret(ctx context.Context, actor account.Principal, id string, in RotateInput) (WithSecret, error) {
	ep, err := s.get(ctx, actor, id)
	if err != nil {
		return WithSecret{}, err
	}
	grace := DefaultGrace
	if in.GracePeriodSeconds != nil {
		g := *in.GracePeriodSeconds
		if g < 0 || g > int64(MaxGrace/time.Second) {
			return WithSecret{}, fault.Invalidf("grace_period_seconds must be between 0 and %d (7 days)", int64(MaxGrace/time.Second))
		}
		grace = time.Duration(g) * time.Second
	}
	now := s.now().UTC()
	secret := NewSecret()
	secrets, expires := rotate(ep.secrets, secret, now, grace)
	w := ep.Webhook
	w.Updated = now
	ev, err := event.New(event.WebhookSecretRotated, w.Account, w, now)
	if err != nil {
		return WithSecret{}, err
	}
	if err := s.store.setSecrets(ctx, w, ep.Updated, secrets, ev); err != nil {
		return WithSecret{}, s.writeError(err, id)
	}
	return WithSecret{Webhook: w, Secret: secret, PreviousSecretExpires: expires}, nil
}

// rotate returns the secrets after a rotation: the new one first, the
// current one expiring after grace, and those still in an earlier grace
// period, at most maxOldSecrets of them, latest expiry first.
func rotate(old []secretItem, fresh string, now time.Time, grace time.Duration) ([]secretItem, *time.Time) {
	out := []secretItem{{Value: fresh}}
	var kept []secretItem
	var expires *time.Time
	for _, sec := range old {
		switch {
		case sec.Expires == nil && grace > 0:
			exp := now.Add(grace)
			expires = &exp
			kept = append(kept, secretItem{Value: sec.Value, Expires: &exp})
		case sec.Expires != nil && sec.Expires.After(now):
			kept = append(kept, sec)
		}
	}
	slices.SortStableFunc(kept, func(a, b secretItem) int { return b.Expires.Compare(*a.Expires) })
	if len(kept) > maxOldSecrets {
		kept = kept[:maxOldSecrets]
	}
	return append(out, kept...), expires
}

// testData is the data of a webhook.test event.
type testData struct {
	Webhook struct {
		ID    string `json:"id"`
		Label string `json:"label"`
	} `json:"webhook"`
	Message string `json:"message"`
}

// Test sends a webhook.test event to the webhook now and answers the
// delivery with the attempt's outcome. It is a single attempt: a failed
// test is not retried, and can be redelivered.
func (s *Service) Test(ctx context.Context, actor account.Principal, id string) (Delivery, error) {
	ep, err := s.get(ctx, actor, id)
	if err != nil {
		return Delivery{}, err
	}
	now := s.now().UTC()
	var data testData
	data.Webhook.ID, data.Webhook.Label = ep.ID, ep.Label
	data.Message = "This is a test delivery from Mercato."
	ev, err := event.New(event.WebhookTest, ep.Account, data, now)
	if err != nil {
		return Delivery{}, err
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return Delivery{}, err
	}
	ds := deliveryState{
		ID: DeliveryID(ev.ID, ev.Created, ep.ID), WebhookID: ep.ID, Account: ep.Account,
		EventID: ev.ID, EventType: ev.Type, EventCreated: ev.Created, Body: body,
		Status: StatusPending, Created: now, Updated: now,
	}
	if err := s.store.createTestDelivery(ctx, ds, ev); err != nil {
		return Delivery{}, err
	}
	b := newBatch()
	a, ds, err := s.disp.attempt(ctx, ep, ds, 1, TriggerTest, b)
	s.disp.flush(ctx, b)
	if err != nil {
		return Delivery{}, err
	}
	return ds.view([]Attempt{a}), nil
}

// ParseDeliveryFilter checks the status and event_type query parameters.
func ParseDeliveryFilter(status, eventType string) (DeliveryFilter, error) {
	var msgs []string
	if status != "" && status != StatusPending && status != StatusSucceeded && status != StatusFailed {
		msgs = append(msgs, fmt.Sprintf("status must be one of pending, succeeded, failed (got %q)", status))
	}
	if eventType != "" && !Deliverable(event.Type(eventType)) {
		msgs = append(msgs, fmt.Sprintf("event_type %q is not an event type a webhook receives; see GET /public/v1/webhooks/event-types", eventType))
	}
	if len(msgs) > 0 {
		return DeliveryFilter{}, fault.InvalidList(msgs...)
	}
	return DeliveryFilter{Status: status, EventType: event.Type(eventType)}, nil
}

// Deliveries lists a webhook's deliveries with their attempts, newest
// first.
func (s *Service) Deliveries(ctx context.Context, actor account.Principal, id string, f DeliveryFilter, offset, limit int) (DeliveryPage, error) {
	ep, err := s.get(ctx, actor, id)
	if err != nil {
		return DeliveryPage{}, err
	}
	return s.store.listDeliveries(ctx, ep.Account, ep.ID, f, offset, limit)
}

// Redeliver asks the dispatcher, through the outbox, for one more attempt
// of a delivery that succeeded or failed. A pending delivery is still on its
// schedule and is refused.
func (s *Service) Redeliver(ctx context.Context, actor account.Principal, id, deliveryID string) (Delivery, error) {
	ep, err := s.get(ctx, actor, id)
	if err != nil {
		return Delivery{}, err
	}
	d, err := s.store.deliveryWithAttempts(ctx, ep.Account, ep.ID, deliveryID)
	if errors.Is(err, ErrNotFound) {
		return Delivery{}, fault.NotFoundf("delivery %s of webhook %s not found", deliveryID, id)
	}
	if err != nil {
		return Delivery{}, err
	}
	if d.Status == StatusPending {
		return Delivery{}, fault.Transitionf("delivery %s is pending: it is still being retried on its schedule; redeliver it once it has succeeded or failed", deliveryID)
	}
	ev, err := event.New(event.WebhookRedeliveryRequested, ep.Account,
		redeliveryData{WebhookID: ep.ID, DeliveryID: d.ID, EventID: d.Event.ID, Attempt: d.AttemptCount + 1}, s.now().UTC())
	if err != nil {
		return Delivery{}, err
	}
	if err := s.store.request(ctx, ep.Webhook, ev); err != nil {
		return Delivery{}, s.writeError(err, id)
	}
	return d, nil
}

// RecoverInput is the body of POST /webhooks/{id}/recover.
type RecoverInput struct {
	// Since is an RFC 3339 time: every delivery of an event created at or
	// after it that failed is sent again.
	Since string `json:"since"`
}

// Recovery is the answer to a recover request.
type Recovery struct {
	WebhookID string    `json:"webhook_id"`
	Since     time.Time `json:"since"`
	Status    string    `json:"status"`
	// Progress is the list to follow the recovery on: the webhook's
	// failed deliveries, which leave it as their manual attempt succeeds.
	Progress string `json:"progress"`
}

// Recover asks the dispatcher, through the outbox, to send every failed
// delivery since a time again, one attempt each; the dispatcher runs it in
// bounded units (recovery.go). The webhook is looked up
// first: an unknown one is 404 whatever the body.
func (s *Service) Recover(ctx context.Context, actor account.Principal, id string, in RecoverInput) (Recovery, error) {
	ep, err := s.get(ctx, actor, id)
	if err != nil {
		return Recovery{}, err
	}
	since, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(in.Since))
	if err != nil {
		return Recovery{}, fault.Invalidf("since must be an RFC 3339 time such as 2026-11-22T10:00:00Z (got %q)", in.Since)
	}
	now := s.now().UTC()
	if since.After(now) {
		return Recovery{}, fault.Invalidf("since must not be in the future")
	}
	ev, err := event.New(event.WebhookRecoveryRequested, ep.Account, recoveryData{WebhookID: ep.ID, Since: since.UTC()}, now)
	if err != nil {
		return Recovery{}, err
	}
	if err := s.store.request(ctx, ep.Webhook, ev); err != nil {
		return Recovery{}, s.writeError(err, id)
	}
	return Recovery{WebhookID: ep.ID, Since: since.UTC(), Status: "queued",
		Progress: "/public/v1/webhooks/" + ep.ID + "/deliveries?status=failed"}, nil
}
