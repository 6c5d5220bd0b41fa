// Package files holds the routes of usage files and records and of the
// provider's invoices. Their services (usage, billing) link the S3 client,
// for the uploads, the presigned upload URLs and the links to large
// reconciliation exports, so in Lambda they are a function of their own
// (New, FilesFunction): the API's binary links no S3 client, and S3's
// package initialisation is no part of its cold start. The local runtime,
// one process, serves them beside the API's routes
// (httpapi.Config.Routes). The package imports no other service, so that
// the files function links neither httpapi nor the API's services.
package files

import (
	"context"
	"io"
	"log/slog"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/billing"
	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/httpapi/endpoint"
	"github.com/mercato-dev/mercato/internal/usage"
)

// Config is what the files routes need. Every field is required unless
// noted.
type Config struct {
	// Usage is usage files and records; Invoices the provider's invoices.
	Usage    UsageService
	Invoices InvoiceService
	// Catalog reads the product whose usage template a vendor asks for.
	Catalog Catalog
	// PublicBaseURL is the absolute base of the template links; empty:
	// the request's own host.
	PublicBaseURL string
	Logger        *slog.Logger
}

// New builds the handler of the files routes alone, behind the gateway
// routes of their paths: FilesFunction's.
func New(ec endpoint.Config, c Config) *endpoint.Server { return endpoint.New(ec, Routes(c)) }

// Routes are /public/v1/usage/… and /v1/invoices/….
func Routes(c Config) []endpoint.Route {
	return append(c.usageRoutes(), c.invoiceRoutes()...)
}

// Catalog is what the usage template routes ask of catalog.Service.
type Catalog interface {
	GetProduct(ctx context.Context, actor account.Principal, id string) (catalog.Product, error)
	Version(ctx context.Context, actor account.Principal, productID string, n int) (catalog.Version, error)
}

// UsageService is what the files routes ask of usage.Service.
type UsageService interface {
	Accept(ctx context.Context, actor account.Principal, id string, in usage.NoteInput) (usage.File, error)
	AllRecords(ctx context.Context, actor account.Principal, fileID string, max int) ([]usage.Record, error)
	Close(ctx context.Context, actor account.Principal, id string) (usage.File, error)
	Create(ctx context.Context, actor account.Principal, in usage.CreateInput) (usage.File, error)
	Get(ctx context.Context, actor account.Principal, id string) (usage.File, error)
	FileCount(ctx context.Context, actor account.Principal) (int, error)
	FilePage(ctx context.Context, actor account.Principal, q fulfillment.ListQuery[usage.File]) (fulfillment.Page[usage.File], error)
	PresignUpload(ctx context.Context, actor account.Principal, id string) (usage.UploadURL, error)
	Records(ctx context.Context, actor account.Principal, fileID string, offset, limit int) ([]usage.Record, int, error)
	Reject(ctx context.Context, actor account.Principal, id string, in usage.NoteInput) (usage.File, error)
	Submit(ctx context.Context, actor account.Principal, id string) (usage.File, error)
	Template(ctx context.Context, actor account.Principal, id, format string, w io.Writer) error
	Upload(ctx context.Context, actor account.Principal, id string, content []byte) (usage.File, error)
}

// InvoiceService is what the files routes ask of billing.Reader.
type InvoiceService interface {
	Export(ctx context.Context, actor account.Principal, id string) (billing.Invoice, billing.ExportAnswer, error)
	EachLine(ctx context.Context, actor account.Principal, id string, fn func([]billing.Line) error) (billing.Invoice, error)
	Invoice(ctx context.Context, actor account.Principal, id string) (billing.Invoice, error)
	Invoices(ctx context.Context, actor account.Principal) ([]billing.Invoice, error)
	Lines(ctx context.Context, actor account.Principal, id, billingType, token string, size int) (billing.Invoice, []billing.Line, string, error)
}
