package scale

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/mercato-dev/mercato/infra/chaos"
	"github.com/mercato-dev/mercato/internal/app"
)

// ReadsReport is the read-path model (issue: Scale II): what a list page
// and a job's largest invocation cost with the tenant at H orders and at
// 10·H. Report-only.
type ReadsReport struct {
	H      int // orders of the tenant at the small size (each of Lines lines)
	Family int // items one seeded order writes
	Lists  []Measure
	Jobs   []Measure
}

// Measure is one list page or one job at the two sizes.
type Measure struct {
	Name  string
	Calls [2]int
	Items [2]int // items DynamoDB read or wrote
	RCU   [2]float64
	WCU   [2]float64
	Took  [2]time.Duration
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
	_, items, err := ScanIDs(ctx, raw, schema.Table)
	if err != nil {
		return nil, err
	}
	c.Learn(items, seed, shared)
	rr := &ReadsReport{H: cfg.ReadsH, Family: c.Family()}
	um, err := newUsageModel(ctx, raw, schema, p, w, seed, customer)
	if err != nil {
		return nil, err
	}
	lists := listEndpoints(w, customer)
	hs, err := a.Handlers(app.FulfillmentFunction, app.BillingFunction)
	if err != nil {
		return nil, err
	}
	jobs := []struct {
		name string
		run  app.ScheduleHandler
	}{
		{"renewal run", hs.Schedule["FulfillmentFunction"]},
		{"billing run", hs.Schedule["BillingFunction"]},
	}
	rr.Lists = make([]Measure, len(lists))
	rr.Jobs = make([]Measure, len(jobs))
	err = atSizes(ctx, c, rec, cfg, cfg.Orders, func(i, size int) error {
		for j, l := range lists {
			rr.Lists[j].Name = l.name
			if err := l.measure(ctx, p, rec, &rr.Lists[j], i); err != nil {
				return err
			}
		}
		for j, job := range jobs {
			rr.Jobs[j].Name = job.name
			rec.Start()
			jctx := rec.Begin(ctx, job.name, 1)
			err := job.run(jctx, events.EventBridgeEvent{ID: fmt.Sprintf("scale-%d", time.Now().UnixNano()), Time: time.Now().UTC()})
			rec.End(jctx)
			// A job that fans out finishes in the invocations it enqueued.
			wait := settle
			if job.name == "billing run" {
				wait = func(ctx context.Context, rec *Recorder, cfg Config) error { return settleBilling(ctx, a, rec, cfg) }
			}
			derr := wait(ctx, rec, cfg)
			calls, invs, rerr := rec.Stop()
			if err = cmpErr(err, derr, rerr); err != nil {
				return fmt.Errorf("scale: %s: %w", job.name, err)
			}
			rr.Jobs[j].setLargest(i, calls, invs)
		}
		return um.measure(ctx, rec, cfg, i, size)
	})
	if err != nil {
		return nil, err
	}
	rr.Lists = append(rr.Lists, um.lists[:]...)
	rr.Jobs = append(rr.Jobs, um.job)
	cat, err := catalogReads(ctx, cfg, rec, raw, schema, c.TTL, p, w)
	if err != nil {
		return nil, err
	}
	rr.Lists = append(rr.Lists, cat...)
	// Report-only: a recovery that could not be measured is said so in
	// its row rather than losing the rest of the report.
	recovery, err := recoveryJob(ctx, cfg, rec, raw, schema, p, w)
	if err != nil {
		recovery.Name = "webhook recovery: not measured: " + err.Error()
	}
	rr.Jobs = append(rr.Jobs, recovery)
	return rr, nil
}

func cmpErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

type listEndpoint struct{ name, path, token string }

// listEndpoints are the lists that grow with a tenant's orders, as each
// side calls them, first page; customer is the seeded order's, whose
// orders and subscriptions grow with the seeding.
func listEndpoints(w *chaos.World, customer string) []listEndpoint {
	v, p, c := w.Vendor.Token.Value, w.Provider.Token.Value, customer
	return []listEndpoint{
		{"vendor GET /public/v1/requests?limit=10", "/public/v1/requests?limit=10", v},
		{"vendor GET /public/v1/requests?status=pending&limit=10", "/public/v1/requests?status=pending&limit=10", v},
		{"vendor GET /public/v1/requests?status=approved&limit=10", "/public/v1/requests?status=approved&limit=10", v},
		{"vendor GET /public/v1/assets?limit=10", "/public/v1/assets?limit=10", v},
		{"provider GET /public/v1/requests?limit=10", "/public/v1/requests?limit=10", p},
		{"provider GET /public/v1/assets?limit=10", "/public/v1/assets?limit=10", p},
		{"provider GET /v1/customers/{id}/orders", "/v1/customers/" + c + "/orders", p},
		{"provider GET /v1/customers/{id}/subscriptions", "/v1/customers/" + c + "/subscriptions", p},
	}
}

// atSizes grows the cloned unit from have copies to each measured size and
// calls measure with the size's row. The relay counts the copies from the
// stream: atSizes lets it finish first, so that its calls are not recorded
// as the measure's.
func atSizes(ctx context.Context, c *Cloner, rec *Recorder, cfg Config, have int, measure func(i, size int) error) error {
	for i, size := range []int{cfg.ReadsH, 10 * cfg.ReadsH} {
		if err := c.Clone(ctx, size-have); err != nil {
			return err
		}
		have = size
		if err := settle(ctx, rec, cfg); err != nil {
			return err
		}
		if err := measure(i, size); err != nil {
			return err
		}
	}
	return nil
}

// measure reads the list's first page once and records it as row i of m.
func (l listEndpoint) measure(ctx context.Context, p *chaos.Platform, rec *Recorder, m *Measure, i int) error {
	rec.Start()
	start := time.Now()
	err := p.API.Call(ctx, http.MethodGet, l.path, l.token, nil, http.StatusOK, nil)
	took := time.Since(start)
	calls, _, rerr := rec.Stop()
	if err = cmpErr(err, rerr); err != nil {
		return fmt.Errorf("scale: %s: %w", l.name, err)
	}
	m.set(i, calls, took)
	return nil
}

func (m *Measure) set(i int, calls []Call, took time.Duration) {
	for _, c := range calls {
		m.Calls[i]++
		m.Items[i] += c.Items
		for _, u := range c.Units {
			m.RCU[i] += u.RCU
			m.WCU[i] += u.WCU
		}
	}
	m.Took[i] = took
}

// setLargest keeps the invocation with the most DynamoDB calls.
func (m *Measure) setLargest(i int, calls []Call, invs map[int64]Invocation) {
	by := map[int64][]Call{}
	for _, c := range calls {
		by[c.Inv] = append(by[c.Inv], c)
	}
	best := int64(-1)
	for id, cs := range by {
		if _, ok := invs[id]; ok && (best < 0 || len(cs) > len(by[best])) {
			best = id
		}
	}
	if best >= 0 {
		m.set(i, by[best], invs[best].Took)
	}
}

// Print writes the read-path tables.
func (rr *ReadsReport) Print(w io.Writer) {
	fmt.Fprintf(w, "\nread path (report only): the tenant at H = %d orders and at 10·H = %d orders, seeded by copying one real order's %d items with fresh ids\n\n",
		rr.H, 10*rr.H, rr.Family)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "list page\tRCU at H\tRCU at 10·H\tratio\titems read\tround trips\t")
	for _, m := range rr.Lists {
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%s\t%d → %d\t%d → %d\t\n", m.Name, m.RCU[0], m.RCU[1], ratio(m.RCU[0], m.RCU[1]), m.Items[0], m.Items[1], m.Calls[0], m.Calls[1])
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "job: largest invocation\tDynamoDB calls\titems\tduration\tratio (items)\tRCU\tWCU\t")
	for _, m := range rr.Jobs {
		fmt.Fprintf(tw, "%s\t%d → %d\t%d → %d\t%s → %s\t%s\t%.1f → %.1f\t%.1f → %.1f\t\n", m.Name, m.Calls[0], m.Calls[1], m.Items[0], m.Items[1],
			m.Took[0].Round(time.Millisecond), m.Took[1].Round(time.Millisecond), ratio(float64(m.Items[0]), float64(m.Items[1])), m.RCU[0], m.RCU[1], m.WCU[0], m.WCU[1])
	}
	tw.Flush()
	fmt.Fprintf(w, "usage: the tenant has H = %d and then %d usage files; the processed file has %d rows at both sizes\n", rr.H, 10*rr.H, usageRows)
}

func ratio(a, b float64) string {
	if a == 0 {
		if b == 0 {
			return "1.00"
		}
		return "∞"
	}
	return fmt.Sprintf("%.2f", b/a)
}
