package files

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/httpapi/codec"
	"github.com/mercato-dev/mercato/internal/httpapi/endpoint"
	"github.com/mercato-dev/mercato/internal/rql"
	"github.com/mercato-dev/mercato/internal/usage"
)

// uploadBodyLimit is the body limit of the upload route: the 10 MB file
// plus room for the multipart headers around it.
const uploadBodyLimit = usage.MaxUploadBytes + 64<<10

// maxFilteredRecords is the largest file whose records a list filters in
// memory; a larger file is paged by usage_file.id alone.
const maxFilteredRecords = 10000

func (c Config) usageRoutes() []endpoint.Route {
	const base = "/public/v1/usage"
	return []endpoint.Route{
		{Method: http.MethodPost, Path: base + "/files", Access: endpoint.VendorOnly, Handle: c.createUsageFile},
		{Method: http.MethodGet, Path: base + "/files", Access: endpoint.AnyAccount, Handle: c.listUsageFiles},
		{Method: http.MethodGet, Path: base + "/files/{id}", Access: endpoint.AnyAccount, Handle: c.getUsageFile},
		{Method: http.MethodGet, Path: base + "/files/{id}/template", Access: endpoint.AnyAccount, Handle: c.usageTemplate},
		{Method: http.MethodPost, Path: base + "/files/{id}/upload", Access: endpoint.AnyAccount, MaxBody: uploadBodyLimit, Handle: c.uploadUsageFile},
		{Method: http.MethodPost, Path: base + "/files/{id}/submit", Access: endpoint.AnyAccount, Handle: c.withoutNote(UsageService.Submit)},
		{Method: http.MethodPost, Path: base + "/files/{id}/accept", Access: endpoint.AnyAccount, Handle: c.usageTransition(UsageService.Accept)},
		{Method: http.MethodPost, Path: base + "/files/{id}/reject", Access: endpoint.AnyAccount, Handle: c.usageTransition(UsageService.Reject)},
		{Method: http.MethodPost, Path: base + "/files/{id}/close", Access: endpoint.AnyAccount, Handle: c.withoutNote(UsageService.Close)},
		{Method: http.MethodGet, Path: base + "/records", Access: endpoint.AnyAccount, Handle: c.listUsageRecords},
		{Method: http.MethodGet, Path: base + "/products/{id}/template", Access: endpoint.VendorOnly, Handle: c.productUsageTemplate},
	}
}

func (c Config) createUsageFile(w http.ResponseWriter, r *http.Request) error {
	return codec.Create(w, r, func(in usageFileInput) (usageFileCreated, error) {
		f, err := c.Usage.Create(r.Context(), endpoint.Principal(r), in.input())
		return viewUsageFileCreated(f), err
	})
}

func usageFileField(f usage.File, field string) string {
	switch field {
	case "id":
		return f.ID
	case "name":
		return f.Name
	case "status":
		return f.Status
	case "external_id":
		return f.ExternalID
	case "product.id":
		return f.Product.ID
	case "marketplace.id":
		return f.Marketplace.ID
	case "vendor.id":
		return f.Vendor.ID
	case "updated":
		return codec.Stamp(f.Updated)
	}
	return codec.Stamp(f.Created)
}

var usageFileFields = []string{"id", "name", "status", "external_id", "product.id", "marketplace.id", "vendor.id", "created", "updated"}

// listUsageFiles answers a page of the vendor's or the provider's usage
// files, as listRequests does: created bounds and the created order are
// key conditions, other filters apply to the rows read (listpage.go); the
// total comes from the list's count items when no filter narrows it.
func (c Config) listUsageFiles(w http.ResponseWriter, r *http.Request) error {
	return codec.CreatedList(w, r, "usage-files", usageFileFields, usageFileField, c.Usage.FilePage, c.Usage.FileCount, viewUsageFile)
}

func (c Config) getUsageFile(w http.ResponseWriter, r *http.Request) error {
	f, err := c.Usage.Get(r.Context(), endpoint.Principal(r), r.PathValue("id"))
	return codec.Show(w, viewUsageFile(f), err)
}

// usageTemplate answers the template as an attachment, CSV unless
// format=xlsx.
func (c Config) usageTemplate(w http.ResponseWriter, r *http.Request) error {
	format := cmp.Or(strings.ToLower(r.URL.Query().Get("format")), usage.FormatCSV)
	id := r.PathValue("id")
	return writeUsageTemplate(w, id, format, func(out io.Writer) error {
		return c.Usage.Template(r.Context(), endpoint.Principal(r), id, format, out)
	})
}

// templateLink is Connect's answer to GET /usage/products/{id}/template.
type templateLink struct {
	TemplateLink string `json:"template_link"`
}

// productUsageTemplate answers, as Connect does, a link to the usage
// template of the product's latest version; the link is this route with
// format=xlsx (or csv), which answers the file itself, to a caller with
// the same token.
func (c Config) productUsageTemplate(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	p, err := c.Catalog.GetProduct(r.Context(), endpoint.Principal(r), id)
	if err != nil {
		return err
	}
	if p.Version == 0 {
		return fault.Invalidf("product %s has no published version, whose usage a template describes", id)
	}
	format := strings.ToLower(r.URL.Query().Get("format"))
	if format == "" {
		link := endpoint.BaseURL(r, c.PublicBaseURL) + "/public/v1/usage/products/" + url.PathEscape(id) + "/template?format=" + usage.FormatXLSX
		endpoint.WriteJSON(w, http.StatusOK, templateLink{TemplateLink: link})
		return nil
	}
	return writeUsageTemplate(w, id, format, func(out io.Writer) error {
		v, err := c.Catalog.Version(r.Context(), endpoint.Principal(r), id, p.Version)
		if err != nil {
			return err
		}
		return usage.WriteTemplate(out, format, usage.PPUItems(v))
	})
}

// writeUsageTemplate answers a usage template in format as an attachment
// named after id.
func writeUsageTemplate(w http.ResponseWriter, id, format string, write func(io.Writer) error) error {
	if format != usage.FormatCSV && format != usage.FormatXLSX {
		return fault.Invalidf("format must be csv or xlsx (got %q)", format)
	}
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	ctype := "text/csv; charset=utf-8"
	if format == usage.FormatXLSX {
		ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.%s"`, id, format))
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(buf.Bytes())
	return err
}

// uploadUsageFile takes the file as multipart/form-data (up to 10 MB,
// answered 202 while it is processed), or, with an empty body, answers a
// presigned S3 PUT URL for a larger file.
func (c Config) uploadUsageFile(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ctype != "multipart/form-data" {
		if err := emptyBody(r); err != nil {
			return err
		}
		u, err := c.Usage.PresignUpload(r.Context(), endpoint.Principal(r), id)
		return codec.Show(w, u, err)
	}
	content, err := uploadedFile(r)
	if err != nil {
		return err
	}
	f, err := c.Usage.Upload(r.Context(), endpoint.Principal(r), id, content)
	if err != nil {
		return err
	}
	// Connect answers 200 to an upload it goes on processing; the file's
	// status says so.
	endpoint.WriteJSON(w, http.StatusOK, viewUsageFile(f))
	return nil
}

// emptyBody refuses a body that is neither multipart nor empty.
func emptyBody(r *http.Request) error {
	n, err := io.Copy(io.Discard, io.LimitReader(r.Body, 1))
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return codec.DecodeError(err)
	}
	if n > 0 {
		return &fault.Error{Kind: fault.Unsupported, Messages: []string{
			"send the usage file as multipart/form-data (a part named file), or an empty body to get a presigned upload URL"}}
	}
	return nil
}

// uploadedFile reads the first file part of a multipart body (or the part
// named file), refusing one over the upload limit.
func uploadedFile(r *http.Request) ([]byte, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, fault.Malformedf("the multipart body cannot be read: %v", err)
	}
	for {
		part, err := mr.NextPart()
		var maxErr *http.MaxBytesError
		switch {
		case errors.Is(err, io.EOF):
			return nil, fault.Invalidf("the multipart body has no file part; send the usage file in a part named file")
		case errors.As(err, &maxErr):
			return nil, tooLargeUpload()
		case err != nil:
			return nil, fault.Malformedf("the multipart body cannot be read: %v", err)
		}
		if part.FormName() != "file" && part.FileName() == "" {
			continue
		}
		content, err := io.ReadAll(io.LimitReader(part, usage.MaxUploadBytes+1))
		switch {
		case errors.As(err, &maxErr) || len(content) > usage.MaxUploadBytes:
			return nil, tooLargeUpload()
		case err != nil:
			return nil, fault.Malformedf("the file part cannot be read: %v", err)
		}
		return content, nil
	}
}

func tooLargeUpload() error {
	return fault.TooLargef("the usage file exceeds %d MB; POST an empty body to get a presigned upload URL for larger files", usage.MaxUploadBytes>>20)
}

// usageTransition is the handler of a usage file transition: the body is
// an optional note (NoteInput; {} or nothing for those that take none).
func (c Config) usageTransition(act func(UsageService, context.Context, account.Principal, string, usage.NoteInput) (usage.File, error)) endpoint.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in noteInput
		if err := codec.DecodeOptionalJSON(r, &in); err != nil {
			return err
		}
		f, err := act(c.Usage, r.Context(), endpoint.Principal(r), r.PathValue("id"), in.input())
		return codec.Show(w, viewUsageFile(f), err)
	}
}

// withoutNote adapts a transition that takes no note: a note sent to it is
// refused by the strict decoding of an empty body.
func (c Config) withoutNote(act func(UsageService, context.Context, account.Principal, string) (usage.File, error)) endpoint.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var none struct{}
		if err := codec.DecodeOptionalJSON(r, &none); err != nil {
			return err
		}
		f, err := act(c.Usage, r.Context(), endpoint.Principal(r), r.PathValue("id"))
		return codec.Show(w, viewUsageFile(f), err)
	}
}

func usageRecordField(rec usage.Record, field string) string {
	switch field {
	case "id":
		return rec.ID
	case "record_id":
		return rec.RecordID
	case "status":
		return rec.Status
	case "usage_file.id":
		return rec.UsageFile.ID
	case "asset.id":
		return rec.Asset.ID
	case "item.id":
		return rec.Item.ID
	case "item.mpn":
		return rec.Item.MPN
	}
	return codec.Stamp(rec.Start)
}

var usageRecordFields = []string{"id", "record_id", "status", "usage_file.id", "asset.id", "item.id", "item.mpn", "start_time_utc"}

// listUsageRecords lists the records of one file, named by usage_file.id.
// With no other filter a page is read straight from its key range; other
// filters read the whole file, which only small files allow.
func (c Config) listUsageRecords(w http.ResponseWriter, r *http.Request) error {
	p, err := codec.ParsePaging(r)
	if err != nil {
		return err
	}
	q, err := rql.Parse(r.URL.Query(), usageRecordFields...)
	if err != nil {
		return err
	}
	fileID := ""
	for _, f := range q.Filters {
		if f.Field == "usage_file.id" && f.Op == rql.Eq && len(f.Values) == 1 {
			fileID = f.Values[0]
		}
	}
	if fileID == "" {
		return fault.Invalidf("filter the records by their file: usage_file.id=UF-…")
	}
	if len(q.Filters) == 1 && len(q.Order) == 0 {
		recs, total, err := c.Usage.Records(r.Context(), endpoint.Principal(r), fileID, p.Offset, p.Limit)
		if err != nil {
			return err
		}
		codec.WritePage(w, codec.MapViews(recs, viewUsageRecord), p.Offset, total)
		return nil
	}
	recs, err := c.Usage.AllRecords(r.Context(), endpoint.Principal(r), fileID, maxFilteredRecords)
	if err != nil {
		return err
	}
	codec.WriteList(w, codec.MapViews(rql.Apply(q, recs, usageRecordField), viewUsageRecord), p)
	return nil
}
