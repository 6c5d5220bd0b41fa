package scale

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/mercato-dev/mercato/infra/apiclient"
	"github.com/mercato-dev/mercato/infra/chaos"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/webhook"
)

// ReadsReport is the read-path model (issue: Scale II): what a list page
// and a job's largest invocation cost with the tenant at H orders and at
// 10·H, and what they come to at the README's stated limits.
type ReadsReport struct {
	H      int // orders of the tenant at the small size (each of Lines lines)
	Lines  int
	Family int // items one seeded order writes
	Lists  []Measure
	Jobs   []Measure
	// Sizes say what H counts in each part of the model.
	Sizes []string
	// Timeouts are the functions' timeouts (template.yaml), by logical id.
	Timeouts map[string]time.Duration
}

// Measure is one list page or one job at the two sizes.
type Measure struct {
	Name     string
	Function string // a job's function (its logical id)
	Calls    [2]int
	Items    [2]int // items DynamoDB read or wrote
	RCU      [2]float64
	WCU      [2]float64
	Took     [2]time.Duration // on the emulator, with the recorder reading around every write
	// AWS is the calls at DynamoDB's latencies (callLatency), one after
	// another.
	AWS  [2]time.Duration
	Seen [2]bool
	// A list page's answer, and the largest page its API allows.
	Bytes, Rows [2]int
	MaxPage     int
	// A job at the stated limits: its largest invocation there is Scale
	// times the one measured at 10·H (1: a unit bounded by its page, as
	// measured), with InFlight calls at a time (0 or 1: one after
	// another). Bound says what bounds it.
	Scale    float64
	InFlight int
	Bound    string
	// Grows, when set, says why the ratio is not held to the target: the
	// job's unit, or the list's read, grows with the tenant up to a bound
	// larger than the model's sizes.
	Grows string
}

// readsModel seeds the tenant of w to h and then 10·h orders by cloning
// order seed's items and measures every list and job at each size.
func readsModel(ctx context.Context, cfg Config, rec *Recorder, raw *dynamodb.Client, schema Schema, a *app.App, p *chaos.Platform, w *chaos.World,
	shared map[string]bool, seed, customer string) (*ReadsReport, error) {
	ttl, err := raw.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(schema.Table)})
	if err != nil {
		return nil, fmt.Errorf("scale: describe the table's TTL: %w", err)
	}
	c := &Cloner{Raw: raw, Schema: schema}
	if d := ttl.TimeToLiveDescription; d != nil {
		c.TTL = aws.ToString(d.AttributeName)
	}
	ids, items, err := ScanIDs(ctx, raw, schema.Table)
	if err != nil {
		return nil, err
	}
	c.Learn(items, seed, shared)
	rr := &ReadsReport{H: cfg.ReadsH, Lines: cfg.Lines, Family: c.Family(), Timeouts: timeouts(cfg)}
	due, renew := dueRenewals(c, cfg.ReadsH-cfg.Orders, cfg.RenewalH, time.Now())
	if renew {
		c.Vary = due.vary
	}
	// The catalog's unit now, while the table holds the write path's
	// orders only: learning its items scans the table.
	cm, err := newCatalogModel(ctx, cfg, rec, raw, schema, c.TTL, p, w, ids)
	if err != nil {
		return nil, err
	}
	um, err := newUsageModel(ctx, raw, schema, p, w, seed, customer)
	if err != nil {
		return nil, err
	}
	lists := listEndpoints(w, customer)
	hs, err := a.Handlers(app.FulfillmentFunction, app.BillingFunction)
	if err != nil {
		return nil, err
	}
	hs = rec.Handlers(hs)
	js := &jobSet{}
	ex := &exportModel{a: a, p: p, w: w, part: cfg.App.ExportPartBytes}
	rr.Lists = make([]Measure, len(lists))
	err = atSizes(ctx, c, rec, cfg, cfg.ReadsH, cfg.Orders, func(i, size int) error {
		// At H, a billing run first, unmeasured, so that the measured
		// runs find what a run at 10·H finds: the provider's invoice
		// written and the subscriptions of H billed before (a step that
		// re-rates a page reads and replaces its old lines: more items
		// than a page billed for the first time).
		if i == 0 {
			if err := runSchedule(ctx, a, rec, cfg, &jobSet{}, 0, "BillingFunction", hs.Schedule["BillingFunction"]); err != nil {
				return err
			}
		}
		// The renewals before the lists: they open renew requests, which
		// the pending list then holds at both sizes (measured before them
		// at H, it would be empty at H only).
		if err := runSchedule(ctx, a, rec, cfg, js, i, "FulfillmentFunction", hs.Schedule["FulfillmentFunction"]); err != nil {
			return err
		}
		lap := cfg.stopwatch()
		for j, l := range lists {
			if err := l.measure(ctx, p, rec, &rr.Lists[j], i); err != nil {
				return err
			}
		}
		lap("the order lists")
		if err := runSchedule(ctx, a, rec, cfg, js, i, "BillingFunction", hs.Schedule["BillingFunction"]); err != nil {
			return err
		}
		lap = cfg.stopwatch()
		if err := ex.measure(ctx, rec, cfg, js, i); err != nil {
			return err
		}
		lap("the export and the line items")
		if err := um.measure(ctx, rec, cfg, js, i, size); err != nil {
			return err
		}
		lap("the usage files and a file processed")
		return nil
	})
	if err != nil {
		return nil, err
	}
	rr.Lists = append(rr.Lists, ex.list)
	rr.Lists = append(rr.Lists, um.lists[:]...)
	// The catalog before the recovery: the recovery's copies (five items
	// a failed delivery, 100,000 at 10·H) are the most the table grows by,
	// and its recovery the longest a drain waits (every unit's continuation
	// crosses the relay), so the recovery is the model's last stage.
	lap := cfg.stopwatch()
	cat, err := cm.measure(ctx, cfg, rec)
	lap("the catalog at both sizes")
	if err != nil {
		return nil, err
	}
	deliveries, err := recoveryJob(ctx, cfg, rec, raw, schema, p, w, js)
	if err != nil {
		return nil, err
	}
	rr.Lists = append(rr.Lists, cat...)
	rr.Lists = append(rr.Lists, deliveries)
	rr.Jobs = js.measures()
	um.bound(rr.Jobs)
	ex.bound(rr.Jobs)
	boundRecovery(rr.Jobs, sqsBatch(cfg, "DispatcherFunction"), cfg.App.RecoveryPage,
		slices.Min(failedPlaced(recoveryH(cfg), webhook.DefaultDeliveryShards, 0)))
	if renew {
		boundRenewal(rr.Jobs, cfg.App.RenewalPage, due.most*due.dueOf(cfg.ReadsH-cfg.Orders), due.most*due.dueOf(10*cfg.ReadsH-cfg.Orders))
	}
	boundBillingClose(rr.Jobs)
	rr.Sizes = []string{
		fmt.Sprintf("orders: H = %d orders of %d lines (%d requests and subscriptions; %d items) and 10·H = %d (%d requests)",
			cfg.ReadsH, cfg.Lines, cfg.ReadsH*cfg.Lines, cfg.ReadsH*c.Family(), 10*cfg.ReadsH, 10*cfg.ReadsH*cfg.Lines),
		fmt.Sprintf("usage files: H = %d files and 10·H = %d; the processed file has %d rows at both sizes", cfg.ReadsH, 10*cfg.ReadsH, usageRows),
		fmt.Sprintf("catalog: H = %d units (a marketplace, a product, its listing request and listing) and 10·H = %d", catalogH(cfg), 10*catalogH(cfg)),
		fmt.Sprintf("webhook deliveries: H = %d failed deliveries and 10·H = %d, spread over the webhook's %d failed-index shards, one in %d in the real one's", recoveryH(cfg), 10*recoveryH(cfg),
			webhook.DefaultDeliveryShards, failedToReal),
	}
	if renew {
		rr.Sizes = append(rr.Sizes, fmt.Sprintf("renewals: one order copy in %d ends its commitment on %s, not %s: %d orders due at H and %d at 10·H (the fullest shard of the day: %d and %d subscriptions)",
			due.every, due.due, due.end, due.dueOf(cfg.ReadsH-cfg.Orders), due.dueOf(10*cfg.ReadsH-cfg.Orders), due.most*due.dueOf(cfg.ReadsH-cfg.Orders), due.most*due.dueOf(10*cfg.ReadsH-cfg.Orders)))
	}
	return rr, nil
}

// runSchedule runs function fn's schedule once, as EventBridge would, and
// observes every job invocation until the work it started has ended: a
// schedule that fans out finishes in the units it enqueued, and a billing
// run's units follow each other.
func runSchedule(ctx context.Context, a *app.App, rec *Recorder, cfg Config, js *jobSet, i int, fn string, run app.ScheduleHandler) error {
	start := time.Now()
	rec.Start()
	err := run(ctx, events.EventBridgeEvent{ID: fmt.Sprintf("scale-%d", time.Now().UnixNano()), Time: time.Now().UTC()})
	derr := settleBilling(ctx, a, rec, cfg)
	calls, invs, rerr := rec.Stop()
	if err = cmpErr(err, derr, rerr); err != nil {
		return fmt.Errorf("scale: the %s schedule: %w", fn, err)
	}
	js.observe(i, calls, invs)
	cfg.progress("scale: the %s schedule and the work it started: %d invocations in %s", fn, len(invs), time.Since(start).Round(100*time.Millisecond))
	return nil
}

// timeouts are the functions' timeouts, from the template deployed.
func timeouts(cfg Config) map[string]time.Duration {
	out := map[string]time.Duration{}
	if cfg.Stack == nil || cfg.Stack.Template == nil {
		return out
	}
	for _, fn := range cfg.Stack.Template.Functions() {
		out[fn.LogicalID] = time.Duration(fn.Timeout) * time.Second
	}
	return out
}

// sqsBatch is the batch size of function fn's SQS event source, from
// the template deployed (1 when there is none).
func sqsBatch(cfg Config, fn string) int {
	if cfg.Stack == nil || cfg.Stack.Template == nil {
		return 1
	}
	for _, f := range cfg.Stack.Template.Functions() {
		if f.LogicalID != fn {
			continue
		}
		for _, e := range f.Events {
			if e.SQS != nil {
				return max(e.SQS.BatchSize, 1)
			}
		}
	}
	return 1
}

func cmpErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

type listEndpoint struct {
	name, path, token string
	maxPage           int // the largest page the list allows (its `limit` or `size`)
}

// The largest pages the API allows: `limit` of the Connect-style lists,
// `size` of the Partner Center collections (README "The API").
const (
	maxLimit  = 1000
	maxPCSize = 500
)

// listEndpoints are the lists that grow with a tenant's orders, as each
// side calls them, first page; customer is the seeded order's, whose
// orders and subscriptions grow with the seeding.
func listEndpoints(w *chaos.World, customer string) []listEndpoint {
	v, p, c := w.Vendor.Token.Value, w.Provider.Token.Value, customer
	return []listEndpoint{
		{"vendor GET /public/v1/requests?limit=10", "/public/v1/requests?limit=10", v, maxLimit},
		{"vendor GET /public/v1/requests?status=pending&limit=10", "/public/v1/requests?status=pending&limit=10", v, maxLimit},
		{"vendor GET /public/v1/requests?status=approved&limit=10", "/public/v1/requests?status=approved&limit=10", v, maxLimit},
		{"vendor GET /public/v1/assets?limit=10", "/public/v1/assets?limit=10", v, maxLimit},
		{"provider GET /public/v1/requests?limit=10", "/public/v1/requests?limit=10", p, maxLimit},
		{"provider GET /public/v1/assets?limit=10", "/public/v1/assets?limit=10", p, maxLimit},
		{"provider GET /v1/customers?size=10", "/v1/customers?size=10", p, maxPCSize},
		{"provider GET /v1/customers/{id}/orders?size=10", "/v1/customers/" + c + "/orders?size=10", p, maxPCSize},
		{"provider GET /v1/customers/{id}/subscriptions?size=10", "/v1/customers/" + c + "/subscriptions?size=10", p, maxPCSize},
	}
}

// atSizes grows the cloned unit from have copies to each measured size and
// calls measure with the size's row. The relay counts the copies from the
// stream: atSizes lets it finish first, so that its calls are not recorded
// as the measure's.
func atSizes(ctx context.Context, c *Cloner, rec *Recorder, cfg Config, h, have int, measure func(i, size int) error) error {
	for i, size := range []int{h, 10 * h} {
		start := time.Now()
		if err := c.Clone(ctx, size-have); err != nil {
			return err
		}
		copied := time.Now()
		have = size
		rec.Touch()
		if err := settle(ctx, rec, cfg); err != nil {
			return err
		}
		settled := time.Now()
		if err := measure(i, size); err != nil {
			return err
		}
		cfg.progress("scale: %d copies of %d items: written in %s, relayed in %s, measured in %s", size, c.Family(),
			copied.Sub(start).Round(100*time.Millisecond), settled.Sub(copied).Round(100*time.Millisecond), time.Since(settled).Round(100*time.Millisecond))
	}
	return nil
}

// stopwatch returns a function that prints, as progress, what it is told
// was done and how long it took since the last call (or since stopwatch).
func (c Config) stopwatch() func(what string) {
	last := time.Now()
	return func(what string) {
		c.progress("scale: %s in %s", what, time.Since(last).Round(100*time.Millisecond))
		last = time.Now()
	}
}

func (c Config) progress(format string, args ...any) {
	if c.Progress != nil {
		fmt.Fprintf(c.Progress, format+"\n", args...)
	}
}

// measure reads the list's first page and records the second read as row
// i of m. The first read warms the token's authentication (cached for 30 s,
// README "Instance caches"): seeding 10·H takes longer than that, so a
// single read would be charged the token's GetItem at one size and not at
// the other. Lists themselves are never cached, so the second read costs
// what every page read by a warm instance costs.
func (l listEndpoint) measure(ctx context.Context, p *chaos.Platform, rec *Recorder, m *Measure, i int) error {
	m.Name, m.MaxPage = l.name, l.maxPage
	if _, _, err := p.API.Send(ctx, http.MethodGet, l.path, l.token, nil); err != nil {
		return fmt.Errorf("scale: %s: warm: %w", l.name, err)
	}
	rec.Start()
	start := time.Now()
	status, body, err := p.API.Send(ctx, http.MethodGet, l.path, l.token, nil)
	took := time.Since(start)
	calls, invs, rerr := rec.Stop()
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("GET %s answered %d: %s", l.path, status, apiclient.Truncate(body))
	}
	if err = cmpErr(err, rerr); err != nil {
		return fmt.Errorf("scale: %s: %w", l.name, err)
	}
	m.set(i, requestCalls(calls, invs), took)
	m.Bytes[i], m.Rows[i] = len(body), rowsOf(body)
	return nil
}

// requestCalls are the calls of the API's requests: not those of a
// relay or queue batch that ran while the page was read.
func requestCalls(calls []Call, invs map[int64]Invocation) []Call {
	var out []Call
	for _, c := range calls {
		if inv, ok := invs[c.Inv]; ok && inv.Function == "" {
			out = append(out, c)
		}
	}
	return out
}

// rowsOf counts a list answer's rows: a JSON array, or the items of a
// Partner Center collection.
func rowsOf(body []byte) int {
	var rows []json.RawMessage
	if json.Unmarshal(body, &rows) == nil {
		return len(rows)
	}
	var pc struct {
		Items []json.RawMessage `json:"items"`
	}
	if json.Unmarshal(body, &pc) == nil {
		return len(pc.Items)
	}
	return 0
}

// set records calls as size i's: the invocation or page that made them.
func (m *Measure) set(i int, calls []Call, took time.Duration) {
	m.Calls[i], m.Items[i], m.RCU[i], m.WCU[i], m.AWS[i] = 0, 0, 0, 0, 0
	for _, c := range calls {
		m.Calls[i]++
		m.Items[i] += c.Items
		m.AWS[i] += callLatency(c.Name)
		for _, u := range c.Units {
			m.RCU[i] += u.RCU
			m.WCU[i] += u.WCU
		}
	}
	m.Took[i], m.Seen[i] = took, true
}
