package mock

import (
	"context"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/webhook"
)

// WebhookService stands in for webhook.Service: each method calls its Fn field.
type WebhookService struct {
	CreateFn       func(ctx context.Context, actor account.Principal, in webhook.Input) (webhook.WithSecret, error)
	DeleteFn       func(ctx context.Context, actor account.Principal, id string) error
	DeliveriesFn   func(ctx context.Context, actor account.Principal, id string, f webhook.DeliveryFilter, offset, limit int) (webhook.DeliveryPage, error)
	EventTypesFn   func() []webhook.EventType
	GetFn          func(ctx context.Context, actor account.Principal, id string) (webhook.Webhook, error)
	ListFn         func(ctx context.Context, actor account.Principal) ([]webhook.Webhook, error)
	RecoverFn      func(ctx context.Context, actor account.Principal, id string, in webhook.RecoverInput) (webhook.Recovery, error)
	RedeliverFn    func(ctx context.Context, actor account.Principal, id, deliveryID string) (webhook.Delivery, error)
	RotateSecretFn func(ctx context.Context, actor account.Principal, id string, in webhook.RotateInput) (webhook.WithSecret, error)
	TestFn         func(ctx context.Context, actor account.Principal, id string) (webhook.Delivery, error)
	UpdateFn       func(ctx context.Context, actor account.Principal, id string, in webhook.Input) (webhook.Webhook, error)
}

func (s *WebhookService) Create(ctx context.Context, actor account.Principal, in webhook.Input) (webhook.WithSecret, error) {
	return s.CreateFn(ctx, actor, in)
}

func (s *WebhookService) Delete(ctx context.Context, actor account.Principal, id string) error {
	return s.DeleteFn(ctx, actor, id)
}

func (s *WebhookService) Deliveries(ctx context.Context, actor account.Principal, id string, f webhook.DeliveryFilter, offset int, limit int) (webhook.DeliveryPage, error) {
	return s.DeliveriesFn(ctx, actor, id, f, offset, limit)
}

func (s *WebhookService) EventTypes() []webhook.EventType { return s.EventTypesFn() }
func (s *WebhookService) Get(ctx context.Context, actor account.Principal, id string) (webhook.Webhook, error) {
	return s.GetFn(ctx, actor, id)
}

func (s *WebhookService) List(ctx context.Context, actor account.Principal) ([]webhook.Webhook, error) {
	return s.ListFn(ctx, actor)
}

func (s *WebhookService) Recover(ctx context.Context, actor account.Principal, id string, in webhook.RecoverInput) (webhook.Recovery, error) {
	return s.RecoverFn(ctx, actor, id, in)
}

func (s *WebhookService) Redeliver(ctx context.Context, actor account.Principal, id string, deliveryID string) (webhook.Delivery, error) {
	return s.RedeliverFn(ctx, actor, id, deliveryID)
}

func (s *WebhookService) RotateSecret(ctx context.Context, actor account.Principal, id string, in webhook.RotateInput) (webhook.WithSecret, error) {
	return s.RotateSecretFn(ctx, actor, id, in)
}

func (s *WebhookService) Test(ctx context.Context, actor account.Principal, id string) (webhook.Delivery, error) {
	return s.TestFn(ctx, actor, id)
}

func (s *WebhookService) Update(ctx context.Context, actor account.Principal, id string, in webhook.Input) (webhook.Webhook, error) {
	return s.UpdateFn(ctx, actor, id, in)
}
