// Package function is what every Lambda function of template.yaml shares:
// the clients built once per cold start (Base), the handler signatures, and
// Start, which a main calls. It imports no domain package, so a function's
// binary links only the domain packages of its own handler (see the
// packages next to this one, one per function, and internal/app, which
// builds all eight for the local runtime).
package function

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/mercato-dev/mercato/internal/config"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/logging"
	"github.com/mercato-dev/mercato/internal/metrics"
	"github.com/mercato-dev/mercato/internal/tracing"
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

// Base holds what every function's handler is built on: the configuration,
// the logger, the table, the metrics and the tracer. Domain services, and
// the clients of other AWS services (SQS, S3, SES), are built by the
// function packages that use them: importing an SDK client's package runs
// its initialisation (endpoint and schema tables) in every cold start.
type Base struct {
	Config config.Config
	Log    *slog.Logger
	Table  *dynamo.Table
	// Metrics writes the business metrics; nil (no Options.Metrics) writes
	// none.
	Metrics *metrics.Recorder
	// AWS is the SDK configuration the other clients (SQS, S3, SES) are
	// built from, with the tracing middleware when there is a tracer.
	AWS aws.Config
	Now func() time.Time
	// Tracer is never nil: a no-op provider when Options.Tracer was nil.
	Tracer trace.TracerProvider
	// Tracing is whether Options.Tracer was given: the API is wrapped for
	// spans only then.
	Tracing bool
}

// Boot loads the configuration from the environment and builds the Base,
// as a Lambda cold start does.
func Boot() (*Base, error) {
	cfg, err := config.FromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := AWSConfig(os.Getenv)
	if err != nil {
		return nil, err
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

// AWSConfig is the SDK configuration of a Lambda function, read from the
// variables Lambda sets: AWS_REGION and the execution role's credentials
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), valid for
// the execution environment's life. AWS_ENDPOINT_URL, when set, points
// every client at an emulator. It is not the SDK's LoadDefaultConfig: that
// resolves shared config files, SSO, web identity and the instance
// metadata service, none of which a function uses, and linking those
// providers (their STS, SSO and sign-in clients) was 2 MB of every binary
// and about 0.6 ms of its start.
func AWSConfig(getenv func(string) string) (aws.Config, error) {
	region := getenv("AWS_REGION")
	if region == "" {
		region = getenv("AWS_DEFAULT_REGION")
	}
	key, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	if region == "" || key == "" || secret == "" {
		return aws.Config{}, fmt.Errorf("app: AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set, as Lambda sets them")
	}
	cfg := aws.Config{
		Region:      region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(key, secret, getenv("AWS_SESSION_TOKEN"))),
		// One HTTP client, so that every SDK client shares its connections.
		HTTPClient: awshttp.NewBuildableClient(),
		Retryer:    Retryer,
	}
	if u := getenv("AWS_ENDPOINT_URL"); u != "" {
		cfg.BaseEndpoint = aws.String(u)
	}
	return cfg, nil
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

// New builds the Base from explicit configuration.
func New(cfg config.Config, awsCfg aws.Config, log *slog.Logger, opts Options) *Base {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	tp := tracing.OrNoop(opts.Tracer)
	if opts.Tracer != nil {
		awsCfg.APIOptions = slices.Clone(awsCfg.APIOptions)
		awsCfg.APIOptions = append(awsCfg.APIOptions, TraceAWS(tp, tracing.Propagator))
	}
	var m *metrics.Recorder
	if opts.Metrics != nil {
		m = metrics.New(opts.Metrics, cfg.MetricsNamespace, now)
	}
	return &Base{
		Config:  cfg,
		Log:     log,
		Table:   &dynamo.Table{Client: dynamodb.NewFromConfig(awsCfg, opts.DynamoOptions...), Name: cfg.TableName},
		Metrics: m,
		AWS:     awsCfg,
		Now:     now,
		Tracer:  tp,
		Tracing: opts.Tracer != nil,
	}
}

// SQSHandler is the signature of a queue consumer.
type SQSHandler func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)

// StreamHandler is the signature of a DynamoDB stream consumer.
type StreamHandler func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error)

// ScheduleHandler is the signature of a scheduled run.
type ScheduleHandler func(context.Context, events.EventBridgeEvent) error

// LambdaHandler is what lambda.Start runs: the raw event in, the response
// out.
type LambdaHandler func(ctx context.Context, raw json.RawMessage) (any, error)

// Builder builds a function's Lambda handler on the Base.
type Builder func(*Base) (LambdaHandler, error)

// Start is all a Lambda main does: boot once per cold start, then hand the
// handler build makes, under a span of each invocation, to lambda.Start. A
// boot failure exits non-zero so that Lambda reports an init error rather
// than serving broken requests.
func Start(name string, build Builder) {
	b, err := Boot()
	var h LambdaHandler
	if err == nil {
		h, err = build(b)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
	lambda.Start(Traced(b.Tracer.Tracer("mercato/app"), LogicalID(name), h))
}

// LogicalID returns the template logical id of function name: "relay" is
// "RelayFunction".
func LogicalID(name string) string {
	if name == "" {
		return ""
	}
	return string(name[0]-'a'+'A') + name[1:] + "Function"
}

// Traced runs h under a span of the invocation, the child of Lambda's own
// segment when there is one; the consumers' spans hang below it.
func Traced[In, Out any](tracer trace.Tracer, name string, h func(context.Context, In) (Out, error)) func(context.Context, In) (Out, error) {
	return func(ctx context.Context, in In) (Out, error) {
		ctx, span := tracer.Start(tracing.FromLambda(ctx), name, trace.WithSpanKind(trace.SpanKindServer))
		defer span.End()
		out, err := h(ctx, in)
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
		}
		return out, err
	}
}

// Typed decodes the raw event into fn's aws-lambda-go events type.
func Typed[In, Out any](fn func(context.Context, In) (Out, error)) LambdaHandler {
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		var in In
		if err := json.Unmarshal(raw, &in); err != nil {
			return nil, fmt.Errorf("decode %T: %w", in, err)
		}
		return fn(ctx, in)
	}
}

// SQSOrSchedule serves a function that template.yaml gives both an SQS and
// a Schedule event: Lambda hands both to the same handler, so it tells them
// apart by shape.
func SQSOrSchedule(onSQS SQSHandler, onSchedule ScheduleHandler) LambdaHandler {
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		var probe struct {
			Records    []json.RawMessage `json:"Records"`
			DetailType string            `json:"detail-type"`
		}
		if err := json.Unmarshal(raw, &probe); err != nil {
			return nil, fmt.Errorf("event is not JSON: %w", err)
		}
		switch {
		case probe.Records != nil:
			return Typed(onSQS)(ctx, raw)
		case probe.DetailType != "":
			return Typed(func(ctx context.Context, e events.EventBridgeEvent) (any, error) {
				return nil, onSchedule(ctx, e)
			})(ctx, raw)
		}
		return nil, fmt.Errorf("event is neither an SQS batch nor a scheduled event")
	}
}
