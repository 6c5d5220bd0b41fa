package fulfillment

import (
	"context"
	"errors"
	"fmt"

	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/fault"
)

// AutoApprove approves a pending request of an auto-approve product with
// the product's template, once every required fulfillment parameter holds a
// valid value (until then the request waits for the vendor, and the next
// request.updated tries again). The approval commits with the dedupe mark.
// It reports whether it approved.
func (s *Service) AutoApprove(ctx context.Context, requestID, mark string) (bool, error) {
	for range 3 {
		approved, retry, err := s.autoApproveOnce(ctx, requestID, mark)
		if !retry {
			return approved, err
		}
	}
	return false, fmt.Errorf("auto-approve %s: the request kept changing", requestID)
}

// autoApproveOnce tries once; retry says the request changed under it.
func (s *Service) autoApproveOnce(ctx context.Context, requestID, mark string) (approved, retry bool, err error) {
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
		return false, false, nil // parameters to fill first
	case fault.Is(err, fault.Conflict):
		return false, true, nil
	}
	return false, false, err
}
