package billing

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/fault"
)

// Reader answers the invoice API: a provider reads its own invoices.
type Reader struct {
	store   *Store
	exports Exports
	now     func() time.Time
}

// NewReader returns the invoice API over store; large exports are written
// to exports (none when its zero value: every export is inline).
func NewReader(store *Store, exports Exports, now func() time.Time) *Reader {
	if now == nil {
		now = time.Now
	}
	return &Reader{store: store, exports: exports, now: now}
}

func providerOnly(actor account.Principal) error {
	if !actor.Is(account.Provider) {
		return fault.Forbiddenf("invoices are the marketplace provider's; the token belongs to a %s account", actor.AccountType)
	}
	return nil
}

// Invoices lists the provider's invoices, newest period first.
func (r *Reader) Invoices(ctx context.Context, actor account.Principal) ([]Invoice, error) {
	if err := providerOnly(actor); err != nil {
		return nil, err
	}
	out, err := r.store.Invoices(ctx, actor.AccountID)
	slices.Reverse(out)
	return out, err
}

// Invoice reads one of the provider's invoices.
func (r *Reader) Invoice(ctx context.Context, actor account.Principal, id string) (Invoice, error) {
	if err := providerOnly(actor); err != nil {
		return Invoice{}, err
	}
	inv, err := r.store.Invoice(ctx, id)
	if errors.Is(err, ErrNotFound) || (err == nil && inv.Provider.ID != actor.AccountID) {
		return Invoice{}, fault.NotFoundf("invoice %s not found", id)
	}
	return inv, err
}

// Lines reads a page of an invoice's lines of one billing provider
// (onetime or usage) after a continuation token.
func (r *Reader) Lines(ctx context.Context, actor account.Principal, id, billingType, token string, size int) (Invoice, []Line, string, error) {
	inv, err := r.Invoice(ctx, actor, id)
	if err != nil {
		return Invoice{}, nil, "", err
	}
	lines, next, err := r.store.LinePage(ctx, id, billingType, token, size)
	if errors.Is(err, errBadToken) {
		return Invoice{}, nil, "", fault.Invalidf("the continuation token is not one this invoice's line items gave")
	}
	return inv, lines, next, err
}

// EachLine calls fn with every line of one of the provider's invoices.
func (r *Reader) EachLine(ctx context.Context, actor account.Principal, id string, fn func([]Line) error) (Invoice, error) {
	inv, err := r.Invoice(ctx, actor, id)
	if err != nil {
		return Invoice{}, err
	}
	return inv, r.store.EachLine(ctx, id, fn)
}

// Export says how the reconciliation export of one of the provider's
// invoices is answered: inline, at a presigned link, or later (its file is
// being written; the call that finds none starts it).
func (r *Reader) Export(ctx context.Context, actor account.Principal, id string) (Invoice, ExportAnswer, error) {
	inv, err := r.Invoice(ctx, actor, id)
	if err != nil {
		return Invoice{}, ExportAnswer{}, err
	}
	ans, err := r.export(ctx, inv)
	return inv, ans, err
}
