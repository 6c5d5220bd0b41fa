package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/rql"
)

func (s *Server) productRoutes() []route {
	const p = "/public/v1/products"
	rs := []route{
		{method: http.MethodPost, path: p, access: vendorOnly, handle: s.createProduct},
		{method: http.MethodGet, path: p, access: vendorOnly, handle: s.listProducts},
		{method: http.MethodGet, path: p + "/{id}", access: anyAccount, handle: s.getProduct},
		{method: http.MethodPut, path: p + "/{id}", access: vendorOnly, handle: s.updateProduct},
		{method: http.MethodPost, path: p + "/{id}/publish", access: vendorOnly, handle: s.publishProduct},
		{method: http.MethodGet, path: p + "/{id}/versions", access: anyAccount, handle: s.listVersions},
		{method: http.MethodGet, path: p + "/{id}/versions/{version}", access: anyAccount, handle: s.getVersion},
		{method: http.MethodPost, path: p + "/{id}/templates/{template_id}/preview", access: anyAccount, handle: s.previewTemplate},
	}
	rs = append(rs, childRoutes(s, p+"/{id}/items", "item_id", items)...)
	rs = append(rs, childRoutes(s, p+"/{id}/parameters", "param_id", parameters)...)
	return append(rs, childRoutes(s, p+"/{id}/templates", "template_id", templates)...)
}

// create decodes a strict body, calls fn and answers 201 with its result.
func create[In, Out any](w http.ResponseWriter, r *http.Request, fn func(In) (Out, error)) error {
	var in In
	if err := decodeJSON(r, &in, true); err != nil {
		return err
	}
	out, err := fn(in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// update is create answering 200.
func update[In, Out any](w http.ResponseWriter, r *http.Request, fn func(In) (Out, error)) error {
	var in In
	if err := decodeJSON(r, &in, true); err != nil {
		return err
	}
	out, err := fn(in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// show answers 200 with fn's result.
func show[Out any](w http.ResponseWriter, out Out, err error) error {
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// list answers a page of fn's result, filtered and ordered by the request's
// RQL on the allowed fields.
func list[T any](w http.ResponseWriter, r *http.Request, items []T, err error, value rql.Value[T], allowed ...string) error {
	if err != nil {
		return err
	}
	q, err := rql.Parse(r.URL.Query(), allowed...)
	if err != nil {
		return err
	}
	return listQuery(w, r, q, items, value)
}

// listQuery answers a page of items filtered and ordered by q.
func listQuery[T any](w http.ResponseWriter, r *http.Request, q rql.Query, items []T, value rql.Value[T]) error {
	p, err := parsePaging(r)
	if err != nil {
		return err
	}
	writeList(w, rql.Apply(q, items, value), p)
	return nil
}

func noContent(w http.ResponseWriter, err error) error {
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func productField(p catalog.Product, f string) string {
	switch f {
	case "id":
		return p.ID
	case "name":
		return p.Name
	case "status":
		return p.Status
	case "category":
		return p.Category
	case "updated":
		return stamp(p.Updated)
	}
	return stamp(p.Created)
}

func (s *Server) createProduct(w http.ResponseWriter, r *http.Request) error {
	return create(w, r, func(in catalog.ProductInput) (catalog.Product, error) {
		return s.cfg.Catalog.CreateProduct(r.Context(), principal(r), in)
	})
}

func (s *Server) listProducts(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.cfg.Catalog.ListProducts(r.Context(), principal(r))
	return list(w, r, ps, err, productField, "id", "name", "status", "category", "created", "updated")
}

func (s *Server) getProduct(w http.ResponseWriter, r *http.Request) error {
	p, err := s.cfg.Catalog.GetProduct(r.Context(), principal(r), r.PathValue("id"))
	return show(w, p, err)
}

func (s *Server) updateProduct(w http.ResponseWriter, r *http.Request) error {
	return update(w, r, func(in catalog.ProductInput) (catalog.Product, error) {
		return s.cfg.Catalog.UpdateProduct(r.Context(), principal(r), r.PathValue("id"), in)
	})
}

func (s *Server) publishProduct(w http.ResponseWriter, r *http.Request) error {
	var in catalog.PublishInput
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &in, true); err != nil {
			return err
		}
	}
	v, err := s.cfg.Catalog.Publish(r.Context(), principal(r), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, v)
	return nil
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
	return listQuery(w, r, q, vs, func(v catalog.Version, f string) string {
		if f == "version" {
			return strconv.Itoa(v.Version)
		}
		return stamp(v.PublishedAt)
	})
}

func (s *Server) getVersion(w http.ResponseWriter, r *http.Request) error {
	n, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || n < 1 {
		return fault.Invalidf("version must be a positive integer, not %q", r.PathValue("version"))
	}
	v, err := s.cfg.Catalog.Version(r.Context(), principal(r), r.PathValue("id"), n)
	return show(w, v, err)
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
	return stamp(it.Created)
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
	return stamp(p.Created)
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
	return stamp(t.Created)
}

// child is the five handlers of a resource under a product (an item, a
// parameter, a template), which differ only in the service's methods.
type child[T, In any] struct {
	field  rql.Value[T]
	fields []string
	create func(CatalogService, context.Context, account.Principal, string, In) (T, error)
	list   func(CatalogService, context.Context, account.Principal, string) ([]T, error)
	get    func(CatalogService, context.Context, account.Principal, string, string) (T, error)
	update func(CatalogService, context.Context, account.Principal, string, string, In) (T, error)
	delete func(CatalogService, context.Context, account.Principal, string, string) error
}

var (
	items = child[catalog.Item, catalog.ItemInput]{itemField, []string{"id", "mpn", "name", "type", "status", "created"},
		CatalogService.CreateItem, CatalogService.ListItems, CatalogService.GetItem, CatalogService.UpdateItem, CatalogService.DeleteItem}
	parameters = child[catalog.Parameter, catalog.ParameterInput]{paramField, []string{"id", "name", "type", "scope", "phase", "created"},
		CatalogService.CreateParameter, CatalogService.ListParameters, CatalogService.GetParameter, CatalogService.UpdateParameter, CatalogService.DeleteParameter}
	templates = child[catalog.Template, catalog.TemplateInput]{templateField, []string{"id", "type", "scope", "title", "created"},
		CatalogService.CreateTemplate, CatalogService.ListTemplates, CatalogService.GetTemplate, CatalogService.UpdateTemplate, CatalogService.DeleteTemplate}
)

// childRoutes routes base (the collection, under a product's {id}) and
// base/{idParam}: the vendor writes, any account reads.
func childRoutes[T, In any](s *Server, base, idParam string, c child[T, In]) []route {
	one := base + "/{" + idParam + "}"
	ids := func(r *http.Request) (string, string) { return r.PathValue("id"), r.PathValue(idParam) }
	return []route{
		{method: http.MethodPost, path: base, access: vendorOnly, handle: func(w http.ResponseWriter, r *http.Request) error {
			return create(w, r, func(in In) (T, error) {
				return c.create(s.cfg.Catalog, r.Context(), principal(r), r.PathValue("id"), in)
			})
		}},
		{method: http.MethodGet, path: base, access: anyAccount, handle: func(w http.ResponseWriter, r *http.Request) error {
			all, err := c.list(s.cfg.Catalog, r.Context(), principal(r), r.PathValue("id"))
			return list(w, r, all, err, c.field, c.fields...)
		}},
		{method: http.MethodGet, path: one, access: anyAccount, handle: func(w http.ResponseWriter, r *http.Request) error {
			product, id := ids(r)
			v, err := c.get(s.cfg.Catalog, r.Context(), principal(r), product, id)
			return show(w, v, err)
		}},
		{method: http.MethodPut, path: one, access: vendorOnly, handle: func(w http.ResponseWriter, r *http.Request) error {
			product, id := ids(r)
			return update(w, r, func(in In) (T, error) { return c.update(s.cfg.Catalog, r.Context(), principal(r), product, id, in) })
		}},
		{method: http.MethodDelete, path: one, access: vendorOnly, handle: func(w http.ResponseWriter, r *http.Request) error {
			product, id := ids(r)
			return noContent(w, c.delete(s.cfg.Catalog, r.Context(), principal(r), product, id))
		}},
	}
}

// previewInput is the optional body of a template preview.
type previewInput struct {
	Values map[string]string `json:"values"`
}

func (s *Server) previewTemplate(w http.ResponseWriter, r *http.Request) error {
	var in previewInput
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &in, true); err != nil {
			return err
		}
	}
	p, err := s.cfg.Catalog.PreviewTemplate(r.Context(), principal(r), r.PathValue("id"), r.PathValue("template_id"), in.Values)
	return show(w, p, err)
}
