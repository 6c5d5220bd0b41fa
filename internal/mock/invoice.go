package mock

import (
	"context"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/billing"
)

// InvoiceService stands in for billing.Reader: each method calls its Fn field.
type InvoiceService struct {
	ExportFn   func(ctx context.Context, actor account.Principal, id string) (billing.Invoice, billing.ExportAnswer, error)
	EachLineFn func(ctx context.Context, actor account.Principal, id string, fn func([]billing.Line) error) (billing.Invoice, error)
	InvoiceFn  func(ctx context.Context, actor account.Principal, id string) (billing.Invoice, error)
	InvoicesFn func(ctx context.Context, actor account.Principal) ([]billing.Invoice, error)
	LinesFn    func(ctx context.Context, actor account.Principal, id, billingType, token string, size int) (billing.Invoice, []billing.Line, string, error)
}

func (s *InvoiceService) EachLine(ctx context.Context, actor account.Principal, id string, fn func([]billing.Line) error) (billing.Invoice, error) {
	return s.EachLineFn(ctx, actor, id, fn)
}

func (s *InvoiceService) Invoice(ctx context.Context, actor account.Principal, id string) (billing.Invoice, error) {
	return s.InvoiceFn(ctx, actor, id)
}

func (s *InvoiceService) Invoices(ctx context.Context, actor account.Principal) ([]billing.Invoice, error) {
	return s.InvoicesFn(ctx, actor)
}

func (s *InvoiceService) Lines(ctx context.Context, actor account.Principal, id string, billingType string, token string, size int) (billing.Invoice, []billing.Line, string, error) {
	return s.LinesFn(ctx, actor, id, billingType, token, size)
}

func (s *InvoiceService) Export(ctx context.Context, actor account.Principal, id string) (billing.Invoice, billing.ExportAnswer, error) {
	return s.ExportFn(ctx, actor, id)
}
