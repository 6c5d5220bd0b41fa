package mock

import (
	"context"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/dynamo"
)

// CatalogService stands in for catalog.Service: each method calls its Fn field.
type CatalogService struct {
	UpdateHubFn             func(ctx context.Context, actor account.Principal, id string, in catalog.HubInput) (catalog.Hub, error)
	UpdateConnectionFn      func(ctx context.Context, actor account.Principal, productID, id string, in catalog.ConnectionInput) (catalog.Connection, error)
	ListHubsFn              func(ctx context.Context, actor account.Principal) ([]catalog.Hub, error)
	GetHubFn                func(ctx context.Context, actor account.Principal, id string) (catalog.Hub, error)
	GetConnectionFn         func(ctx context.Context, actor account.Principal, productID, id string) (catalog.Connection, error)
	CreateHubFn             func(ctx context.Context, actor account.Principal, in catalog.HubInput) (catalog.Hub, error)
	CreateConnectionFn      func(ctx context.Context, actor account.Principal, productID string, in catalog.ConnectionInput) (catalog.Connection, error)
	ConnectionsFn           func(ctx context.Context, actor account.Principal, productID string) ([]catalog.Connection, error)
	RefineListingRequestFn  func(ctx context.Context, actor account.Principal, id string) (catalog.ListingRequest, error)
	CancelListingRequestFn  func(ctx context.Context, actor account.Principal, id string) (catalog.ListingRequest, error)
	SubmitDraftFn           func(ctx context.Context, actor account.Principal, id string) (catalog.ListingRequest, error)
	ResumeSaleFn            func(ctx context.Context, actor account.Principal, id string) (catalog.Product, error)
	EndSaleFn               func(ctx context.Context, actor account.Principal, id string, in catalog.EndSaleInput) (catalog.Product, error)
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
	ListingPageFn           func(ctx context.Context, actor account.Principal, product string, q dynamo.ListQuery[catalog.Listing]) (dynamo.ListPage[catalog.Listing], error)
	ListingRequestPageFn    func(ctx context.Context, actor account.Principal, q dynamo.ListQuery[catalog.ListingRequest]) (dynamo.ListPage[catalog.ListingRequest], error)
	MarketplacePageFn       func(ctx context.Context, actor account.Principal, q dynamo.ListQuery[catalog.Marketplace]) (dynamo.ListPage[catalog.Marketplace], error)
	ListParametersFn        func(ctx context.Context, actor account.Principal, productID string) ([]catalog.Parameter, error)
	ListTemplatesFn         func(ctx context.Context, actor account.Principal, productID string) ([]catalog.Template, error)
	ListVersionsFn          func(ctx context.Context, actor account.Principal, productID string) ([]catalog.Version, error)
	ProductPageFn           func(ctx context.Context, actor account.Principal, q dynamo.ListQuery[catalog.Product]) (dynamo.ListPage[catalog.Product], error)
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

func (s *CatalogService) ListParameters(ctx context.Context, actor account.Principal, productID string) ([]catalog.Parameter, error) {
	return s.ListParametersFn(ctx, actor, productID)
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

func (s *CatalogService) EndSale(ctx context.Context, actor account.Principal, id string, in catalog.EndSaleInput) (catalog.Product, error) {
	return s.EndSaleFn(ctx, actor, id, in)
}

func (s *CatalogService) ResumeSale(ctx context.Context, actor account.Principal, id string) (catalog.Product, error) {
	return s.ResumeSaleFn(ctx, actor, id)
}

func (s *CatalogService) SubmitDraft(ctx context.Context, actor account.Principal, id string) (catalog.ListingRequest, error) {
	return s.SubmitDraftFn(ctx, actor, id)
}

func (s *CatalogService) CancelListingRequest(ctx context.Context, actor account.Principal, id string) (catalog.ListingRequest, error) {
	return s.CancelListingRequestFn(ctx, actor, id)
}

func (s *CatalogService) RefineListingRequest(ctx context.Context, actor account.Principal, id string) (catalog.ListingRequest, error) {
	return s.RefineListingRequestFn(ctx, actor, id)
}

func (s *CatalogService) Connections(ctx context.Context, actor account.Principal, productID string) ([]catalog.Connection, error) {
	return s.ConnectionsFn(ctx, actor, productID)
}

func (s *CatalogService) CreateConnection(ctx context.Context, actor account.Principal, productID string, in catalog.ConnectionInput) (catalog.Connection, error) {
	return s.CreateConnectionFn(ctx, actor, productID, in)
}

func (s *CatalogService) CreateHub(ctx context.Context, actor account.Principal, in catalog.HubInput) (catalog.Hub, error) {
	return s.CreateHubFn(ctx, actor, in)
}

func (s *CatalogService) GetConnection(ctx context.Context, actor account.Principal, productID, id string) (catalog.Connection, error) {
	return s.GetConnectionFn(ctx, actor, productID, id)
}

func (s *CatalogService) GetHub(ctx context.Context, actor account.Principal, id string) (catalog.Hub, error) {
	return s.GetHubFn(ctx, actor, id)
}

func (s *CatalogService) ListHubs(ctx context.Context, actor account.Principal) ([]catalog.Hub, error) {
	return s.ListHubsFn(ctx, actor)
}

func (s *CatalogService) UpdateConnection(ctx context.Context, actor account.Principal, productID, id string, in catalog.ConnectionInput) (catalog.Connection, error) {
	return s.UpdateConnectionFn(ctx, actor, productID, id, in)
}

func (s *CatalogService) UpdateHub(ctx context.Context, actor account.Principal, id string, in catalog.HubInput) (catalog.Hub, error) {
	return s.UpdateHubFn(ctx, actor, id, in)
}

func (s *CatalogService) ListingPage(ctx context.Context, actor account.Principal, product string, q dynamo.ListQuery[catalog.Listing]) (dynamo.ListPage[catalog.Listing], error) {
	return s.ListingPageFn(ctx, actor, product, q)
}

func (s *CatalogService) ListingRequestPage(ctx context.Context, actor account.Principal, q dynamo.ListQuery[catalog.ListingRequest]) (dynamo.ListPage[catalog.ListingRequest], error) {
	return s.ListingRequestPageFn(ctx, actor, q)
}

func (s *CatalogService) MarketplacePage(ctx context.Context, actor account.Principal, q dynamo.ListQuery[catalog.Marketplace]) (dynamo.ListPage[catalog.Marketplace], error) {
	return s.MarketplacePageFn(ctx, actor, q)
}

func (s *CatalogService) ProductPage(ctx context.Context, actor account.Principal, q dynamo.ListQuery[catalog.Product]) (dynamo.ListPage[catalog.Product], error) {
	return s.ProductPageFn(ctx, actor, q)
}
