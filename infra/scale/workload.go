package scale

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/mercato-dev/mercato/infra/apiclient"
	"github.com/mercato-dev/mercato/infra/chaos"
	"github.com/mercato-dev/mercato/infra/localrun"
	"github.com/mercato-dev/mercato/infra/stack"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/config"
)

// Config is a run of the model on a deployed stack.
type Config struct {
	AWS   aws.Config
	Stack *stack.Stack
	App   config.Config // the functions' configuration on that stack
	Log   *slog.Logger

	Orders      int // orders placed while recording
	Lines       int // lines per order (1 or 2: the product's items)
	Customers   int // the hub's customers, ordered for in turn
	Concurrency int // orders in flight
	Warm        int // how many of the last orders and approves count as warm
	Quiet       time.Duration
	Drain       time.Duration // how long the pipeline may take to drain
	Rules       Rules
	// ReadsH, when > 0, runs the read-path model after the write path:
	// the tenant seeded to ReadsH and 10·ReadsH orders (and usage files).
	ReadsH int
	// CatalogH and RecoveryH are the catalog's units and the failed
	// deliveries behind a webhook at H (ReadsH when 0).
	CatalogH, RecoveryH int
	// RenewalH is the seeded orders whose subscriptions come due for
	// renewal within the renewal run's window at H (10·RenewalH at 10·H;
	// 0: none).
	RenewalH int
	// Progress, when set, gets a line per phase of the read model with
	// its time.
	Progress io.Writer
}

func (c *Config) defaults() {
	c.Orders = max(c.Orders, 1)
	c.Lines = min(max(c.Lines, 1), 2)
	c.Customers = max(c.Customers, 1)
	c.Concurrency = max(c.Concurrency, 1)
	if c.Warm <= 0 {
		c.Warm = max(1, c.Orders/4)
	}
	if c.Quiet <= 0 {
		c.Quiet = 3 * time.Second
	}
	if c.Drain <= 0 {
		c.Drain = 2 * time.Minute
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
}

// The default workload, which `make scale`, `make bench` and the README
// quote: enough orders for every customer to order three times (the last
// quarter, counted as warm, orders for customers an instance has seen) and
// for the shards of the sharded lists to fill evenly.
const (
	DefaultOrders      = 48
	DefaultCustomers   = 16
	DefaultConcurrency = 8
)

// The read model's default sizes, which `make scale` and the README quote:
// H orders (and usage files), catalog units and failed deliveries. H is a
// thousand two-line orders, the "thousands"; CI runs -reads 500 to
// keep within its budget (README "The read path"): the billing run at 10·H
// visits every subscription and is most of the read model's time, with the
// webhook recovery's chains of units; a catalog unit is 27 items, which the emulator writes and
// the relay counts at 10·H; and a recovery's failed deliveries must fill
// more than a list page in every one of the webhook's 128 shards at H
// (failedShard), its units of different shards running side by side; a
// renewal opens a renew request, which the whole pipeline carries (about
// 0.8 s of the emulator's each), so 12 come due at H and 120 at 10·H.
const (
	DefaultReadsH    = 1000
	DefaultCatalogH  = 100
	DefaultRecoveryH = 2000
	DefaultRenewalH  = 12
)

// Run builds the platform on the stack with the recorder on its DynamoDB
// client, sets up one vendor and one provider hub (not recorded), then
// records while the hub places the orders, the pipeline drains, the
// vendor approves every request and the pipeline drains again.
func Run(ctx context.Context, cfg Config) (Report, error) {
	cfg.defaults()
	lap := cfg.stopwatch()
	raw := dynamodb.NewFromConfig(cfg.AWS)
	desc, err := raw.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(cfg.App.TableName)})
	if err != nil {
		return Report{}, fmt.Errorf("scale: describe the table: %w", err)
	}
	schema, err := SchemaOf(desc.Table)
	if err != nil {
		return Report{}, err
	}
	rec := NewRecorder(raw, schema, cfg.Rules)
	a := app.New(cfg.App, cfg.AWS, cfg.Log, app.Options{DynamoOptions: []func(*dynamodb.Options){rec.Option}})
	if err := stack.VerifySender(ctx, cfg.AWS, cfg.App.EmailFrom); err != nil {
		return Report{}, err
	}
	rcv, err := chaos.StartReceiver()
	if err != nil {
		return Report{}, err
	}
	defer rcv.Close()
	sh := Shaper{Names: map[string]string{}}
	srv := httptest.NewServer(rec.HTTP(a.API(), sh))
	defer srv.Close()
	stop, err := runPipeline(ctx, cfg, a, rec)
	if err != nil {
		return Report{}, err
	}
	defer stop()

	// A generous timeout: at the read model's larger size, today's lists
	// read whole partitions, and a page that takes minutes is a finding.
	p := &chaos.Platform{App: a, API: &apiclient.Client{Base: srv.URL, HTTP: &http.Client{Timeout: 5 * time.Minute}}, Receiver: rcv}
	w, err := p.NewWorld(ctx, cfg.Customers)
	if err != nil {
		return Report{}, fmt.Errorf("scale: set up the vendor and the hub: %w", err)
	}
	sh.Names[w.Vendor.ID], sh.Names[w.Provider.ID] = "<vendor>", "<provider>"
	if err := drain(ctx, rec, cfg); err != nil {
		return Report{}, err
	}
	var shared map[string]bool
	if cfg.ReadsH > 0 {
		if shared, _, err = ScanIDs(ctx, raw, schema.Table); err != nil {
			return Report{}, err
		}
	}

	rec.Start()
	seed, customer, err := placeOrders(ctx, p, w, cfg)
	if err != nil {
		rec.Stop()
		return Report{}, err
	}
	if err := drain(ctx, rec, cfg); err != nil {
		return Report{}, err
	}
	if err := approveAll(ctx, p, w, cfg.Orders*cfg.Lines); err != nil {
		rec.Stop()
		return Report{}, err
	}
	if err := drain(ctx, rec, cfg); err != nil {
		return Report{}, err
	}
	calls, invs, err := rec.Stop()
	if err != nil {
		return Report{}, err
	}
	rep := Build(calls, invs, sh, cfg.Orders, cfg.Warm)
	rep.Lines, rep.Customers = cfg.Lines, cfg.Customers
	lap("the write path")
	if cfg.ReadsH > 0 {
		if rep.Reads, err = readsModel(ctx, cfg, rec, raw, schema, a, p, w, shared, seed, customer); err != nil {
			return Report{}, err
		}
	}
	return rep, nil
}

// runPipeline drives the stack's event sources with the app's handlers,
// each invocation labelled with its function.
func runPipeline(ctx context.Context, cfg Config, a *app.App, rec *Recorder) (func(), error) {
	hs, err := a.Handlers()
	if err != nil {
		return nil, err
	}
	rt, err := localrun.New(localrun.Config{AWS: cfg.AWS, Stack: cfg.Stack, Handlers: rec.Handlers(hs),
		Logger: cfg.Log, PollWait: 200 * time.Millisecond})
	if err != nil {
		return nil, err
	}
	rec.Follow(rt.QuietSince)
	rtCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- rt.Run(rtCtx) }()
	return func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			cfg.Log.Error("scale: event sources", slog.Any("err", err))
		}
	}, nil
}

// drain waits until every event source has handled what there was when it
// was called (the relay has read every stream record, however long the
// stream's backlog takes to read) and no function has called DynamoDB for
// cfg.Quiet, so that the last consumer's work is done too.
func drain(ctx context.Context, rec *Recorder, cfg Config) error {
	since := time.Now()
	deadline := since.Add(cfg.Drain)
	for rec.Idle() < cfg.Quiet || !rec.Drained(since) {
		if time.Now().After(deadline) {
			return fmt.Errorf("scale: the pipeline did not drain within %s", cfg.Drain)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return nil
}

// orderBody is an order of lines lines, one per item of the product.
func orderBody(w *chaos.World, lines, i int) map[string]any {
	items := []chaos.Item{w.Reservation, w.PPU}
	var li []any
	for n := range lines {
		li = append(li, map[string]any{"offerId": w.Offer(items[n]), "quantity": 1 + (i+n)%5, "lineItemNumber": n})
	}
	return map[string]any{"lineItems": li, "billingCycle": "monthly"}
}

// placeOrders places cfg.Orders orders and returns the first placed:
// its id and its customer.
func placeOrders(ctx context.Context, p *chaos.Platform, w *chaos.World, cfg Config) (seed, customer string, err error) {
	run := fmt.Sprintf("scale-%d", time.Now().UnixNano())
	var once sync.Once
	next := make(chan int)
	errs := make(chan error, cfg.Concurrency)
	var wg sync.WaitGroup
	for range cfg.Concurrency {
		wg.Go(func() {
			for i := range next {
				cust := w.Customers[i%len(w.Customers)]
				placed, err := p.PlaceOrder(ctx, w, cust, fmt.Sprintf("%s-%d", run, i), orderBody(w, cfg.Lines, i), 5)
				if err != nil {
					errs <- err
					return
				}
				once.Do(func() { seed, customer = placed.OrderID, cust })
			}
		})
	}
feed:
	for i := range cfg.Orders {
		select {
		case next <- i:
		case err = <-errs:
			break feed
		}
	}
	close(next)
	wg.Wait()
	close(errs)
	return seed, customer, errors.Join(err, <-errs)
}

// approveAll approves pending requests until want have been approved.
func approveAll(ctx context.Context, p *chaos.Platform, w *chaos.World, want int) error {
	got := 0
	for tries := 0; got < want; tries++ {
		n, err := p.ApprovePending(ctx, w)
		if err != nil {
			return err
		}
		got += n
		if n == 0 && tries > 20 {
			return fmt.Errorf("scale: %d of %d requests approved; no more pending", got, want)
		}
		if n == 0 {
			time.Sleep(500 * time.Millisecond)
		}
	}
	return nil
}

// HTTP labels each API request with its operation: "order", "approve", or
// its method and route.
func (r *Recorder) HTTP(next http.Handler, sh Shaper) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ctx := r.Begin(req.Context(), apiOp(req.Method, req.URL.Path, sh), 1)
		defer r.End(ctx)
		next.ServeHTTP(w, req.WithContext(ctx))
	})
}

// apiNames name the requests the model is about.
var apiNames = map[string]string{
	"POST /v1/customers/<id>/orders":        "order",
	"POST /public/v1/requests/<id>/approve": "approve",
	"GET /public/v1/requests":               "list requests",
}

func apiOp(method, path string, sh Shaper) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = sh.segment(s)
	}
	route := method + " " + strings.Join(segs, "/")
	if name, ok := apiNames[route]; ok {
		return name
	}
	return "api " + route
}

// Handlers labels every handler invocation with its function: the
// RelayFunction's batches are "relay batch", and so on.
func (r *Recorder) Handlers(h app.Handlers) app.Handlers {
	for name, next := range h.SQS {
		op := batchOp(name)
		h.SQS[name] = func(ctx context.Context, in events.SQSEvent) (events.SQSEventResponse, error) {
			inv := Invocation{Op: op, Function: name, Records: len(in.Records)}
			for _, m := range in.Records {
				inv.Messages = append(inv.Messages, messageOf(m.Body))
			}
			ctx = r.begin(ctx, inv)
			defer r.End(ctx)
			return next(ctx, in)
		}
	}
	for name, next := range h.Stream {
		op := batchOp(name)
		h.Stream[name] = func(ctx context.Context, in events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
			ctx = r.begin(ctx, Invocation{Op: op, Function: name, Records: len(in.Records)})
			defer r.End(ctx)
			return next(ctx, in)
		}
	}
	for name, next := range h.Schedule {
		op := strings.ToLower(strings.TrimSuffix(name, "Function")) + " schedule"
		h.Schedule[name] = func(ctx context.Context, in events.EventBridgeEvent) error {
			ctx = r.begin(ctx, Invocation{Op: op, Function: name, Records: 1})
			defer r.End(ctx)
			return next(ctx, in)
		}
	}
	return h
}

func batchOp(function string) string {
	return strings.ToLower(strings.TrimSuffix(function, "Function")) + " batch"
}
