package httpapi

import (
	"github.com/mercato-dev/mercato/internal/httpapi/codec"
	"github.com/mercato-dev/mercato/internal/httpapi/endpoint"
	"net/http"
	"strings"

	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/fault"
)

// The provider's catalog in Partner Center's shapes: products, skus (the
// items) and availabilities (a sku on one of the provider's marketplaces,
// with its terms and price). catalogItemId is product:sku:availability.

func (s *Server) partnerCatalogRoutes() []route {
	const p = "/v1/products"
	return []route{
		{Method: http.MethodGet, Path: p, Access: providerOnly, Handle: s.pcProducts},
		{Method: http.MethodGet, Path: p + "/{id}", Access: providerOnly, Handle: s.pcProduct},
		{Method: http.MethodGet, Path: p + "/{id}/skus", Access: providerOnly, Handle: s.pcSkus},
		{Method: http.MethodGet, Path: p + "/{id}/skus/{sku}", Access: providerOnly, Handle: s.pcSku},
		{Method: http.MethodGet, Path: p + "/{id}/skus/{sku}/availabilities", Access: providerOnly, Handle: s.pcAvailabilities},
		{Method: http.MethodGet, Path: p + "/{id}/skus/{sku}/availabilities/{availability}", Access: providerOnly, Handle: s.pcAvailability},
	}
}

type pcProductType struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
}

type pcProduct struct {
	ID            string          `json:"id"`
	Title         string          `json:"title"`
	Description   string          `json:"description"`
	ProductType   pcProductType   `json:"productType"`
	PublisherName string          `json:"publisherName"`
	Links         map[string]Link `json:"links"`
	Attributes    attributes      `json:"attributes"`
}

func toPCProduct(p catalog.Product, country string) pcProduct {
	category := string(p.Category)
	if category == "" {
		category = "Software"
	}
	base := "/v1/products/" + p.ID
	return pcProduct{
		ID: p.ID, Title: p.Name, Description: p.ShortDescription,
		ProductType:   pcProductType{ID: category, DisplayName: category},
		PublisherName: p.Owner.Name,
		Links:         map[string]Link{"self": get(withCountry(base, country)), "skus": get(withCountry(base+"/skus", country))},
		Attributes:    attributes{ObjectType: "Product"},
	}
}

type pcSku struct {
	ID                     string          `json:"id"`
	ProductID              string          `json:"productId"`
	Title                  string          `json:"title"`
	Description            string          `json:"description"`
	MinimumQuantity        int             `json:"minimumQuantity"`
	MaximumQuantity        *int            `json:"maximumQuantity,omitempty"`
	IsTrial                bool            `json:"isTrial"`
	SupportedBillingCycles []string        `json:"supportedBillingCycles"`
	PurchasePrerequisites  []string        `json:"purchasePrerequisites"`
	ProvisioningVariables  []string        `json:"provisioningVariables"`
	Unit                   string          `json:"unit"`
	ConsumptionType        string          `json:"consumptionType"`
	Links                  map[string]Link `json:"links"`
	Attributes             attributes      `json:"attributes"`
}

// provisioningVariables are the ordering parameters a line's
// provisioningContext must carry.
func provisioningVariables(v catalog.Version) []string {
	out := []string{}
	for _, p := range v.Parameters {
		if p.Phase == catalog.PhaseOrdering && p.Scope == catalog.ScopeAsset && p.Constraints.Required {
			out = append(out, p.Name)
		}
	}
	return out
}

func toPCSku(o catalog.Offer, it catalog.Item, country string) pcSku {
	base := "/v1/products/" + o.Product.ID + "/skus/" + it.LocalID
	consumption := "Reservation"
	if it.Type == catalog.ItemPPU {
		consumption = "Consumption"
	}
	return pcSku{
		ID: it.LocalID, ProductID: o.Product.ID, Title: it.Name, Description: it.Description,
		MinimumQuantity: it.MinQuantity, MaximumQuantity: it.MaxQuantity,
		SupportedBillingCycles: []string{catalog.BillingCycle(it)},
		PurchasePrerequisites:  []string{}, ProvisioningVariables: provisioningVariables(o.Version),
		Unit: string(it.Unit), ConsumptionType: consumption,
		Links: map[string]Link{
			"self":           get(withCountry(base, country)),
			"availabilities": get(withCountry(base+"/availabilities", country)),
		},
		Attributes: attributes{ObjectType: "Sku"},
	}
}

type pcCurrency struct {
	Code   string `json:"code"`
	Symbol string `json:"symbol"`
}

type pcTerm struct {
	Duration     string `json:"duration"`
	Description  string `json:"description"`
	BillingCycle string `json:"billingCycle"`
}

type pcPrice struct {
	Amount       string `json:"amount"`
	CurrencyCode string `json:"currencyCode"`
	Unit         string `json:"unit"`
	BillingCycle string `json:"billingCycle"`
}

type pcAvailability struct {
	ID              string          `json:"id"`
	ProductID       string          `json:"productId"`
	SkuID           string          `json:"skuId"`
	CatalogItemID   string          `json:"catalogItemId"`
	DefaultCurrency pcCurrency      `json:"defaultCurrency"`
	Segment         string          `json:"segment"`
	Country         string          `json:"country"`
	IsPurchasable   bool            `json:"isPurchasable"`
	IsRenewable     bool            `json:"isRenewable"`
	Terms           []pcTerm        `json:"terms"`
	Price           pcPrice         `json:"price"`
	Marketplace     catalog.Ref     `json:"marketplace"`
	Links           map[string]Link `json:"links"`
	Attributes      attributes      `json:"attributes"`
}

var termDescriptions = map[string]string{catalog.TermMonth: "One-Month commitment", catalog.TermYear: "One-Year commitment"}

// availabilities are the sku on each of the offer's listings that prices it.
func availabilities(o catalog.Offer, it catalog.Item, country string) []pcAvailability {
	out := []pcAvailability{}
	for _, l := range o.Listings {
		price, ok := l.PriceOf(it.ID)
		if !ok {
			continue
		}
		terms := []pcTerm{}
		for _, t := range price.Terms {
			terms = append(terms, pcTerm{Duration: t, Description: termDescriptions[t], BillingCycle: catalog.BillingCycle(it)})
		}
		base := "/v1/products/" + o.Product.ID + "/skus/" + it.LocalID + "/availabilities/" + l.Marketplace.ID
		out = append(out, pcAvailability{
			ID: l.Marketplace.ID, ProductID: o.Product.ID, SkuID: it.LocalID,
			CatalogItemID:   strings.Join([]string{o.Product.ID, it.LocalID, l.Marketplace.ID}, ":"),
			DefaultCurrency: pcCurrency{Code: l.Currency, Symbol: catalog.CurrencySymbol(l.Currency)},
			Segment:         "commercial", Country: country, IsPurchasable: true,
			IsRenewable: it.Period != catalog.PeriodOneTime, Terms: terms,
			Price:       pcPrice{Amount: price.Price, CurrencyCode: l.Currency, Unit: string(it.Unit), BillingCycle: catalog.BillingCycle(it)},
			Marketplace: l.Marketplace,
			Links:       map[string]Link{"self": get(withCountry(base, country))},
			Attributes:  attributes{ObjectType: "Availability"},
		})
	}
	return out
}

func (s *Server) pcProducts(w http.ResponseWriter, r *http.Request) error {
	country := r.URL.Query().Get("country")
	ps, err := s.cfg.Catalog.ProviderProducts(r.Context(), principal(r), country)
	if err != nil {
		return err
	}
	items := make([]pcProduct, 0, len(ps))
	for _, p := range ps {
		items = append(items, toPCProduct(p, strings.ToUpper(country)))
	}
	codec.WriteCollection(w, r, items)
	return nil
}

func (s *Server) offer(r *http.Request) (catalog.Offer, string, error) {
	country := strings.ToUpper(r.URL.Query().Get("country"))
	o, err := s.cfg.Catalog.ProviderOffer(r.Context(), principal(r), r.PathValue("id"), country)
	return o, country, err
}

func (s *Server) pcProduct(w http.ResponseWriter, r *http.Request) error {
	o, country, err := s.offer(r)
	if err != nil {
		return err
	}
	endpoint.WriteJSON(w, http.StatusOK, toPCProduct(o.Product, country))
	return nil
}

func (s *Server) pcSkus(w http.ResponseWriter, r *http.Request) error {
	o, country, err := s.offer(r)
	if err != nil {
		return err
	}
	var items []pcSku
	for _, it := range o.Sellable() {
		items = append(items, toPCSku(o, it, country))
	}
	codec.WriteCollection(w, r, items)
	return nil
}

// sku finds the sellable item with the sku id of the path.
func (s *Server) sku(r *http.Request) (catalog.Offer, catalog.Item, string, error) {
	o, country, err := s.offer(r)
	if err != nil {
		return o, catalog.Item{}, "", err
	}
	for _, it := range o.Sellable() {
		if it.LocalID == r.PathValue("sku") {
			return o, it, country, nil
		}
	}
	return o, catalog.Item{}, "", fault.NotFoundf("sku %s not found for product %s", r.PathValue("sku"), o.Product.ID)
}

func (s *Server) pcSku(w http.ResponseWriter, r *http.Request) error {
	o, it, country, err := s.sku(r)
	if err != nil {
		return err
	}
	endpoint.WriteJSON(w, http.StatusOK, toPCSku(o, it, country))
	return nil
}

func (s *Server) pcAvailabilities(w http.ResponseWriter, r *http.Request) error {
	o, it, country, err := s.sku(r)
	if err != nil {
		return err
	}
	codec.WriteCollection(w, r, availabilities(o, it, country))
	return nil
}

func (s *Server) pcAvailability(w http.ResponseWriter, r *http.Request) error {
	o, it, country, err := s.sku(r)
	if err != nil {
		return err
	}
	for _, a := range availabilities(o, it, country) {
		if a.ID == r.PathValue("availability") {
			endpoint.WriteJSON(w, http.StatusOK, a)
			return nil
		}
	}
	return fault.NotFoundf("availability %s not found for sku %s", r.PathValue("availability"), it.LocalID)
}
