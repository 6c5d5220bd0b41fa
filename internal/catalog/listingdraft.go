package catalog

import (
	"context"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/fault"
)

// A listing request's life, as Connect's (its state in brackets):
//
//	draft (draft) --submit--> pending (reviewing) --approve--> approved (completed)
//	      ^                      |  \--reject--> rejected (canceled)
//	      +-------refine---------+
//	draft, pending --cancel--> canceled (canceled)
//
// A draft holds the product's one open request on the marketplace, as a
// pending request does; canceling, approving or rejecting releases it.

// SubmitDraft sends the vendor's draft to the provider, its prices checked
// again against the product's latest version. A request already pending
// is answered as it is: submitting it again changes nothing.
func (s *Service) SubmitDraft(ctx context.Context, actor account.Principal, id string) (ListingRequest, error) {
	lr, rev, err := s.vendorsListingRequest(ctx, actor, id, "submitted", RequestDraft, RequestPending)
	if err != nil || lr.Status == RequestPending {
		return lr, err
	}
	in := ListingRequestInput{Type: lr.Type, Product: RefInput{ID: lr.Product.ID}, Marketplace: RefInput{ID: lr.Marketplace.ID}, Note: lr.Note}
	for _, p := range lr.Prices {
		in.Prices = append(in.Prices, PriceInput{Item: RefInput{ID: p.Item.ID}, Price: p.Price, Terms: p.Terms})
	}
	st, err := s.checkListingRequest(ctx, actor, &lr, in)
	if err != nil {
		return ListingRequest{}, err
	}
	tx, now := s.moveListingRequest(&lr, rev, RequestPending)
	if err := s.commitListingRequest(ctx, tx, st, lr, now); err != nil {
		return ListingRequest{}, listingRequestConflict(err, id)
	}
	return lr, nil
}

// CancelListingRequest withdraws the vendor's draft or pending request.
func (s *Service) CancelListingRequest(ctx context.Context, actor account.Principal, id string) (ListingRequest, error) {
	lr, rev, err := s.vendorsListingRequest(ctx, actor, id, "canceled", RequestDraft, RequestPending)
	if err != nil {
		return ListingRequest{}, err
	}
	tx, now := s.moveListingRequest(&lr, rev, RequestCanceled)
	tx.Delete("pending", dynamo.Key{PK: productPK(lr.Product.ID), SK: pendingSK(lr.Marketplace.ID)}, nil)
	return lr, s.commitState(ctx, tx, lr, id, now)
}

// RefineListingRequest returns a pending request to draft: the vendor
// takes it back, or the provider sends it back, for the vendor to cancel
// or submit again.
func (s *Service) RefineListingRequest(ctx context.Context, actor account.Principal, id string) (ListingRequest, error) {
	if !actor.Is(account.Vendor, account.Provider) {
		return ListingRequest{}, fault.Forbiddenf("only the request's vendor or provider refines a listing request")
	}
	lr, rev, err := s.readListingRequest(ctx, actor, id)
	if err != nil {
		return ListingRequest{}, err
	}
	if lr.Status != RequestPending {
		return ListingRequest{}, fault.Transitionf("listing request %s is %s; only a pending request can be refined", id, lr.Status)
	}
	tx, now := s.moveListingRequest(&lr, rev, RequestDraft)
	return lr, s.commitState(ctx, tx, lr, id, now)
}

// vendorsListingRequest reads the caller's own request to be done (a
// past participle), which a request in one of the statuses from can be.
func (s *Service) vendorsListingRequest(ctx context.Context, actor account.Principal, id, done string, from ...string) (ListingRequest, int, error) {
	if !actor.Is(account.Vendor) {
		return ListingRequest{}, 0, fault.Forbiddenf("a listing request is %s by its vendor only", done)
	}
	lr, rev, err := s.readListingRequest(ctx, actor, id)
	if err != nil {
		return ListingRequest{}, 0, err
	}
	if lr.Vendor.ID != actor.AccountID {
		return ListingRequest{}, 0, fault.NotFoundf("listing request %s not found", id)
	}
	if !slices.Contains(from, lr.Status) {
		return ListingRequest{}, 0, fault.Transitionf("listing request %s is %s; only a %s request can be %s", id, lr.Status, joinOr(from), done)
	}
	return lr, rev, nil
}

func joinOr(ss []string) string {
	if len(ss) == 2 {
		return ss[0] + " or " + ss[1]
	}
	return ss[0]
}

// moveListingRequest moves the request to status and starts the
// transaction that writes its next revision, on the condition that it is
// still at rev.
func (s *Service) moveListingRequest(lr *ListingRequest, rev int, status string) (*dynamo.Tx, time.Time) {
	now := s.now().UTC()
	lr.Status, lr.Updated = status, now
	cond := expression.Name("rev").Equal(expression.Value(rev))
	return s.table.Tx().Put("listing request", listingRequestRow(*lr, rev+1), &cond), now
}

// commitState commits a change of the request's state with its events.
func (s *Service) commitState(ctx context.Context, tx *dynamo.Tx, lr ListingRequest, id string, now time.Time) error {
	if err := emitBoth(tx, event.ListingRequestUpdated, lr, lr.Vendor.ID, lr.Provider.ID, now, s.retentionDays); err != nil {
		return err
	}
	return listingRequestConflict(tx.Commit(ctx), id)
}

func listingRequestConflict(err error, id string) error {
	if cf, ok := dynamo.AsConditionFailed(err); ok && cf.Failed("listing request") {
		return &fault.Error{Kind: fault.Conflict, Messages: []string{"listing request " + id + " was changed by another request; reload it and retry"}, Err: err}
	}
	return err
}
