package httpapi

import (
	"context"
	"io"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/billing"
	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/usage"
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
}

// CatalogService is what the API asks of catalog.Service.
type CatalogService interface {
	ApproveListingRequest(ctx context.Context, actor account.Principal, id string, in catalog.DecideInput) (catalog.ListingRequest, error)
	CreateItem(ctx context.Context, actor account.Principal, productID string, in catalog.ItemInput) (catalog.Item, error)
	CreateMarketplace(ctx context.Context, actor account.Principal, in catalog.MarketplaceInput) (catalog.Marketplace, error)
	CreateParameter(ctx context.Context, actor account.Principal, productID string, in catalog.ParameterInput) (catalog.Parameter, error)
	CreateProduct(ctx context.Context, actor account.Principal, in catalog.ProductInput) (catalog.Product, error)
	CreateTemplate(ctx context.Context, actor account.Principal, productID string, in catalog.TemplateInput) (catalog.Template, error)
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
	RejectListingRequest(ctx context.Context, actor account.Principal, id string, in catalog.DecideInput) (catalog.ListingRequest, error)
	SubmitListingRequest(ctx context.Context, actor account.Principal, in catalog.ListingRequestInput) (catalog.ListingRequest, error)
	UpdateItem(ctx context.Context, actor account.Principal, productID, itemID string, in catalog.ItemInput) (catalog.Item, error)
	UpdateParameter(ctx context.Context, actor account.Principal, productID, paramID string, in catalog.ParameterInput) (catalog.Parameter, error)
	UpdateProduct(ctx context.Context, actor account.Principal, id string, in catalog.ProductInput) (catalog.Product, error)
	UpdateTemplate(ctx context.Context, actor account.Principal, productID, templateID string, in catalog.TemplateInput) (catalog.Template, error)
	Version(ctx context.Context, actor account.Principal, productID string, n int) (catalog.Version, error)
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

// UsageService is what the API asks of usage.Service.
type UsageService interface {
	Accept(ctx context.Context, actor account.Principal, id string, in usage.NoteInput) (usage.File, error)
	AllRecords(ctx context.Context, actor account.Principal, fileID string, max int) ([]usage.Record, error)
	Close(ctx context.Context, actor account.Principal, id string) (usage.File, error)
	Create(ctx context.Context, actor account.Principal, in usage.CreateInput) (usage.File, error)
	Get(ctx context.Context, actor account.Principal, id string) (usage.File, error)
	List(ctx context.Context, actor account.Principal) ([]usage.File, error)
	PresignUpload(ctx context.Context, actor account.Principal, id string) (usage.UploadURL, error)
	Records(ctx context.Context, actor account.Principal, fileID string, offset, limit int) ([]usage.Record, int, error)
	Reject(ctx context.Context, actor account.Principal, id string, in usage.NoteInput) (usage.File, error)
	Submit(ctx context.Context, actor account.Principal, id string) (usage.File, error)
	Template(ctx context.Context, actor account.Principal, id, format string, w io.Writer) error
	Upload(ctx context.Context, actor account.Principal, id string, content []byte) (usage.File, error)
}

// InvoiceService is what the API asks of billing.Reader.
type InvoiceService interface {
	EachLine(ctx context.Context, actor account.Principal, id string, fn func([]billing.Line) error) (billing.Invoice, error)
	Invoice(ctx context.Context, actor account.Principal, id string) (billing.Invoice, error)
	Invoices(ctx context.Context, actor account.Principal) ([]billing.Invoice, error)
	Lines(ctx context.Context, actor account.Principal, id, billingType, token string, size int) (billing.Invoice, []billing.Line, string, error)
}
