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
	"context"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/mercato-dev/mercato/internal/app/billingfn"
	"github.com/mercato-dev/mercato/internal/app/bucket"
	"github.com/mercato-dev/mercato/internal/app/dispatcherfn"
	"github.com/mercato-dev/mercato/internal/app/fulfillmentfn"
	"github.com/mercato-dev/mercato/internal/app/function"
	"github.com/mercato-dev/mercato/internal/app/services"
	"github.com/mercato-dev/mercato/internal/app/usagefn"
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

	s3          *s3.Client
	mailer      fulfillment.Mailer
	ordering    *ordering.Service
	fulfillment *fulfillment.Service
	webhooks    *webhook.Service
	// webhookWiring is shared by the dispatcher and the API's test attempts.
	webhookWiring dispatcherfn.Webhooks
	usageStore    *usage.Store
	usageFiles    *usage.Service
	biller        *billing.Biller
}

// Boot loads the configuration from the environment and builds the App, as
// a Lambda cold start does.
func Boot(ctx context.Context) (*App, error) {
	b, err := function.Boot(ctx)
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
	return &App{Base: b, Core: services.NewCore(b), webhookWiring: dispatcherfn.NewWebhooks(b)}
}

// S3 is the client of the usage bucket.
func (a *App) S3() *s3.Client {
	if a.s3 == nil {
		a.s3 = bucket.Client(a.Base)
	}
	return a.s3
}

// Ordering is the ordering service: carts, orders and subscriptions.
func (a *App) Ordering() *ordering.Service {
	if a.ordering == nil {
		a.ordering = services.Ordering(a.Base, a.Core)
	}
	return a.ordering
}

// Fulfillment is the fulfillment service: the request queue and its
// transitions (httpapi.Config.Fulfillment).
func (a *App) Fulfillment() *fulfillment.Service {
	if a.fulfillment == nil {
		a.fulfillment = services.Fulfillment(a.Base, a.Core)
	}
	return a.fulfillment
}

// Mailer sends the fulfillment worker's e-mails.
func (a *App) Mailer() fulfillment.Mailer {
	if a.mailer == nil {
		a.mailer = fulfillmentfn.Mailer(a.Base)
	}
	return a.mailer
}

// Webhooks is the webhook registration API.
func (a *App) Webhooks() *webhook.Service {
	if a.webhooks == nil {
		a.webhooks = dispatcherfn.Service(a.Base, a.webhookWiring)
	}
	return a.webhooks
}

// UsageStore stores usage files and their rows.
func (a *App) UsageStore() *usage.Store {
	if a.usageStore == nil {
		a.usageStore = usagefn.Store(a.Base)
	}
	return a.usageStore
}

// UsageFiles is the usage file API.
func (a *App) UsageFiles() *usage.Service {
	if a.usageFiles == nil {
		a.usageFiles = usagefn.Files(a.Base, a.Core, a.UsageStore(), a.S3())
	}
	return a.usageFiles
}

// Exports is where large reconciliation exports are written (billingfn.Exports).
func (a *App) Exports() billing.Exports { return billingfn.Exports(a.Base, a.S3()) }

// Biller rates usage and subscriptions and closes billing periods.
func (a *App) Biller() *billing.Biller {
	if a.biller == nil {
		a.biller = billingfn.Biller(a.Base, a.Core, a.UsageStore(), a.Exports())
	}
	return a.biller
}

// UsageProcessor returns the usage function's processor of uploaded files.
func (a *App) UsageProcessor() *usage.Processor {
	return usagefn.Processor(a.Base, a.Core, a.UsageStore(), a.S3())
}
