// Package mock holds test doubles of the domain services the HTTP API calls
// (the interfaces of internal/httpapi's Config), in the manner of
// benbjohnson/wtf's mock package: each method calls the function field of
// the same name plus Fn, which a test sets for the calls it expects. A call
// whose field is nil panics, so an unexpected call fails the test.
package mock

import (
	"context"
	"io"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/billing"
	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/usage"
	"github.com/mercato-dev/mercato/internal/webhook"
)

// AccountService stands in for account.Service: each method calls its Fn field.
type AccountService struct {
	AuthenticateFn  func(ctx context.Context, header string) (account.Principal, error)
	CreateAccountFn func(ctx context.Context, actor account.Principal, in account.CreateAccountInput) (account.Created, error)
	CreateTokenFn   func(ctx context.Context, actor account.Principal, in account.CreateTokenInput) (account.NewToken, error)
	DeleteTokenFn   func(ctx context.Context, actor account.Principal, tokenID string) error
	GetFn           func(ctx context.Context, actor account.Principal, id string) (account.Account, error)
	ListFn          func(ctx context.Context, actor account.Principal, t account.Type) ([]account.Account, error)
	ListTokensFn    func(ctx context.Context, actor account.Principal) ([]account.Token, error)
}

func (s *AccountService) Authenticate(ctx context.Context, header string) (account.Principal, error) {
	return s.AuthenticateFn(ctx, header)
}
func (s *AccountService) CreateAccount(ctx context.Context, actor account.Principal, in account.CreateAccountInput) (account.Created, error) {
	return s.CreateAccountFn(ctx, actor, in)
}
func (s *AccountService) CreateToken(ctx context.Context, actor account.Principal, in account.CreateTokenInput) (account.NewToken, error) {
	return s.CreateTokenFn(ctx, actor, in)
}
func (s *AccountService) DeleteToken(ctx context.Context, actor account.Principal, tokenID string) error {
	return s.DeleteTokenFn(ctx, actor, tokenID)
}
func (s *AccountService) Get(ctx context.Context, actor account.Principal, id string) (account.Account, error) {
	return s.GetFn(ctx, actor, id)
}
func (s *AccountService) List(ctx context.Context, actor account.Principal, t account.Type) ([]account.Account, error) {
	return s.ListFn(ctx, actor, t)
}
func (s *AccountService) ListTokens(ctx context.Context, actor account.Principal) ([]account.Token, error) {
	return s.ListTokensFn(ctx, actor)
}

// CatalogService stands in for catalog.Service: each method calls its Fn field.
type CatalogService struct {
	ApproveListingRequestFn func(ctx context.Context, actor account.Principal, id string, in catalog.DecideInput) (catalog.ListingRequest, error)
	CreateItemFn            func(ctx context.Context, actor account.Principal, productID string, in catalog.ItemInput) (catalog.Item, error)
	CreateMarketplaceFn     func(ctx context.Context, actor account.Principal, in catalog.MarketplaceInput) (catalog.Marketplace, error)
	CreateParameterFn       func(ctx context.Context, actor account.Principal, productID string, in catalog.ParameterInput) (catalog.Parameter, error)
	CreateProductFn         func(ctx context.Context, actor account.Principal, in catalog.ProductInput) (catalog.Product, error)
	CreateTemplateFn        func(ctx context.Context, actor account.Principal, productID string, in catalog.TemplateInput) (catalog.Template, error)
	DeleteItemFn            func(ctx context.Context, actor account.Principal, productID, itemID string) error
	DeleteParameterFn       func(ctx context.Context, actor account.Principal, productID, paramID string) error
	DeleteTemplateFn        func(ctx context.Context, actor account.Principal, productID, templateID string) error
	GetItemFn               func(ctx context.Context, actor account.Principal, productID, itemID string) (catalog.Item, error)
	GetListingFn            func(ctx context.Context, actor account.Principal, id string) (catalog.Listing, error)
	GetListingRequestFn     func(ctx context.Context, actor account.Principal, id string) (catalog.ListingRequest, error)
	GetMarketplaceFn        func(ctx context.Context, actor account.Principal, id string) (catalog.Marketplace, error)
	GetParameterFn          func(ctx context.Context, actor account.Principal, productID, paramID string) (catalog.Parameter, error)
	GetProductFn            func(ctx context.Context, actor account.Principal, id string) (catalog.Product, error)
	GetTemplateFn           func(ctx context.Context, actor account.Principal, productID, templateID string) (catalog.Template, error)
	ListItemsFn             func(ctx context.Context, actor account.Principal, productID string) ([]catalog.Item, error)
	ListListingRequestsFn   func(ctx context.Context, actor account.Principal) ([]catalog.ListingRequest, error)
	ListListingsFn          func(ctx context.Context, actor account.Principal) ([]catalog.Listing, error)
	ListMarketplacesFn      func(ctx context.Context, actor account.Principal) ([]catalog.Marketplace, error)
	ListParametersFn        func(ctx context.Context, actor account.Principal, productID string) ([]catalog.Parameter, error)
	ListProductsFn          func(ctx context.Context, actor account.Principal) ([]catalog.Product, error)
	ListTemplatesFn         func(ctx context.Context, actor account.Principal, productID string) ([]catalog.Template, error)
	ListVersionsFn          func(ctx context.Context, actor account.Principal, productID string) ([]catalog.Version, error)
	PreviewTemplateFn       func(ctx context.Context, actor account.Principal, productID, templateID string, values map[string]string) (catalog.Preview, error)
	ProviderOfferFn         func(ctx context.Context, actor account.Principal, productID, country string) (catalog.Offer, error)
	ProviderProductsFn      func(ctx context.Context, actor account.Principal, country string) ([]catalog.Product, error)
	PublishFn               func(ctx context.Context, actor account.Principal, productID string, in catalog.PublishInput) (catalog.Version, error)
	RejectListingRequestFn  func(ctx context.Context, actor account.Principal, id string, in catalog.DecideInput) (catalog.ListingRequest, error)
	SubmitListingRequestFn  func(ctx context.Context, actor account.Principal, in catalog.ListingRequestInput) (catalog.ListingRequest, error)
	UpdateItemFn            func(ctx context.Context, actor account.Principal, productID, itemID string, in catalog.ItemInput) (catalog.Item, error)
	UpdateParameterFn       func(ctx context.Context, actor account.Principal, productID, paramID string, in catalog.ParameterInput) (catalog.Parameter, error)
	UpdateProductFn         func(ctx context.Context, actor account.Principal, id string, in catalog.ProductInput) (catalog.Product, error)
	UpdateTemplateFn        func(ctx context.Context, actor account.Principal, productID, templateID string, in catalog.TemplateInput) (catalog.Template, error)
	VersionFn               func(ctx context.Context, actor account.Principal, productID string, n int) (catalog.Version, error)
}

func (s *CatalogService) ApproveListingRequest(ctx context.Context, actor account.Principal, id string, in catalog.DecideInput) (catalog.ListingRequest, error) {
	return s.ApproveListingRequestFn(ctx, actor, id, in)
}
func (s *CatalogService) CreateItem(ctx context.Context, actor account.Principal, productID string, in catalog.ItemInput) (catalog.Item, error) {
	return s.CreateItemFn(ctx, actor, productID, in)
}
func (s *CatalogService) CreateMarketplace(ctx context.Context, actor account.Principal, in catalog.MarketplaceInput) (catalog.Marketplace, error) {
	return s.CreateMarketplaceFn(ctx, actor, in)
}
func (s *CatalogService) CreateParameter(ctx context.Context, actor account.Principal, productID string, in catalog.ParameterInput) (catalog.Parameter, error) {
	return s.CreateParameterFn(ctx, actor, productID, in)
}
func (s *CatalogService) CreateProduct(ctx context.Context, actor account.Principal, in catalog.ProductInput) (catalog.Product, error) {
	return s.CreateProductFn(ctx, actor, in)
}
func (s *CatalogService) CreateTemplate(ctx context.Context, actor account.Principal, productID string, in catalog.TemplateInput) (catalog.Template, error) {
	return s.CreateTemplateFn(ctx, actor, productID, in)
}
func (s *CatalogService) DeleteItem(ctx context.Context, actor account.Principal, productID string, itemID string) error {
	return s.DeleteItemFn(ctx, actor, productID, itemID)
}
func (s *CatalogService) DeleteParameter(ctx context.Context, actor account.Principal, productID string, paramID string) error {
	return s.DeleteParameterFn(ctx, actor, productID, paramID)
}
func (s *CatalogService) DeleteTemplate(ctx context.Context, actor account.Principal, productID string, templateID string) error {
	return s.DeleteTemplateFn(ctx, actor, productID, templateID)
}
func (s *CatalogService) GetItem(ctx context.Context, actor account.Principal, productID string, itemID string) (catalog.Item, error) {
	return s.GetItemFn(ctx, actor, productID, itemID)
}
func (s *CatalogService) GetListing(ctx context.Context, actor account.Principal, id string) (catalog.Listing, error) {
	return s.GetListingFn(ctx, actor, id)
}
func (s *CatalogService) GetListingRequest(ctx context.Context, actor account.Principal, id string) (catalog.ListingRequest, error) {
	return s.GetListingRequestFn(ctx, actor, id)
}
func (s *CatalogService) GetMarketplace(ctx context.Context, actor account.Principal, id string) (catalog.Marketplace, error) {
	return s.GetMarketplaceFn(ctx, actor, id)
}
func (s *CatalogService) GetParameter(ctx context.Context, actor account.Principal, productID string, paramID string) (catalog.Parameter, error) {
	return s.GetParameterFn(ctx, actor, productID, paramID)
}
func (s *CatalogService) GetProduct(ctx context.Context, actor account.Principal, id string) (catalog.Product, error) {
	return s.GetProductFn(ctx, actor, id)
}
func (s *CatalogService) GetTemplate(ctx context.Context, actor account.Principal, productID string, templateID string) (catalog.Template, error) {
	return s.GetTemplateFn(ctx, actor, productID, templateID)
}
func (s *CatalogService) ListItems(ctx context.Context, actor account.Principal, productID string) ([]catalog.Item, error) {
	return s.ListItemsFn(ctx, actor, productID)
}
func (s *CatalogService) ListListingRequests(ctx context.Context, actor account.Principal) ([]catalog.ListingRequest, error) {
	return s.ListListingRequestsFn(ctx, actor)
}
func (s *CatalogService) ListListings(ctx context.Context, actor account.Principal) ([]catalog.Listing, error) {
	return s.ListListingsFn(ctx, actor)
}
func (s *CatalogService) ListMarketplaces(ctx context.Context, actor account.Principal) ([]catalog.Marketplace, error) {
	return s.ListMarketplacesFn(ctx, actor)
}
func (s *CatalogService) ListParameters(ctx context.Context, actor account.Principal, productID string) ([]catalog.Parameter, error) {
	return s.ListParametersFn(ctx, actor, productID)
}
func (s *CatalogService) ListProducts(ctx context.Context, actor account.Principal) ([]catalog.Product, error) {
	return s.ListProductsFn(ctx, actor)
}
func (s *CatalogService) ListTemplates(ctx context.Context, actor account.Principal, productID string) ([]catalog.Template, error) {
	return s.ListTemplatesFn(ctx, actor, productID)
}
func (s *CatalogService) ListVersions(ctx context.Context, actor account.Principal, productID string) ([]catalog.Version, error) {
	return s.ListVersionsFn(ctx, actor, productID)
}
func (s *CatalogService) PreviewTemplate(ctx context.Context, actor account.Principal, productID string, templateID string, values map[string]string) (catalog.Preview, error) {
	return s.PreviewTemplateFn(ctx, actor, productID, templateID, values)
}
func (s *CatalogService) ProviderOffer(ctx context.Context, actor account.Principal, productID string, country string) (catalog.Offer, error) {
	return s.ProviderOfferFn(ctx, actor, productID, country)
}
func (s *CatalogService) ProviderProducts(ctx context.Context, actor account.Principal, country string) ([]catalog.Product, error) {
	return s.ProviderProductsFn(ctx, actor, country)
}
func (s *CatalogService) Publish(ctx context.Context, actor account.Principal, productID string, in catalog.PublishInput) (catalog.Version, error) {
	return s.PublishFn(ctx, actor, productID, in)
}
func (s *CatalogService) RejectListingRequest(ctx context.Context, actor account.Principal, id string, in catalog.DecideInput) (catalog.ListingRequest, error) {
	return s.RejectListingRequestFn(ctx, actor, id, in)
}
func (s *CatalogService) SubmitListingRequest(ctx context.Context, actor account.Principal, in catalog.ListingRequestInput) (catalog.ListingRequest, error) {
	return s.SubmitListingRequestFn(ctx, actor, in)
}
func (s *CatalogService) UpdateItem(ctx context.Context, actor account.Principal, productID string, itemID string, in catalog.ItemInput) (catalog.Item, error) {
	return s.UpdateItemFn(ctx, actor, productID, itemID, in)
}
func (s *CatalogService) UpdateParameter(ctx context.Context, actor account.Principal, productID string, paramID string, in catalog.ParameterInput) (catalog.Parameter, error) {
	return s.UpdateParameterFn(ctx, actor, productID, paramID, in)
}
func (s *CatalogService) UpdateProduct(ctx context.Context, actor account.Principal, id string, in catalog.ProductInput) (catalog.Product, error) {
	return s.UpdateProductFn(ctx, actor, id, in)
}
func (s *CatalogService) UpdateTemplate(ctx context.Context, actor account.Principal, productID string, templateID string, in catalog.TemplateInput) (catalog.Template, error) {
	return s.UpdateTemplateFn(ctx, actor, productID, templateID, in)
}
func (s *CatalogService) Version(ctx context.Context, actor account.Principal, productID string, n int) (catalog.Version, error) {
	return s.VersionFn(ctx, actor, productID, n)
}

// FulfillmentService stands in for fulfillment.Service: each method calls its Fn field.
type FulfillmentService struct {
	ApproveFn       func(ctx context.Context, actor account.Principal, id string, in fulfillment.ApproveInput) (fulfillment.Request, error)
	AssetFn         func(ctx context.Context, actor account.Principal, id string) (fulfillment.StoredAsset, error)
	AssetRequestsFn func(ctx context.Context, actor account.Principal, id string) ([]fulfillment.Request, error)
	AssetsFn        func(ctx context.Context, actor account.Principal) ([]fulfillment.Asset, error)
	AssignFn        func(ctx context.Context, actor account.Principal, id string, in fulfillment.AssignInput) (fulfillment.Request, error)
	FailFn          func(ctx context.Context, actor account.Principal, id string, in fulfillment.FailInput) (fulfillment.Request, error)
	InquireFn       func(ctx context.Context, actor account.Principal, id string, in fulfillment.InquireInput) (fulfillment.Request, error)
	PendFn          func(ctx context.Context, actor account.Principal, id string) (fulfillment.Request, error)
	RenderAssetFn   func(ctx context.Context, actor account.Principal, id string) (string, error)
	RenderRequestFn func(ctx context.Context, actor account.Principal, id string) (string, error)
	RequestFn       func(ctx context.Context, actor account.Principal, id string) (fulfillment.Request, error)
	RequestsFn      func(ctx context.Context, actor account.Principal, q fulfillment.RequestQuery) ([]fulfillment.Request, error)
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
func (s *FulfillmentService) Assets(ctx context.Context, actor account.Principal) ([]fulfillment.Asset, error) {
	return s.AssetsFn(ctx, actor)
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
func (s *FulfillmentService) Requests(ctx context.Context, actor account.Principal, q fulfillment.RequestQuery) ([]fulfillment.Request, error) {
	return s.RequestsFn(ctx, actor, q)
}
func (s *FulfillmentService) Unassign(ctx context.Context, actor account.Principal, id string) (fulfillment.Request, error) {
	return s.UnassignFn(ctx, actor, id)
}
func (s *FulfillmentService) Update(ctx context.Context, actor account.Principal, id string, in fulfillment.UpdateInput) (fulfillment.Request, error) {
	return s.UpdateFn(ctx, actor, id, in)
}

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

// UsageService stands in for usage.Service: each method calls its Fn field.
type UsageService struct {
	AcceptFn        func(ctx context.Context, actor account.Principal, id string, in usage.NoteInput) (usage.File, error)
	AllRecordsFn    func(ctx context.Context, actor account.Principal, fileID string, max int) ([]usage.Record, error)
	CloseFn         func(ctx context.Context, actor account.Principal, id string) (usage.File, error)
	CreateFn        func(ctx context.Context, actor account.Principal, in usage.CreateInput) (usage.File, error)
	GetFn           func(ctx context.Context, actor account.Principal, id string) (usage.File, error)
	ListFn          func(ctx context.Context, actor account.Principal) ([]usage.File, error)
	PresignUploadFn func(ctx context.Context, actor account.Principal, id string) (usage.UploadURL, error)
	RecordsFn       func(ctx context.Context, actor account.Principal, fileID string, offset, limit int) ([]usage.Record, int, error)
	RejectFn        func(ctx context.Context, actor account.Principal, id string, in usage.NoteInput) (usage.File, error)
	SubmitFn        func(ctx context.Context, actor account.Principal, id string) (usage.File, error)
	TemplateFn      func(ctx context.Context, actor account.Principal, id, format string, w io.Writer) error
	UploadFn        func(ctx context.Context, actor account.Principal, id string, content []byte) (usage.File, error)
}

func (s *UsageService) Accept(ctx context.Context, actor account.Principal, id string, in usage.NoteInput) (usage.File, error) {
	return s.AcceptFn(ctx, actor, id, in)
}
func (s *UsageService) AllRecords(ctx context.Context, actor account.Principal, fileID string, max int) ([]usage.Record, error) {
	return s.AllRecordsFn(ctx, actor, fileID, max)
}
func (s *UsageService) Close(ctx context.Context, actor account.Principal, id string) (usage.File, error) {
	return s.CloseFn(ctx, actor, id)
}
func (s *UsageService) Create(ctx context.Context, actor account.Principal, in usage.CreateInput) (usage.File, error) {
	return s.CreateFn(ctx, actor, in)
}
func (s *UsageService) Get(ctx context.Context, actor account.Principal, id string) (usage.File, error) {
	return s.GetFn(ctx, actor, id)
}
func (s *UsageService) List(ctx context.Context, actor account.Principal) ([]usage.File, error) {
	return s.ListFn(ctx, actor)
}
func (s *UsageService) PresignUpload(ctx context.Context, actor account.Principal, id string) (usage.UploadURL, error) {
	return s.PresignUploadFn(ctx, actor, id)
}
func (s *UsageService) Records(ctx context.Context, actor account.Principal, fileID string, offset int, limit int) ([]usage.Record, int, error) {
	return s.RecordsFn(ctx, actor, fileID, offset, limit)
}
func (s *UsageService) Reject(ctx context.Context, actor account.Principal, id string, in usage.NoteInput) (usage.File, error) {
	return s.RejectFn(ctx, actor, id, in)
}
func (s *UsageService) Submit(ctx context.Context, actor account.Principal, id string) (usage.File, error) {
	return s.SubmitFn(ctx, actor, id)
}
func (s *UsageService) Template(ctx context.Context, actor account.Principal, id string, format string, w io.Writer) error {
	return s.TemplateFn(ctx, actor, id, format, w)
}
func (s *UsageService) Upload(ctx context.Context, actor account.Principal, id string, content []byte) (usage.File, error) {
	return s.UploadFn(ctx, actor, id, content)
}

// InvoiceService stands in for billing.Reader: each method calls its Fn field.
type InvoiceService struct {
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
