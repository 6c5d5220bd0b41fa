// Package apifn builds ApiFunction's handler: the platform's HTTP API
// behind API Gateway.
package apifn

import (
	"context"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/mercato-dev/mercato/internal/app/billingfn"
	"github.com/mercato-dev/mercato/internal/app/bucket"
	"github.com/mercato-dev/mercato/internal/app/function"
	"github.com/mercato-dev/mercato/internal/app/services"
	"github.com/mercato-dev/mercato/internal/app/usagefn"
	"github.com/mercato-dev/mercato/internal/app/webhooks"
	"github.com/mercato-dev/mercato/internal/billing"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/httpapi"
	"github.com/mercato-dev/mercato/internal/ordering"
	"github.com/mercato-dev/mercato/internal/portal"
	"github.com/mercato-dev/mercato/internal/usage"
	"github.com/mercato-dev/mercato/internal/webhook"
)

// Services are the services the API serves beyond services.Core.
type Services struct {
	Ordering    *ordering.Service
	Fulfillment *fulfillment.Service
	Webhooks    *webhook.Service
	Usage       *usage.Service
	Biller      *billing.Biller
	// S3 is the usage bucket's client, which the health check pings.
	S3 *s3.Client
	// Exports is where the biller writes large reconciliation exports and
	// the invoice reader presigns them: one presign client for both.
	Exports billing.Exports
	// Markdown renders the render routes' HTML (httpapi.Config.Markdown).
	// Nil in Lambda, where RenderFunction serves those routes; the local
	// runtime, one process, serves every route here.
	Markdown func(md string) (string, error)
}

// Handler builds the API's HTTP handler, traced when b has a tracer.
func Handler(b *function.Base, c services.Core, s Services) http.Handler {
	h := handler(b, c, s)
	if !b.Tracing {
		return h
	}
	return function.TraceHTTP(b.Tracer.Tracer("mercato/api"), "api", h)
}

func handler(b *function.Base, c services.Core, s Services) http.Handler {
	bucket := b.Config.UsageBucket
	return httpapi.New(httpapi.Config{
		Accounts:      c.Accounts,
		Catalog:       c.Catalog,
		Ordering:      s.Ordering,
		Fulfillment:   s.Fulfillment,
		Webhooks:      s.Webhooks,
		Markdown:      s.Markdown,
		Usage:         s.Usage,
		Invoices:      billing.NewReader(s.Biller.Store(), s.Exports, b.Now),
		Sessions:      portal.NewSessions(b.Table, c.Accounts, b.Now, b.Config.PortalSessionTTL),
		Portal:        portal.NewAssets(portal.Built()),
		PublicBaseURL: b.Config.PublicBaseURL,
		Logger:        b.Log,
		MaxBodyBytes:  b.Config.MaxBodyBytes,
		Now:           b.Now,
		// The API's dependencies: the table, and the usage bucket it uploads
		// to and reads from. It sends to no queue.
		Checks: []httpapi.Check{
			{Name: "dynamodb", Ping: b.Table.Ping},
			{Name: "s3", Ping: func(ctx context.Context) error { return pingBucket(ctx, s.S3, bucket) }},
		},
	})
}

// pingBucket reaches S3 with HeadBucket, which also tells that the usage
// bucket exists and the role may use it.
func pingBucket(ctx context.Context, client *s3.Client, bucket string) error {
	_, err := client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	if err != nil {
		return fmt.Errorf("head bucket %s: %w", bucket, err)
	}
	return nil
}

// NewServices builds the API's services on b.
func NewServices(b *function.Base, c services.Core) Services {
	objects := bucket.Client(b)
	usageStore := usagefn.Store(b)
	exports := billingfn.Exports(b, objects)
	return Services{
		Ordering:    services.Ordering(b, c),
		Fulfillment: services.Fulfillment(b, c),
		Webhooks:    webhooks.Service(b, webhooks.New(b)),
		Usage:       usagefn.Files(b, c, usageStore, objects),
		Biller:      billingfn.Biller(b, c, usageStore, exports),
		S3:          objects,
		Exports:     exports,
	}
}

// Lambda is the API's Lambda handler, behind API Gateway's HTTP API
// (payload format 2.0).
func Lambda(b *function.Base) (function.LambdaHandler, error) {
	c := services.NewCore(b)
	return function.Typed(httpadapter.NewV2(Handler(b, c, NewServices(b, c))).ProxyWithContext), nil
}
