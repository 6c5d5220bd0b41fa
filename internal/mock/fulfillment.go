package mock

import (
	"context"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/fulfillment"
)

// FulfillmentService stands in for fulfillment.Service: each method calls its Fn field.
type FulfillmentService struct {
	ApproveFn       func(ctx context.Context, actor account.Principal, id string, in fulfillment.ApproveInput) (fulfillment.Request, error)
	AssetFn         func(ctx context.Context, actor account.Principal, id string) (fulfillment.StoredAsset, error)
	AssetRequestsFn func(ctx context.Context, actor account.Principal, id string) ([]fulfillment.Request, error)
	AssetCountFn    func(ctx context.Context, actor account.Principal) (int, error)
	AssetPageFn     func(ctx context.Context, actor account.Principal, q fulfillment.ListQuery[fulfillment.Asset]) (fulfillment.Page[fulfillment.Asset], error)
	AssignFn        func(ctx context.Context, actor account.Principal, id string, in fulfillment.AssignInput) (fulfillment.Request, error)
	FailFn          func(ctx context.Context, actor account.Principal, id string, in fulfillment.FailInput) (fulfillment.Request, error)
	InquireFn       func(ctx context.Context, actor account.Principal, id string, in fulfillment.InquireInput) (fulfillment.Request, error)
	PendFn          func(ctx context.Context, actor account.Principal, id string) (fulfillment.Request, error)
	RenderAssetFn   func(ctx context.Context, actor account.Principal, id string) (string, error)
	RenderRequestFn func(ctx context.Context, actor account.Principal, id string) (string, error)
	RequestFn       func(ctx context.Context, actor account.Principal, id string) (fulfillment.Request, error)
	RequestCountFn  func(ctx context.Context, actor account.Principal, statuses []string) (int, error)
	RequestPageFn   func(ctx context.Context, actor account.Principal, q fulfillment.ListQuery[fulfillment.Request]) (fulfillment.Page[fulfillment.Request], error)
	UnassignFn      func(ctx context.Context, actor account.Principal, id string) (fulfillment.Request, error)
	UpdateFn        func(ctx context.Context, actor account.Principal, id string, in fulfillment.UpdateInput) (fulfillment.Request, error)
}

func (s *FulfillmentService) Approve(ctx context.Context, actor account.Principal, id string, in fulfillment.ApproveInput) (fulfillment.Request, error) {
	return s.ApproveFn(ctx, actor, id, in)
}

func (s *FulfillmentService) Asset(ctx context.Context, actor account.Principal, id string) (fulfillment.StoredAsset, error) {
	return s.AssetFn(ctx, actor, id)
}

func (s *FulfillmentService) AssetRequests(ctx context.Context, actor account.Principal, id string) ([]fulfillment.Request, error) {
	return s.AssetRequestsFn(ctx, actor, id)
}

func (s *FulfillmentService) AssetCount(ctx context.Context, actor account.Principal) (int, error) {
	return s.AssetCountFn(ctx, actor)
}

func (s *FulfillmentService) AssetPage(ctx context.Context, actor account.Principal, q fulfillment.ListQuery[fulfillment.Asset]) (fulfillment.Page[fulfillment.Asset], error) {
	return s.AssetPageFn(ctx, actor, q)
}

func (s *FulfillmentService) Assign(ctx context.Context, actor account.Principal, id string, in fulfillment.AssignInput) (fulfillment.Request, error) {
	return s.AssignFn(ctx, actor, id, in)
}

func (s *FulfillmentService) Fail(ctx context.Context, actor account.Principal, id string, in fulfillment.FailInput) (fulfillment.Request, error) {
	return s.FailFn(ctx, actor, id, in)
}

func (s *FulfillmentService) Inquire(ctx context.Context, actor account.Principal, id string, in fulfillment.InquireInput) (fulfillment.Request, error) {
	return s.InquireFn(ctx, actor, id, in)
}

func (s *FulfillmentService) Pend(ctx context.Context, actor account.Principal, id string) (fulfillment.Request, error) {
	return s.PendFn(ctx, actor, id)
}

func (s *FulfillmentService) RenderAsset(ctx context.Context, actor account.Principal, id string) (string, error) {
	return s.RenderAssetFn(ctx, actor, id)
}

func (s *FulfillmentService) RenderRequest(ctx context.Context, actor account.Principal, id string) (string, error) {
	return s.RenderRequestFn(ctx, actor, id)
}

func (s *FulfillmentService) Request(ctx context.Context, actor account.Principal, id string) (fulfillment.Request, error) {
	return s.RequestFn(ctx, actor, id)
}

func (s *FulfillmentService) RequestCount(ctx context.Context, actor account.Principal, statuses []string) (int, error) {
	return s.RequestCountFn(ctx, actor, statuses)
}

func (s *FulfillmentService) RequestPage(ctx context.Context, actor account.Principal, q fulfillment.ListQuery[fulfillment.Request]) (fulfillment.Page[fulfillment.Request], error) {
	return s.RequestPageFn(ctx, actor, q)
}

func (s *FulfillmentService) Unassign(ctx context.Context, actor account.Principal, id string) (fulfillment.Request, error) {
	return s.UnassignFn(ctx, actor, id)
}

func (s *FulfillmentService) Update(ctx context.Context, actor account.Principal, id string, in fulfillment.UpdateInput) (fulfillment.Request, error) {
	return s.UpdateFn(ctx, actor, id, in)
}
