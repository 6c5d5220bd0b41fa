package httpapi

import (
	"context"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/ordering"
	"github.com/mercato-dev/mercato/internal/webhook"
)

// The services the API calls, each the part of a domain service it uses,
// so that tests can route, decode and map errors against internal/mock
// without the emulator. internal/app passes the domain services themselves.

// AccountService is what the API asks of account.Service.
type AccountService interface {
	Authenticate(ctx context.Context, header string) (account.Principal, error)
	CreateAccount(ctx context.Context, actor account.Principal, in account.CreateAccountInput) (account.Created, error)
	CreateToken(ctx context.Context, actor account.Principal, in account.CreateTokenInput) (account.NewToken, error)
	DeleteToken(ctx context.Context, actor account.Principal, tokenID string) error
	Get(ctx context.Context, actor account.Principal, id string) (account.Account, error)
	List(ctx context.Context, actor account.Principal, t account.Type) ([]account.Account, error)
	ListTokens(ctx context.Context, actor account.Principal) ([]account.Token, error)
	UpdateToken(ctx context.Context, actor account.Principal, tokenID string, in account.UpdateTokenInput) (account.Token, error)
}

// CatalogService is what the API asks of catalog.Service.
type CatalogService interface {
	ApproveListingRequest(ctx context.Context, actor account.Principal, id string, in catalog.DecideInput) (catalog.ListingRequest, error)
	CreateItem(ctx context.Context, actor account.Principal, productID string, in catalog.ItemInput) (catalog.Item, error)
	CreateMarketplace(ctx context.Context, actor account.Principal, in catalog.MarketplaceInput) (catalog.Marketplace, error)
	CreateParameter(ctx context.Context, actor account.Principal, productID string, in catalog.ParameterInput) (catalog.Parameter, error)
	CreateProduct(ctx context.Context, actor account.Principal, in catalog.ProductInput) (catalog.Product, error)
	CreateTemplate(ctx context.Context, actor account.Principal, productID string, in catalog.TemplateInput) (catalog.Template, error)
	EndSale(ctx context.Context, actor account.Principal, id string, in catalog.EndSaleInput) (catalog.Product, error)
	Connections(ctx context.Context, actor account.Principal, productID string) ([]catalog.Connection, error)
	CreateConnection(ctx context.Context, actor account.Principal, productID string, in catalog.ConnectionInput) (catalog.Connection, error)
	CreateHub(ctx context.Context, actor account.Principal, in catalog.HubInput) (catalog.Hub, error)
	GetConnection(ctx context.Context, actor account.Principal, productID, id string) (catalog.Connection, error)
	GetHub(ctx context.Context, actor account.Principal, id string) (catalog.Hub, error)
	ListHubs(ctx context.Context, actor account.Principal) ([]catalog.Hub, error)
	UpdateConnection(ctx context.Context, actor account.Principal, productID, id string, in catalog.ConnectionInput) (catalog.Connection, error)
	UpdateHub(ctx context.Context, actor account.Principal, id string, in catalog.HubInput) (catalog.Hub, error)
	CancelListingRequest(ctx context.Context, actor account.Principal, id string) (catalog.ListingRequest, error)
	DeleteItem(ctx context.Context, actor account.Principal, productID, itemID string) error
	DeleteParameter(ctx context.Context, actor account.Principal, productID, paramID string) error
	DeleteTemplate(ctx context.Context, actor account.Principal, productID, templateID string) error
	GetItem(ctx context.Context, actor account.Principal, productID, itemID string) (catalog.Item, error)
	GetListing(ctx context.Context, actor account.Principal, id string) (catalog.Listing, error)
	GetListingRequest(ctx context.Context, actor account.Principal, id string) (catalog.ListingRequest, error)
	GetMarketplace(ctx context.Context, actor account.Principal, id string) (catalog.Marketplace, error)
	GetParameter(ctx context.Context, actor account.Principal, productID, paramID string) (catalog.Parameter, error)
	GetProduct(ctx context.Context, actor account.Principal, id string) (catalog.Product, error)
	GetTemplate(ctx context.Context, actor account.Principal, productID, templateID string) (catalog.Template, error)
	ListItems(ctx context.Context, actor account.Principal, productID string) ([]catalog.Item, error)
	ListingPage(ctx context.Context, actor account.Principal, product string, q dynamo.ListQuery[catalog.Listing]) (dynamo.ListPage[catalog.Listing], error)
	ListingRequestPage(ctx context.Context, actor account.Principal, q dynamo.ListQuery[catalog.ListingRequest]) (dynamo.ListPage[catalog.ListingRequest], error)
	MarketplacePage(ctx context.Context, actor account.Principal, q dynamo.ListQuery[catalog.Marketplace]) (dynamo.ListPage[catalog.Marketplace], error)
	ListParameters(ctx context.Context, actor account.Principal, productID string) ([]catalog.Parameter, error)
	ListTemplates(ctx context.Context, actor account.Principal, productID string) ([]catalog.Template, error)
	ListVersions(ctx context.Context, actor account.Principal, productID string) ([]catalog.Version, error)
	ProductPage(ctx context.Context, actor account.Principal, q dynamo.ListQuery[catalog.Product]) (dynamo.ListPage[catalog.Product], error)
	PreviewTemplate(ctx context.Context, actor account.Principal, productID, templateID string, values map[string]string) (catalog.Preview, error)
	ProviderOffer(ctx context.Context, actor account.Principal, productID, country string) (catalog.Offer, error)
	ProviderProducts(ctx context.Context, actor account.Principal, country string) ([]catalog.Product, error)
	Publish(ctx context.Context, actor account.Principal, productID string, in catalog.PublishInput) (catalog.Version, error)
	RefineListingRequest(ctx context.Context, actor account.Principal, id string) (catalog.ListingRequest, error)
	ResumeSale(ctx context.Context, actor account.Principal, id string) (catalog.Product, error)
	RejectListingRequest(ctx context.Context, actor account.Principal, id string, in catalog.DecideInput) (catalog.ListingRequest, error)
	SubmitDraft(ctx context.Context, actor account.Principal, id string) (catalog.ListingRequest, error)
	SubmitListingRequest(ctx context.Context, actor account.Principal, in catalog.ListingRequestInput) (catalog.ListingRequest, error)
	UpdateItem(ctx context.Context, actor account.Principal, productID, itemID string, in catalog.ItemInput) (catalog.Item, error)
	UpdateParameter(ctx context.Context, actor account.Principal, productID, paramID string, in catalog.ParameterInput) (catalog.Parameter, error)
	UpdateProduct(ctx context.Context, actor account.Principal, id string, in catalog.ProductInput) (catalog.Product, error)
	UpdateTemplate(ctx context.Context, actor account.Principal, productID, templateID string, in catalog.TemplateInput) (catalog.Template, error)
	Version(ctx context.Context, actor account.Principal, productID string, n int) (catalog.Version, error)
}

// OrderingService is what the API asks of ordering.Service. A create
// takes the request's idempotency claim, nil when it sent no key.
type OrderingService interface {
	Cart(ctx context.Context, actor account.Principal, customerID, cartID string) (ordering.Cart, error)
	Checkout(ctx context.Context, actor account.Principal, customerID, cartID string) (ordering.CheckoutResult, error)
	CreateCart(ctx context.Context, actor account.Principal, customerID string, in ordering.CartInput, claim *ordering.Claim) (ordering.Cart, error)
	CreateCustomer(ctx context.Context, actor account.Principal, in ordering.CustomerInput, claim *ordering.Claim) (ordering.Customer, error)
	CreateOrder(ctx context.Context, actor account.Principal, customerID string, in ordering.OrderInput, claim *ordering.Claim) (ordering.Order, error)
	CreatePurchaseRequest(ctx context.Context, actor account.Principal, in ordering.PurchaseRequestInput, claim *ordering.Claim) (fulfillment.Request, error)
	Customer(ctx context.Context, actor account.Principal, id string) (ordering.Customer, error)
	Customers(ctx context.Context, actor account.Principal, size int, after string) ([]ordering.Customer, string, error)
	Order(ctx context.Context, actor account.Principal, customerID, orderID string) (ordering.Order, error)
	Orders(ctx context.Context, actor account.Principal, customerID string, size int, after string) ([]ordering.Order, string, error)
	PatchSubscription(ctx context.Context, actor account.Principal, customerID, subID string, in ordering.SubscriptionPatch) (fulfillment.SubscriptionResource, error)
	Provisioning(ctx context.Context, actor account.Principal, customerID, orderID string) (ordering.Order, []ordering.LineProvisioning, error)
	Remembered(ctx context.Context, account, key string) (*ordering.Record, error)
	SubscriptionResource(ctx context.Context, actor account.Principal, customerID, subID string) (fulfillment.SubscriptionResource, error)
	Subscriptions(ctx context.Context, actor account.Principal, customerID, orderID string, size int, after string) ([]fulfillment.SubscriptionResource, string, error)
	UpdateCart(ctx context.Context, actor account.Principal, customerID, cartID string, in ordering.CartInput) (ordering.Cart, error)
}

// FulfillmentService is what the API asks of fulfillment.Service.
type FulfillmentService interface {
	Approve(ctx context.Context, actor account.Principal, id string, in fulfillment.ApproveInput) (fulfillment.Request, error)
	Asset(ctx context.Context, actor account.Principal, id string) (fulfillment.StoredAsset, error)
	AssetRequests(ctx context.Context, actor account.Principal, id string) ([]fulfillment.Request, error)
	AssetCount(ctx context.Context, actor account.Principal) (int, error)
	AssetPage(ctx context.Context, actor account.Principal, q fulfillment.ListQuery[fulfillment.Asset]) (fulfillment.Page[fulfillment.Asset], error)
	Assign(ctx context.Context, actor account.Principal, id string, in fulfillment.AssignInput) (fulfillment.Request, error)
	Fail(ctx context.Context, actor account.Principal, id string, in fulfillment.FailInput) (fulfillment.Request, error)
	Inquire(ctx context.Context, actor account.Principal, id string, in fulfillment.InquireInput) (fulfillment.Request, error)
	Pend(ctx context.Context, actor account.Principal, id string) (fulfillment.Request, error)
	RenderAsset(ctx context.Context, actor account.Principal, id string) (string, error)
	RenderRequest(ctx context.Context, actor account.Principal, id string) (string, error)
	Request(ctx context.Context, actor account.Principal, id string) (fulfillment.Request, error)
	RequestCount(ctx context.Context, actor account.Principal, statuses []string) (int, error)
	RequestPage(ctx context.Context, actor account.Principal, q fulfillment.ListQuery[fulfillment.Request]) (fulfillment.Page[fulfillment.Request], error)
	Unassign(ctx context.Context, actor account.Principal, id string) (fulfillment.Request, error)
	Update(ctx context.Context, actor account.Principal, id string, in fulfillment.UpdateInput) (fulfillment.Request, error)
}

// WebhookService is what the API asks of webhook.Service.
type WebhookService interface {
	Create(ctx context.Context, actor account.Principal, in webhook.Input) (webhook.WithSecret, error)
	Delete(ctx context.Context, actor account.Principal, id string) error
	Deliveries(ctx context.Context, actor account.Principal, id string, f webhook.DeliveryFilter, offset, limit int) (webhook.DeliveryPage, error)
	EventTypes() []webhook.EventType
	Get(ctx context.Context, actor account.Principal, id string) (webhook.Webhook, error)
	List(ctx context.Context, actor account.Principal) ([]webhook.Webhook, error)
	Recover(ctx context.Context, actor account.Principal, id string, in webhook.RecoverInput) (webhook.Recovery, error)
	Redeliver(ctx context.Context, actor account.Principal, id, deliveryID string) (webhook.Delivery, error)
	RotateSecret(ctx context.Context, actor account.Principal, id string, in webhook.RotateInput) (webhook.WithSecret, error)
	Test(ctx context.Context, actor account.Principal, id string) (webhook.Delivery, error)
	Update(ctx context.Context, actor account.Principal, id string, in webhook.Input) (webhook.Webhook, error)
}
