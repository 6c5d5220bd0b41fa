package fulfillment

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/fault"
)

// AutoApprove approves a pending request of an auto-approve product with
// the product's template, once every required fulfillment parameter holds a
// valid value (until then the request waits for the vendor, and the next
// request.updated tries again). The approval commits with the dedupe mark.
// It reports whether it approved; log gets why it did not yet.
func (s *Service) AutoApprove(ctx context.Context, log *slog.Logger, requestID, mark string) (bool, error) {
	for range 3 {
		approved, retry, err := s.autoApproveOnce(ctx, log, requestID, mark)
		if !retry {
			return approved, err
		}
	}
	return false, fmt.Errorf("auto-approve %s: the request kept changing", requestID)
}

// autoApproveOnce tries once; retry says the request changed under it.
func (s *Service) autoApproveOnce(ctx context.Context, log *slog.Logger, requestID, mark string) (approved, retry bool, err error) {
	r, a, err := s.store.Pair(ctx, requestID)
	if errors.Is(err, ErrNotFound) || (err == nil && r.Status != StatusPending) {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	v, err := s.versions.VersionOf(ctx, a.Product.ID, a.Version)
	if err != nil || !v.Product.Capabilities.AutoApprove.Enabled {
		return false, false, err
	}
	now := s.now().UTC()
	_, err = s.approve(ctx, r, a, v, v.Product.Capabilities.AutoApprove.TemplateID, func(tx *dynamo.Tx) { s.store.Mark(tx, mark, now) })
	switch {
	case err == nil, AlreadyDone(err):
		return err == nil, false, nil
	case fault.Is(err, fault.Invalid):
		// Usually parameters the vendor has yet to fill; but a template the
		// product's auto_approve names that is not an activation template
		// of this version fails the same way, on every request, for ever.
		// Logged at warn so that the second case shows.
		log.WarnContext(ctx, "fulfillment: not auto-approved yet", slog.String("request_id", requestID),
			slog.String("template_id", v.Product.Capabilities.AutoApprove.TemplateID), slog.Any("problems", problems(err)))
		return false, false, nil
	case fault.Is(err, fault.Conflict):
		return false, true, nil
	}
	return false, false, err
}

// problems are the messages of a domain error, for logs.
func problems(err error) []string {
	if fe, ok := fault.As(err); ok && len(fe.Messages) > 0 {
		return fe.Messages
	}
	return []string{err.Error()}
}
