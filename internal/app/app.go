// Package app is the composition root: it builds the AWS clients and the
// domain services once, and hands each function its handler. The Lambda
// mains in functions/ and the local runtime both build their handlers here,
// so the code that runs locally is the code that runs in Lambda.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/billing"
	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/config"
	"github.com/mercato-dev/mercato/internal/consumer"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/httpapi"
	"github.com/mercato-dev/mercato/internal/logging"
	"github.com/mercato-dev/mercato/internal/ordering"
	"github.com/mercato-dev/mercato/internal/portal"
	"github.com/mercato-dev/mercato/internal/relay"
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
}

// App holds the clients and services shared by every handler.
type App struct {
	Config   config.Config
	Log      *slog.Logger
	Table    *dynamo.Table
	SQS      *sqs.Client
	S3       *s3.Client
	Accounts *account.Service
	Catalog  *catalog.Service
	Store    *fulfillment.Store
	Ordering *ordering.Service
	Webhooks *webhook.Service

	// Requests is the fulfillment queue with its transitions; Mailer sends
	// the fulfillment worker's e-mails.
	Requests *fulfillment.Service
	Mailer   fulfillment.Mailer

	// UsageFiles is the usage file API, UsageStore its storage; Biller
	// rates and invoices, Invoices is the invoice API.
	UsageFiles *usage.Service
	UsageStore *usage.Store
	Biller     *billing.Biller
	Invoices   *billing.Reader

	now func() time.Time
	// webhookGuard and webhookStore are shared by the dispatcher and the
	// API's test attempts.
	webhookGuard *webhook.Guard
	webhookStore *webhook.DynamoStore
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
	return New(cfg, awsCfg, logging.New(os.Stdout, cfg.LogLevel), Options{}), nil
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
	table := &dynamo.Table{Client: dynamodb.NewFromConfig(awsCfg, opts.DynamoOptions...), Name: cfg.TableName}
	// Emulators serve every bucket under one host, so they need path-style
	// addresses; real S3 prefers virtual-hosted ones.
	pathStyle := awsCfg.BaseEndpoint != nil
	a := &App{
		Config:       cfg,
		Log:          log,
		Table:        table,
		SQS:          sqs.NewFromConfig(awsCfg),
		S3:           s3.NewFromConfig(awsCfg, func(o *s3.Options) { o.UsePathStyle = pathStyle }),
		Accounts:     account.NewService(table, now, cfg.EventRetentionDays),
		Catalog:      catalog.NewService(table, now, cfg.EventRetentionDays),
		now:          now,
		webhookGuard: &webhook.Guard{AllowHTTPLoopback: cfg.AllowHTTPLoopback},
		webhookStore: webhook.NewDynamoStore(table, cfg.EventRetentionDays),
	}
	// The API makes test attempts only, which never schedule a retry: it
	// gets no queue (and its role no SQS permission).
	a.Store = fulfillment.NewStore(table, cfg.EventRetentionDays)
	a.Ordering = ordering.NewService(table, a.Catalog, a.Store, now, cfg.EventRetentionDays)
	a.Requests = fulfillment.NewService(a.Store, a.Catalog, now)
	a.Mailer = &fulfillment.SESMailer{Client: sesv2.NewFromConfig(awsCfg), From: cfg.EmailFrom}
	a.Webhooks = webhook.NewService(a.webhookStore, a.webhookGuard, a.webhookDispatcher(nil), now)
	a.buildUsage()
	return a
}

func (a *App) webhookDispatcher(queue webhook.Queue) *webhook.Dispatcher {
	return webhook.NewDispatcher(webhook.DispatcherConfig{
		Store:    a.webhookStore,
		Client:   webhook.NewClient(a.webhookGuard),
		Queue:    queue,
		QueueURL: a.Config.WebhookQueue,
		Schedule: a.Config.WebhookRetries,
		Now:      a.now,
		Logger:   a.Log,
	})
}

// API returns the HTTP handler of the api function.
func (a *App) API() http.Handler {
	return httpapi.New(httpapi.Config{
		Accounts:      a.Accounts,
		Catalog:       a.Catalog,
		Ordering:      a.Ordering,
		Fulfillment:   a.Requests,
		Webhooks:      a.Webhooks,
		Usage:         a.UsageFiles,
		Invoices:      a.Invoices,
		Sessions:      portal.NewSessions(a.Table, a.Accounts, a.now, a.Config.PortalSessionTTL),
		Portal:        portal.NewAssets(portal.Built()),
		PublicBaseURL: a.Config.PublicBaseURL,
		Logger:        a.Log,
		MaxBodyBytes:  a.Config.MaxBodyBytes,
		Now:           a.now,
		// The API's dependencies: the table, and the usage bucket it uploads
		// to and reads from. It sends to no queue.
		Checks: []httpapi.Check{
			{Name: "dynamodb", Ping: a.Table.Ping},
			{Name: "s3", Ping: a.pingUsageBucket},
		},
	})
}

// pingUsageBucket reaches S3 with HeadBucket, which also tells that the
// usage bucket exists and the role may use it.
func (a *App) pingUsageBucket(ctx context.Context) error {
	_, err := a.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(a.Config.UsageBucket)})
	if err != nil {
		return fmt.Errorf("head bucket %s: %w", a.Config.UsageBucket, err)
	}
	return nil
}

// Relay returns the stream handler of the relay function.
func (a *App) Relay() (*relay.Relay, error) {
	return relay.New(relay.Config{
		Table: a.Table,
		SQS:   a.SQS,
		Queues: map[event.Route]string{
			event.RouteFulfillment: a.Config.FulfillmentQueue,
			event.RouteWebhook:     a.Config.WebhookQueue,
			event.RouteBilling:     a.Config.BillingQueue,
		},
		Logger: a.Log,
	})
}

// Fulfillment returns the fulfillment worker's queue handler: order
// roll-ups, e-mails and auto-approval on request events.
func (a *App) Fulfillment() *consumer.Events {
	return &consumer.Events{Name: "fulfillment", Logger: a.Log, Handlers: a.fulfillmentWorker().Handlers()}
}

// Dispatcher returns the webhook dispatcher: the webhook queue's handler,
// which schedules its retries on the same queue.
func (a *App) Dispatcher() *webhook.Dispatcher {
	return a.webhookDispatcher(a.SQS)
}

// Schedule returns the handler of a function's scheduled run.
func (a *App) Schedule(name string) func(context.Context, events.EventBridgeEvent) error {
	return func(ctx context.Context, e events.EventBridgeEvent) error {
		ctx, _ = logging.WithScope(ctx, e.ID)
		a.Log.InfoContext(ctx, name+": scheduled run", slog.Time("time", e.Time))
		return nil
	}
}

// Start is all a Lambda main does: boot once per cold start, then hand
// function name's handler to lambda.Start. A boot failure exits non-zero so
// that Lambda reports an init error rather than serving broken requests.
func Start(name string) {
	a, err := Boot(context.Background())
	var h LambdaHandler
	if err == nil {
		h, err = a.LambdaHandler(name)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
	lambda.Start(h)
}
