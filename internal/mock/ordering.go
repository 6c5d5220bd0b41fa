package mock

import (
	"context"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/ordering"
)

// OrderingService stands in for ordering.Service: each method calls its Fn field.
type OrderingService struct {
	CartFn                  func(ctx context.Context, actor account.Principal, customerID, cartID string) (ordering.Cart, error)
	CheckoutFn              func(ctx context.Context, actor account.Principal, customerID, cartID string) (ordering.CheckoutResult, error)
	CreateCartFn            func(ctx context.Context, actor account.Principal, customerID string, in ordering.CartInput, claim *ordering.Claim) (ordering.Cart, error)
	CreateCustomerFn        func(ctx context.Context, actor account.Principal, in ordering.CustomerInput, claim *ordering.Claim) (ordering.Customer, error)
	CreateOrderFn           func(ctx context.Context, actor account.Principal, customerID string, in ordering.OrderInput, claim *ordering.Claim) (ordering.Order, error)
	CreatePurchaseRequestFn func(ctx context.Context, actor account.Principal, in ordering.PurchaseRequestInput, claim *ordering.Claim) (fulfillment.Request, error)
	CustomerFn              func(ctx context.Context, actor account.Principal, id string) (ordering.Customer, error)
	CustomersFn             func(ctx context.Context, actor account.Principal, size int, after string) ([]ordering.Customer, string, error)
	OrderFn                 func(ctx context.Context, actor account.Principal, customerID, orderID string) (ordering.Order, error)
	OrdersFn                func(ctx context.Context, actor account.Principal, customerID string, size int, after string) ([]ordering.Order, string, error)
	PatchSubscriptionFn     func(ctx context.Context, actor account.Principal, customerID, subID string, in ordering.SubscriptionPatch) (fulfillment.SubscriptionResource, error)
	ProvisioningFn          func(ctx context.Context, actor account.Principal, customerID, orderID string) (ordering.Order, []ordering.LineProvisioning, error)
	RememberedFn            func(ctx context.Context, account, key string) (*ordering.Record, error)
	SubscriptionResourceFn  func(ctx context.Context, actor account.Principal, customerID, subID string) (fulfillment.SubscriptionResource, error)
	SubscriptionsFn         func(ctx context.Context, actor account.Principal, customerID, orderID string, size int, after string) ([]fulfillment.SubscriptionResource, string, error)
	UpdateCartFn            func(ctx context.Context, actor account.Principal, customerID, cartID string, in ordering.CartInput) (ordering.Cart, error)
}

func (s *OrderingService) Cart(ctx context.Context, actor account.Principal, customerID, cartID string) (ordering.Cart, error) {
	return s.CartFn(ctx, actor, customerID, cartID)
}

func (s *OrderingService) Checkout(ctx context.Context, actor account.Principal, customerID, cartID string) (ordering.CheckoutResult, error) {
	return s.CheckoutFn(ctx, actor, customerID, cartID)
}

func (s *OrderingService) CreateCart(ctx context.Context, actor account.Principal, customerID string, in ordering.CartInput, claim *ordering.Claim) (ordering.Cart, error) {
	return s.CreateCartFn(ctx, actor, customerID, in, claim)
}

func (s *OrderingService) CreateCustomer(ctx context.Context, actor account.Principal, in ordering.CustomerInput, claim *ordering.Claim) (ordering.Customer, error) {
	return s.CreateCustomerFn(ctx, actor, in, claim)
}

func (s *OrderingService) CreateOrder(ctx context.Context, actor account.Principal, customerID string, in ordering.OrderInput, claim *ordering.Claim) (ordering.Order, error) {
	return s.CreateOrderFn(ctx, actor, customerID, in, claim)
}

func (s *OrderingService) CreatePurchaseRequest(ctx context.Context, actor account.Principal, in ordering.PurchaseRequestInput, claim *ordering.Claim) (fulfillment.Request, error) {
	return s.CreatePurchaseRequestFn(ctx, actor, in, claim)
}

func (s *OrderingService) Customer(ctx context.Context, actor account.Principal, id string) (ordering.Customer, error) {
	return s.CustomerFn(ctx, actor, id)
}

func (s *OrderingService) Customers(ctx context.Context, actor account.Principal, size int, after string) ([]ordering.Customer, string, error) {
	return s.CustomersFn(ctx, actor, size, after)
}

func (s *OrderingService) Order(ctx context.Context, actor account.Principal, customerID, orderID string) (ordering.Order, error) {
	return s.OrderFn(ctx, actor, customerID, orderID)
}

func (s *OrderingService) Orders(ctx context.Context, actor account.Principal, customerID string, size int, after string) ([]ordering.Order, string, error) {
	return s.OrdersFn(ctx, actor, customerID, size, after)
}

func (s *OrderingService) PatchSubscription(ctx context.Context, actor account.Principal, customerID, subID string, in ordering.SubscriptionPatch) (fulfillment.SubscriptionResource, error) {
	return s.PatchSubscriptionFn(ctx, actor, customerID, subID, in)
}

func (s *OrderingService) Provisioning(ctx context.Context, actor account.Principal, customerID, orderID string) (ordering.Order, []ordering.LineProvisioning, error) {
	return s.ProvisioningFn(ctx, actor, customerID, orderID)
}

func (s *OrderingService) Remembered(ctx context.Context, account, key string) (*ordering.Record, error) {
	return s.RememberedFn(ctx, account, key)
}

func (s *OrderingService) SubscriptionResource(ctx context.Context, actor account.Principal, customerID, subID string) (fulfillment.SubscriptionResource, error) {
	return s.SubscriptionResourceFn(ctx, actor, customerID, subID)
}

func (s *OrderingService) Subscriptions(ctx context.Context, actor account.Principal, customerID, orderID string, size int, after string) ([]fulfillment.SubscriptionResource, string, error) {
	return s.SubscriptionsFn(ctx, actor, customerID, orderID, size, after)
}

func (s *OrderingService) UpdateCart(ctx context.Context, actor account.Principal, customerID, cartID string, in ordering.CartInput) (ordering.Cart, error) {
	return s.UpdateCartFn(ctx, actor, customerID, cartID, in)
}
