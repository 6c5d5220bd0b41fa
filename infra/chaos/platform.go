package chaos

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/mercato-dev/mercato/infra/apiclient"
	"github.com/mercato-dev/mercato/infra/localrun"
	"github.com/mercato-dev/mercato/infra/stack"
	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/logging"
)

// SQSHook stands in front of an SQS function's handler; it decides what
// of the batch reaches next and what the function reports.
type SQSHook func(ctx context.Context, in events.SQSEvent, next app.SQSHandler) (events.SQSEventResponse, error)

// StreamHook stands in front of a stream function's handler.
type StreamHook func(ctx context.Context, in events.DynamoDBEvent, next app.StreamHandler) (events.DynamoDBEventResponse, error)

// Platform is the whole platform on a test stack, as `make run` runs it,
// with every AWS call of the functions going through Proxy and Inject,
// the API served over loopback HTTP, and a hook slot in front of each
// function's handler. The event source pollers and Check talk to the
// emulator directly: they are AWS's side, not the platform's.
type Platform struct {
	Env      *stacktest.Env
	Proxy    *Proxy
	Inject   *Injector
	App      *app.App
	API      *apiclient.Client
	Receiver *Receiver
	Sources  Sources

	mu          sync.Mutex
	sqsHooks    map[string]SQSHook
	streamHooks map[string]StreamHook
}

// WebhookRetries is the platform's webhook retry schedule here: the
// production one's shape, compressed into half a minute.
var WebhookRetries = []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 15 * time.Second}

// Start runs the platform until the test ends.
func Start(t testing.TB, env *stacktest.Env) *Platform {
	t.Helper()
	ctx := context.Background()
	proxy, err := StartProxy(aws.ToString(env.AWS.BaseEndpoint))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	rcv, err := StartReceiver()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rcv.Close)
	p := &Platform{Env: env, Proxy: proxy, Inject: NewInjector(uint64(time.Now().UnixNano())), Receiver: rcv,
		sqsHooks: map[string]SQSHook{}, streamHooks: map[string]StreamHook{}}

	// The functions' clients: through the proxy and the injector, with
	// the production retry policy rather than the test emulator's.
	awsCfg := env.AWS.Copy()
	awsCfg.BaseEndpoint = aws.String(proxy.Endpoint())
	awsCfg.Retryer, awsCfg.RetryMaxAttempts = app.Retryer, 0
	p.Inject.Install(&awsCfg)
	cfg := env.Config
	cfg.WebhookRetries = WebhookRetries
	log := logger(t)
	p.App = app.New(cfg, awsCfg, log, app.Options{})

	if err := stack.VerifySender(ctx, env.AWS, cfg.EmailFrom); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p.App.API())
	t.Cleanup(srv.Close)
	p.API = &apiclient.Client{Base: srv.URL, HTTP: &http.Client{Timeout: 60 * time.Second}}

	hs, err := p.App.Handlers()
	if err != nil {
		t.Fatal(err)
	}
	env.Run(t, p.hooked(hs), func(c *localrun.Config) {
		c.FailedVisibility, c.Logger = 500*time.Millisecond, log
	})

	p.Sources = Sources{DynamoDB: dynamodb.NewFromConfig(env.AWS), Table: cfg.TableName, SQS: sqs.NewFromConfig(env.AWS),
		Queues: map[string]string{}, Received: rcv.Received, ReceiverURL: rcv.URL}
	for _, name := range DLQs {
		url, err := env.Stack.QueueURL(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		p.Sources.Queues[name] = url
	}
	return p
}

// logger is the platform's log: the scenarios fail thousands of calls on
// purpose, so its lines go to the test log only when MERCATO_FAULT_LOGS
// is set (`make test-faults MERCATO_FAULT_LOGS=1`, with -v for passing
// runs).
func logger(t testing.TB) *slog.Logger {
	if os.Getenv("MERCATO_FAULT_LOGS") != "" {
		return stacktest.Logger(t)
	}
	return logging.New(io.Discard, slog.LevelError)
}

// hooked puts a hook slot in front of every handler.
func (p *Platform) hooked(h app.Handlers) app.Handlers {
	hookSlots(&p.mu, p.sqsHooks, h.SQS)
	hookSlots(&p.mu, p.streamHooks, h.Stream)
	return h
}

// hookSlots wraps each handler of hs so that the hook registered under its
// name (read under mu at each call, as scenarios change hooks while the
// platform runs) decides what reaches it.
func hookSlots[E, R any, H ~func(context.Context, E) (R, error), K ~func(context.Context, E, H) (R, error)](mu *sync.Mutex, hooks map[string]K, hs map[string]H) {
	for name, next := range hs {
		hs[name] = func(ctx context.Context, in E) (R, error) {
			mu.Lock()
			hook := hooks[name]
			mu.Unlock()
			if hook == nil {
				return next(ctx, in)
			}
			return hook(ctx, in, next)
		}
	}
}

// HookSQS puts hook in front of function fn (a logical id such as
// "DispatcherFunction"); nil removes it.
func (p *Platform) HookSQS(fn string, hook SQSHook) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sqsHooks[fn] = hook
}

// HookStream puts hook in front of stream function fn; nil removes it.
func (p *Platform) HookStream(fn string, hook StreamHook) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.streamHooks[fn] = hook
}

// Heal lifts every fault: toxics, injected errors and hooks.
func (p *Platform) Heal() {
	p.Proxy.Heal()
	p.Inject.Clear()
	p.Receiver.Up()
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.sqsHooks)
	clear(p.streamHooks)
}

// PurgeDLQs empties the DLQs after a scenario that meant to fill them.
func (p *Platform) PurgeDLQs(ctx context.Context) error {
	for _, url := range p.Sources.Queues {
		if _, err := p.Sources.SQS.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(url)}); err != nil {
			return err
		}
	}
	return nil
}
