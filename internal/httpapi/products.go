package httpapi

import (
	"github.com/mercato-dev/mercato/internal/httpapi/codec"
	"net/http"
	"strconv"

	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/httpapi/endpoint"
	"github.com/mercato-dev/mercato/internal/rql"
)

func (s *Server) productRoutes() []route {
	const p = "/public/v1/products"
	return []route{
		{Method: http.MethodPost, Path: p, Access: vendorOnly, Handle: s.createProduct},
		{Method: http.MethodGet, Path: p, Access: vendorOnly, Handle: s.listProducts},
		{Method: http.MethodGet, Path: p + "/{id}", Access: anyAccount, Handle: s.getProduct},
		{Method: http.MethodPut, Path: p + "/{id}", Access: vendorOnly, Handle: s.updateProduct},
		{Method: http.MethodPost, Path: p + "/{id}/publish", Access: vendorOnly, Handle: s.publishProduct},
		{Method: http.MethodPost, Path: p + "/{id}/endsale", Access: vendorOnly, Handle: s.endProductSale},
		{Method: http.MethodPost, Path: p + "/{id}/resumesale", Access: vendorOnly, Handle: s.resumeProductSale},
		{Method: http.MethodGet, Path: p + "/{id}/versions", Access: anyAccount, Handle: s.listVersions},
		{Method: http.MethodGet, Path: p + "/{id}/versions/{version}", Access: anyAccount, Handle: s.getVersion},
		// Connect publishes with POST /versions; Mercato's /publish is the same.
		{Method: http.MethodPost, Path: p + "/{id}/versions", Access: vendorOnly, Handle: s.publishProduct},
		{Method: http.MethodGet, Path: p + "/{id}/versions/{version}/items", Access: anyAccount, Handle: s.listVersionItems},
		{Method: http.MethodGet, Path: p + "/{id}/versions/{version}/parameters", Access: anyAccount, Handle: s.listVersionParameters},
		{Method: http.MethodGet, Path: p + "/{id}/versions/{version}/templates", Access: anyAccount, Handle: s.listVersionTemplates},

		{Method: http.MethodPost, Path: p + "/{id}/items", Access: vendorOnly, Handle: s.createItem},
		{Method: http.MethodGet, Path: p + "/{id}/items", Access: anyAccount, Handle: s.listItems},
		{Method: http.MethodGet, Path: p + "/{id}/items/{item_id}", Access: anyAccount, Handle: s.getItem},
		{Method: http.MethodPut, Path: p + "/{id}/items/{item_id}", Access: vendorOnly, Handle: s.updateItem},
		{Method: http.MethodDelete, Path: p + "/{id}/items/{item_id}", Access: vendorOnly, Handle: s.deleteItem},
		{Method: http.MethodPost, Path: p + "/{id}/items/{item_id}/endsale", Access: vendorOnly, Handle: s.itemSale(catalog.StatusEndOfSale)},
		{Method: http.MethodPost, Path: p + "/{id}/items/{item_id}/resumesale", Access: vendorOnly, Handle: s.itemSale(catalog.StatusPublished)},

		{Method: http.MethodPost, Path: p + "/{id}/parameters", Access: vendorOnly, Handle: s.createParameter},
		{Method: http.MethodGet, Path: p + "/{id}/parameters", Access: anyAccount, Handle: s.listParameters},
		{Method: http.MethodGet, Path: p + "/{id}/parameters/{param_id}", Access: anyAccount, Handle: s.getParameter},
		{Method: http.MethodPut, Path: p + "/{id}/parameters/{param_id}", Access: vendorOnly, Handle: s.updateParameter},
		{Method: http.MethodDelete, Path: p + "/{id}/parameters/{param_id}", Access: vendorOnly, Handle: s.deleteParameter},

		{Method: http.MethodPost, Path: p + "/{id}/templates", Access: vendorOnly, Handle: s.createTemplate},
		{Method: http.MethodGet, Path: p + "/{id}/templates", Access: anyAccount, Handle: s.listTemplates},
		{Method: http.MethodGet, Path: p + "/{id}/templates/{template_id}", Access: anyAccount, Handle: s.getTemplate},
		{Method: http.MethodPut, Path: p + "/{id}/templates/{template_id}", Access: vendorOnly, Handle: s.updateTemplate},
		{Method: http.MethodDelete, Path: p + "/{id}/templates/{template_id}", Access: vendorOnly, Handle: s.deleteTemplate},
		{Method: http.MethodPost, Path: p + "/{id}/templates/{template_id}/preview", Access: anyAccount, Handle: s.previewTemplate},
		{Method: http.MethodGet, Path: p + "/{id}/templates/{template_id}/preview", Access: anyAccount, Handle: s.renderTemplate},
		{Method: http.MethodGet, Path: p + "/{id}/templates/{template_id}/render", Access: anyAccount, Handle: s.renderTemplate},
	}
}

func productField(p catalog.Product, f string) string {
	switch f {
	case "id":
		return p.ID
	case "name":
		return p.Name
	case "status":
		return p.Status
	case "category":
		return string(p.Category)
	case "updated":
		return codec.Stamp(p.Updated)
	}
	return codec.Stamp(p.Created)
}

func (s *Server) createProduct(w http.ResponseWriter, r *http.Request) error {
	return codec.Create(w, r, func(in productInput) (productView, error) {
		p, err := s.cfg.Catalog.CreateProduct(r.Context(), principal(r), in.input())
		return viewProduct(p), err
	})
}

func (s *Server) listProducts(w http.ResponseWriter, r *http.Request) error {
	l := keyedList[catalog.Product]{name: "products", keyField: "created", timeKey: true, value: productField,
		fields: []string{"id", "name", "status", "category", "created", "updated"}}
	return keyedPage(w, r, l, s.cfg.Catalog.ProductPage, viewProduct)
}

func (s *Server) getProduct(w http.ResponseWriter, r *http.Request) error {
	p, err := s.cfg.Catalog.GetProduct(r.Context(), principal(r), r.PathValue("id"))
	return codec.Show(w, viewProduct(p), err)
}

func (s *Server) updateProduct(w http.ResponseWriter, r *http.Request) error {
	return codec.Update(w, r, func(in productInput) (productView, error) {
		p, err := s.cfg.Catalog.UpdateProduct(r.Context(), principal(r), r.PathValue("id"), in.input())
		return viewProduct(p), err
	})
}

// endProductSale takes the product off sale everywhere; the body is
// optional, as Connect's is.
func (s *Server) endProductSale(w http.ResponseWriter, r *http.Request) error {
	var in catalog.EndSaleInput
	if err := codec.DecodeOptionalJSON(r, &in); err != nil {
		return err
	}
	p, err := s.cfg.Catalog.EndSale(r.Context(), principal(r), r.PathValue("id"), in)
	return codec.Show(w, viewProduct(p), err)
}

func (s *Server) resumeProductSale(w http.ResponseWriter, r *http.Request) error {
	if err := codec.DecodeOptionalJSON(r, &struct{}{}); err != nil {
		return err
	}
	p, err := s.cfg.Catalog.ResumeSale(r.Context(), principal(r), r.PathValue("id"))
	return codec.Show(w, viewProduct(p), err)
}

func (s *Server) publishProduct(w http.ResponseWriter, r *http.Request) error {
	var in catalog.PublishInput
	if err := codec.DecodeOptionalJSON(r, &in); err != nil {
		return err
	}
	v, err := s.cfg.Catalog.Publish(r.Context(), principal(r), r.PathValue("id"), in)
	return codec.Respond(w, http.StatusCreated, v, err)
}

func (s *Server) listVersions(w http.ResponseWriter, r *http.Request) error {
	vs, err := s.cfg.Catalog.ListVersions(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	q, err := rql.Parse(r.URL.Query(), "version", "published_at")
	if err != nil {
		return err
	}
	// A version filter that is not a number would match nothing; say why.
	for _, f := range q.Filters {
		for _, raw := range f.Values {
			if n, err := strconv.Atoi(raw); f.Field == "version" && (err != nil || n < 0) {
				return fault.Invalidf("version filters take whole numbers, not %q", raw)
			}
		}
	}
	return codec.ListQuery(w, r, q, vs, func(v catalog.Version, f string) string {
		if f == "version" {
			return strconv.Itoa(v.Version)
		}
		return codec.Stamp(v.PublishedAt)
	}, viewVersion)
}

func (s *Server) getVersion(w http.ResponseWriter, r *http.Request) error {
	v, err := s.version(r)
	return codec.Show(w, viewVersion(v), err)
}

// version reads the published version the path names.
func (s *Server) version(r *http.Request) (catalog.Version, error) {
	n, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || n < 1 {
		return catalog.Version{}, fault.Invalidf("version must be a positive integer, not %q", r.PathValue("version"))
	}
	return s.cfg.Catalog.Version(r.Context(), principal(r), r.PathValue("id"), n)
}

func (s *Server) listVersionItems(w http.ResponseWriter, r *http.Request) error {
	v, err := s.version(r)
	return codec.ListAs(w, r, v.Items, err, itemField, viewItem, "id", "mpn", "name", "type", "status", "created")
}

func (s *Server) listVersionParameters(w http.ResponseWriter, r *http.Request) error {
	v, err := s.version(r)
	return codec.List(w, r, v.Parameters, err, paramField, "id", "name", "type", "scope", "phase", "created")
}

func (s *Server) listVersionTemplates(w http.ResponseWriter, r *http.Request) error {
	v, err := s.version(r)
	return codec.ListAs(w, r, v.Templates, err, templateField, viewTemplate, "id", "type", "scope", "title", "created")
}

func itemField(it catalog.Item, f string) string {
	switch f {
	case "id":
		return it.ID
	case "mpn":
		return it.MPN
	case "name":
		return it.Name
	case "type":
		return it.Type
	case "status":
		return it.Status
	}
	return codec.Stamp(it.Created)
}

func (s *Server) createItem(w http.ResponseWriter, r *http.Request) error {
	return codec.Create(w, r, func(in itemInput) (itemView, error) {
		it, err := s.cfg.Catalog.CreateItem(r.Context(), principal(r), r.PathValue("id"), in.input())
		return viewItem(it), err
	})
}

func (s *Server) listItems(w http.ResponseWriter, r *http.Request) error {
	items, err := s.cfg.Catalog.ListItems(r.Context(), principal(r), r.PathValue("id"))
	return codec.ListAs(w, r, items, err, itemField, viewItem, "id", "mpn", "name", "type", "status", "created")
}

func (s *Server) getItem(w http.ResponseWriter, r *http.Request) error {
	it, err := s.cfg.Catalog.GetItem(r.Context(), principal(r), r.PathValue("id"), r.PathValue("item_id"))
	return codec.Show(w, viewItem(it), err)
}

func (s *Server) updateItem(w http.ResponseWriter, r *http.Request) error {
	return codec.Update(w, r, func(in itemInput) (itemView, error) {
		it, err := s.cfg.Catalog.UpdateItem(r.Context(), principal(r), r.PathValue("id"), r.PathValue("item_id"), in.input())
		return viewItem(it), err
	})
}

// saleInput is the optional body of endsale: Mercato has no replacement
// items, and keeps no end-of-sale notes.
type saleInput struct {
	Replacement    *ref    `json:"replacement"`
	EndOfSaleNotes *string `json:"end_of_sale_notes"`
}

// itemSale takes an item off sale (endofsale) or puts it back (published).
func (s *Server) itemSale(status string) endpoint.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in saleInput
		if err := codec.DecodeOptionalJSON(r, &in); err != nil {
			return err
		}
		if in.Replacement != nil && in.Replacement.ID != "" {
			return fault.Invalidf("replacement: Mercato has no replacement items; end the sale without one")
		}
		it, err := s.cfg.Catalog.UpdateItem(r.Context(), principal(r), r.PathValue("id"), r.PathValue("item_id"), catalog.ItemInput{Status: &status})
		return codec.Show(w, viewItem(it), err)
	}
}

func (s *Server) deleteItem(w http.ResponseWriter, r *http.Request) error {
	return codec.NoContent(w, s.cfg.Catalog.DeleteItem(r.Context(), principal(r), r.PathValue("id"), r.PathValue("item_id")))
}

func paramField(p catalog.Parameter, f string) string {
	switch f {
	case "id":
		return p.ID
	case "name":
		return p.Name
	case "type":
		return p.Type
	case "scope":
		return p.Scope
	case "phase":
		return p.Phase
	}
	return codec.Stamp(p.Created)
}

func (s *Server) createParameter(w http.ResponseWriter, r *http.Request) error {
	return codec.Create(w, r, func(in catalog.ParameterInput) (catalog.Parameter, error) {
		return s.cfg.Catalog.CreateParameter(r.Context(), principal(r), r.PathValue("id"), in)
	})
}

func (s *Server) listParameters(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.cfg.Catalog.ListParameters(r.Context(), principal(r), r.PathValue("id"))
	return codec.List(w, r, ps, err, paramField, "id", "name", "type", "scope", "phase", "created")
}

func (s *Server) getParameter(w http.ResponseWriter, r *http.Request) error {
	p, err := s.cfg.Catalog.GetParameter(r.Context(), principal(r), r.PathValue("id"), r.PathValue("param_id"))
	return codec.Show(w, p, err)
}

func (s *Server) updateParameter(w http.ResponseWriter, r *http.Request) error {
	return codec.Update(w, r, func(in catalog.ParameterInput) (catalog.Parameter, error) {
		return s.cfg.Catalog.UpdateParameter(r.Context(), principal(r), r.PathValue("id"), r.PathValue("param_id"), in)
	})
}

func (s *Server) deleteParameter(w http.ResponseWriter, r *http.Request) error {
	return codec.NoContent(w, s.cfg.Catalog.DeleteParameter(r.Context(), principal(r), r.PathValue("id"), r.PathValue("param_id")))
}

func templateField(t catalog.Template, f string) string {
	switch f {
	case "id":
		return t.ID
	case "type":
		return t.Type
	case "scope":
		return t.Scope
	case "title":
		return t.Title
	}
	return codec.Stamp(t.Created)
}

func (s *Server) createTemplate(w http.ResponseWriter, r *http.Request) error {
	return codec.Create(w, r, func(in catalog.TemplateInput) (catalog.Template, error) {
		t, err := s.cfg.Catalog.CreateTemplate(r.Context(), principal(r), r.PathValue("id"), in)
		return viewTemplate(t), err
	})
}

func (s *Server) listTemplates(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.cfg.Catalog.ListTemplates(r.Context(), principal(r), r.PathValue("id"))
	return codec.ListAs(w, r, ts, err, templateField, viewTemplate, "id", "type", "scope", "title", "created")
}

func (s *Server) getTemplate(w http.ResponseWriter, r *http.Request) error {
	t, err := s.cfg.Catalog.GetTemplate(r.Context(), principal(r), r.PathValue("id"), r.PathValue("template_id"))
	return codec.Show(w, viewTemplate(t), err)
}

func (s *Server) updateTemplate(w http.ResponseWriter, r *http.Request) error {
	return codec.Update(w, r, func(in catalog.TemplateInput) (catalog.Template, error) {
		t, err := s.cfg.Catalog.UpdateTemplate(r.Context(), principal(r), r.PathValue("id"), r.PathValue("template_id"), in)
		return viewTemplate(t), err
	})
}

func (s *Server) deleteTemplate(w http.ResponseWriter, r *http.Request) error {
	return codec.NoContent(w, s.cfg.Catalog.DeleteTemplate(r.Context(), principal(r), r.PathValue("id"), r.PathValue("template_id")))
}

// previewInput is the optional body of a template preview.
type previewInput struct {
	Values map[string]string `json:"values"`
}

// renderTemplate answers a template rendered with sample values, as the
// JSON string Connect's preview and render answer.
func (s *Server) renderTemplate(w http.ResponseWriter, r *http.Request) error {
	p, err := s.cfg.Catalog.PreviewTemplate(r.Context(), principal(r), r.PathValue("id"), r.PathValue("template_id"), nil)
	return codec.Show(w, p.Body, err)
}

func (s *Server) previewTemplate(w http.ResponseWriter, r *http.Request) error {
	var in previewInput
	if err := codec.DecodeOptionalJSON(r, &in); err != nil {
		return err
	}
	p, err := s.cfg.Catalog.PreviewTemplate(r.Context(), principal(r), r.PathValue("id"), r.PathValue("template_id"), in.Values)
	return codec.Show(w, p, err)
}
