// Package filesfn builds FilesFunction's handler: the routes of usage files
// and records and of the provider's invoices (package files), behind the
// gateway routes of those paths. They are a function of their own because
// their services link the S3 client (uploads, presigned upload URLs, the
// links to large reconciliation exports), whose package initialisation
// would otherwise be part of every cold start of the API; and they are
// served without httpapi, so that this function links only the usage and
// billing services beside the catalog.
package filesfn

import (
	"net/http"

	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/mercato-dev/mercato/internal/app/billingfn"
	"github.com/mercato-dev/mercato/internal/app/bucket"
	"github.com/mercato-dev/mercato/internal/app/function"
	"github.com/mercato-dev/mercato/internal/app/services"
	"github.com/mercato-dev/mercato/internal/app/usagefn"
	"github.com/mercato-dev/mercato/internal/billing"
	"github.com/mercato-dev/mercato/internal/httpapi/endpoint"
	"github.com/mercato-dev/mercato/internal/httpapi/files"
	"github.com/mercato-dev/mercato/internal/portal"
	"github.com/mercato-dev/mercato/internal/usage"
)

// Services are the services the files routes call beyond services.Core.
type Services struct {
	Usage *usage.Service
	// Invoices reads invoices and presigns the links to their large
	// reconciliation exports.
	Invoices *billing.Reader
}

// Config is the files routes' configuration on b and its services.
func Config(b *function.Base, c services.Core, s Services) files.Config {
	return files.Config{Usage: s.Usage, Invoices: s.Invoices, Catalog: c.Catalog,
		PublicBaseURL: b.Config.PublicBaseURL, Logger: b.Log}
}

// Handler builds the files routes' HTTP handler; tokens and the portal's
// session cookies authenticate as on the API. Traced when b has a tracer.
func Handler(b *function.Base, c services.Core, s Services) http.Handler {
	h := files.New(endpoint.Config{
		Accounts:     c.Accounts,
		Sessions:     portal.NewSessions(b.Table, c.Accounts, b.Now, b.Config.PortalSessionTTL),
		Logger:       b.Log,
		MaxBodyBytes: b.Config.MaxBodyBytes,
	}, Config(b, c, s))
	if !b.Tracing {
		return h
	}
	return function.TraceHTTP(b.Tracer.Tracer("mercato/files"), "files", h)
}

// NewServices builds the files routes' services on b: one client of the
// usage bucket for the uploads and the export links.
func NewServices(b *function.Base, c services.Core) Services {
	objects := bucket.Client(b)
	return Services{
		Usage:    usagefn.Files(b, c, usagefn.Store(b), objects),
		Invoices: billing.NewReader(billing.NewStore(b.Table), billingfn.Exports(b, objects), b.Now),
	}
}

// Lambda is the files function's Lambda handler, behind API Gateway's HTTP
// API (payload format 2.0).
func Lambda(b *function.Base) (function.LambdaHandler, error) {
	c := services.NewCore(b)
	return function.Typed(httpadapter.NewV2(Handler(b, c, NewServices(b, c))).ProxyWithContext), nil
}
