// Package app is the composition root of the local runtime, the tools and
// the tests: it builds every function's handler on one set of clients and
// services, as the packages of each function (function, relayfn, apifn, …)
// define them. The Lambda mains in functions/ call those packages directly,
// so that each binary links only its own handler's packages; the code that
// runs locally is the code that runs in Lambda.
//
// Each function is one entry of a typed table (function.go). Services are
// built on first use, so a function builds and checks only what its own
// handler reaches: the relay needs no bucket, the API no queue.
package app

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/mercato-dev/mercato/internal/app/billingfn"
	"github.com/mercato-dev/mercato/internal/app/bucket"
	"github.com/mercato-dev/mercato/internal/app/fulfillmentfn"
	"github.com/mercato-dev/mercato/internal/app/function"
	"github.com/mercato-dev/mercato/internal/app/services"
	"github.com/mercato-dev/mercato/internal/app/usagefn"
	"github.com/mercato-dev/mercato/internal/app/webhooks"
	"github.com/mercato-dev/mercato/internal/billing"
	"github.com/mercato-dev/mercato/internal/config"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/ordering"
	"github.com/mercato-dev/mercato/internal/usage"
	"github.com/mercato-dev/mercato/internal/webhook"
)

// Options adjusts how clients are built; the zero value is production.
type Options = function.Options

// App holds the clients and services the handlers share. The embedded
// ones are cheap and always built; the rest is built on first use, by the
// handler builders, before any handler runs.
type App struct {
	*function.Base
	services.Core
	// SQS is a queue client for the tools and tests; the relay and the
	// dispatcher build their own, as in Lambda.
	SQS *sqs.Client

	s3          *s3.Client
	mailer      fulfillment.Mailer
	ordering    *ordering.Service
	fulfillment *fulfillment.Service
	webhooks    *webhook.Service
	// webhookWiring is shared by the dispatcher and the API's test attempts.
	webhookWiring webhooks.Wiring
	usageStore    *usage.Store
	usageFiles    *usage.Service
	biller        *billing.Biller
}

// Boot loads the configuration from the environment and builds the App, as
// a Lambda cold start does.
func Boot() (*App, error) {
	b, err := function.Boot()
	if err != nil {
		return nil, err
	}
	return fromBase(b), nil
}

// Retryer is the retry policy of every AWS client (function.Retryer).
func Retryer() aws.Retryer { return function.Retryer() }

// New builds the App from explicit configuration.
func New(cfg config.Config, awsCfg aws.Config, log *slog.Logger, opts Options) *App {
	return fromBase(function.New(cfg, awsCfg, log, opts))
}

func fromBase(b *function.Base) *App {
	return &App{Base: b, Core: services.NewCore(b), SQS: sqs.NewFromConfig(b.AWS), webhookWiring: webhooks.New(b)}
}

// S3 is the client of the usage bucket.
func (a *App) S3() *s3.Client {
	return built(&a.s3, func() *s3.Client { return bucket.Client(a.Base) })
}

// Ordering is the ordering service: carts, orders and subscriptions.
func (a *App) Ordering() *ordering.Service {
	return built(&a.ordering, func() *ordering.Service { return services.Ordering(a.Base, a.Core) })
}

// Fulfillment is the fulfillment service: the request queue and its
// transitions (httpapi.Config.Fulfillment).
func (a *App) Fulfillment() *fulfillment.Service {
	return built(&a.fulfillment, func() *fulfillment.Service { return services.Fulfillment(a.Base, a.Core) })
}

// Mailer sends the fulfillment worker's e-mails.
func (a *App) Mailer() fulfillment.Mailer {
	return built(&a.mailer, func() fulfillment.Mailer { return fulfillmentfn.Mailer(a.Base) })
}

// Webhooks is the webhook registration API.
func (a *App) Webhooks() *webhook.Service {
	return built(&a.webhooks, func() *webhook.Service { return webhooks.Service(a.Base, a.webhookWiring) })
}

// UsageStore stores usage files and their rows.
func (a *App) UsageStore() *usage.Store {
	return built(&a.usageStore, func() *usage.Store { return usagefn.Store(a.Base) })
}

// UsageFiles is the usage file API.
func (a *App) UsageFiles() *usage.Service {
	return built(&a.usageFiles, func() *usage.Service { return usagefn.Files(a.Base, a.Core, a.UsageStore(), a.S3()) })
}

// Exports is where large reconciliation exports are written (billingfn.Exports).
func (a *App) Exports() billing.Exports { return billingfn.Exports(a.Base, a.S3()) }

// Biller rates usage and subscriptions and closes billing periods.
func (a *App) Biller() *billing.Biller {
	return built(&a.biller, func() *billing.Biller { return billingfn.Biller(a.Base, a.Core, a.UsageStore(), a.Exports()) })
}

// UsageProcessor returns the usage function's processor of uploaded files.
func (a *App) UsageProcessor() *usage.Processor {
	return usagefn.Processor(a.Base, a.Core, a.UsageStore(), a.S3())
}

// built returns *p, building it on first use.
func built[T comparable](p *T, build func() T) T {
	var zero T
	if *p == zero {
		*p = build()
	}
	return *p
}
