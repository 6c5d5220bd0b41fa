// Package app is the composition root: it builds the AWS clients and the
// domain services, and hands each function its handler. The Lambda mains in
// functions/ and the local runtime both build their handlers here, so the
// code that runs locally is the code that runs in Lambda.
//
// Each function is one entry of a typed table (function.go). Services are
// built on first use, so a function builds, checks and links only what its
// own handler reaches: the relay needs no bucket, the API no queue.
package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	//lint:ignore SA1019 otelaws still traces every SDK call; its successor, smithy-go's smithyoteltracing module, is not served by the Go module proxy
	"go.opentelemetry.io/contrib/instrumentation/github.com/aws/aws-sdk-go-v2/otelaws"
	"go.opentelemetry.io/otel/trace"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/billing"
	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/config"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/logging"
	"github.com/mercato-dev/mercato/internal/metrics"
	"github.com/mercato-dev/mercato/internal/ordering"
	"github.com/mercato-dev/mercato/internal/tracing"
	"github.com/mercato-dev/mercato/internal/usage"
	"github.com/mercato-dev/mercato/internal/webhook"
)

// Options adjusts how clients are built; the zero value is production.
type Options struct {
	// DynamoOptions are applied to the DynamoDB client, for example a
	// dynamo.Counter in tests.
	DynamoOptions []func(*dynamodb.Options)
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Metrics is where the EMF metrics go: the function's stdout in
	// Lambda, where CloudWatch Logs reads them.
	// Nil writes none.
	Metrics io.Writer
	// Tracer traces the invocations, the AWS calls, the API's requests and
	// the webhook attempts; nil traces nothing.
	Tracer trace.TracerProvider
}

// App holds the clients and services the handlers share. The exported
// fields are cheap and always built; the rest is built on first use, by
// the handler builders, before any handler runs.
type App struct {
	Config   config.Config
	Log      *slog.Logger
	Table    *dynamo.Table
	SQS      *sqs.Client
	Accounts *account.Service
	Catalog  *catalog.Service
	// FulfillmentStore stores the assets and requests that the fulfillment
	// service (httpapi.Config.Fulfillment) moves through their states.
	FulfillmentStore *fulfillment.Store
	// Metrics writes the business metrics; nil (no Options.Metrics) writes
	// none.
	Metrics *metrics.Recorder

	aws    aws.Config
	now    func() time.Time
	tracer trace.TracerProvider
	// tracing is whether Options.Tracer was given: the API is wrapped for
	// spans only then.
	tracing bool

	s3          *s3.Client
	mailer      fulfillment.Mailer
	ordering    *ordering.Service
	fulfillment *fulfillment.Service
	webhooks    *webhook.Service
	// webhookGuard and webhookStore are shared by the dispatcher and the
	// API's test attempts.
	webhookGuard *webhook.Guard
	webhookStore *webhook.DynamoStore
	usageStore   *usage.Store
	usageFiles   *usage.Service
	biller       *billing.Biller
}

// Boot loads the configuration from the environment and builds the App, as
// a Lambda cold start does.
func Boot(ctx context.Context) (*App, error) {
	cfg, err := config.FromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRetryer(Retryer))
	if err != nil {
		return nil, fmt.Errorf("app: load AWS config: %w", err)
	}
	opts := Options{Metrics: os.Stdout}
	// Lambda runs an X-Ray daemon for functions with active tracing.
	if addr := os.Getenv("AWS_XRAY_DAEMON_ADDRESS"); addr != "" {
		exp, err := tracing.NewDaemonExporter(addr)
		if err != nil {
			return nil, err
		}
		opts.Tracer = tracing.NewProvider(exp)
	}
	return New(cfg, awsCfg, logging.New(os.Stdout, cfg.LogLevel), opts), nil
}

// Retryer is the retry policy of every AWS client: the SDK's standard
// jittered backoff with up to 5 attempts, and no client-side retry quota.
// The quota is a token bucket per process; under sustained throttling it
// empties, after which the SDK fails every retry at once and 30% throttling
// becomes 30% errors. When the attempts run out the API answers 503 with
// Retry-After, and queue consumers fail the message for SQS to redeliver.
func Retryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 5
		o.RateLimiter = ratelimit.None
	})
}

// New builds the App from explicit configuration.
func New(cfg config.Config, awsCfg aws.Config, log *slog.Logger, opts Options) *App {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	tp := tracing.OrNoop(opts.Tracer)
	if opts.Tracer != nil {
		awsCfg.APIOptions = slices.Clone(awsCfg.APIOptions)
		otelaws.AppendMiddlewares(&awsCfg.APIOptions, otelaws.WithTracerProvider(tp), otelaws.WithTextMapPropagator(tracing.Propagator))
	}
	table := &dynamo.Table{Client: dynamodb.NewFromConfig(awsCfg, opts.DynamoOptions...), Name: cfg.TableName}
	var m *metrics.Recorder
	if opts.Metrics != nil {
		m = metrics.New(opts.Metrics, cfg.MetricsNamespace, now)
	}
	return &App{
		Metrics:          m,
		Config:           cfg,
		Log:              log,
		Table:            table,
		SQS:              sqs.NewFromConfig(awsCfg),
		Accounts:         account.NewService(table, now, cfg.EventRetentionDays),
		Catalog:          catalog.NewService(table, now, cfg.EventRetentionDays),
		FulfillmentStore: fulfillment.NewStore(table, cfg.EventRetentionDays),
		aws:              awsCfg,
		now:              now,
		tracer:           tp,
		tracing:          opts.Tracer != nil,
		webhookGuard:     &webhook.Guard{AllowHTTPLoopback: cfg.AllowHTTPLoopback},
		webhookStore:     webhook.NewDynamoStore(table, cfg.EventRetentionDays).WithDeliveryShards(cfg.WebhookDeliveryShards),
	}
}

// S3 is the client of the usage bucket.
func (a *App) S3() *s3.Client {
	if a.s3 == nil {
		// Emulators serve every bucket under one host, so they need
		// path-style addresses; real S3 prefers virtual-hosted ones.
		pathStyle := a.aws.BaseEndpoint != nil
		a.s3 = s3.NewFromConfig(a.aws, func(o *s3.Options) { o.UsePathStyle = pathStyle })
	}
	return a.s3
}

// Ordering is the ordering service: carts, orders and subscriptions.
func (a *App) Ordering() *ordering.Service {
	if a.ordering == nil {
		a.ordering = ordering.NewService(a.Table, a.Catalog, a.FulfillmentStore, a.now, a.Config.EventRetentionDays, a.Metrics)
	}
	return a.ordering
}

// Fulfillment is the fulfillment service: the request queue and its
// transitions (httpapi.Config.Fulfillment).
func (a *App) Fulfillment() *fulfillment.Service {
	if a.fulfillment == nil {
		a.fulfillment = fulfillment.NewService(a.FulfillmentStore, a.Catalog, a.now)
	}
	return a.fulfillment
}

// Mailer sends the fulfillment worker's e-mails.
func (a *App) Mailer() fulfillment.Mailer {
	if a.mailer == nil {
		a.mailer = &fulfillment.SESMailer{Client: sesv2.NewFromConfig(a.aws), From: a.Config.EmailFrom}
	}
	return a.mailer
}

// Webhooks is the webhook registration API. The API makes test attempts
// only, which never schedule a retry: its dispatcher gets no queue (and its
// role no SQS permission).
func (a *App) Webhooks() *webhook.Service {
	if a.webhooks == nil {
		a.webhooks = webhook.NewService(a.webhookStore, a.webhookGuard, a.webhookDispatcher(nil), a.now)
	}
	return a.webhooks
}

func (a *App) webhookDispatcher(queue webhook.Queue) *webhook.Dispatcher {
	// Only the dispatcher's attempts count toward the failure rate: a
	// vendor's test attempts at an endpoint being set up are no outage.
	var m *metrics.Recorder
	if queue != nil {
		m = a.Metrics
	}
	return webhook.NewDispatcher(webhook.DispatcherConfig{
		Metrics:  m,
		Store:    a.webhookStore,
		Client:   webhook.NewClient(a.webhookGuard),
		Queue:    queue,
		QueueURL: a.Config.WebhookQueue,
		Schedule: a.Config.WebhookRetries,
		Now:      a.now,
		Logger:   a.Log,
	})
}
