package billing_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/billing"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/layout"
	"github.com/mercato-dev/mercato/internal/usage"
)

// countingAPI keeps the job.billing events of the transactions that
// committed through it: the units the relay would publish, without
// scanning the table for them. calls counts the app's DynamoDB calls, and
// read the items its reads returned.
type countingAPI struct {
	dynamo.API
	calls     *dynamo.Counter
	mu        sync.Mutex
	committed []dynamo.EventItem
	read      int
}

// reset forgets the calls and the items read.
func (c *countingAPI) reset() {
	c.calls.Reset()
	c.mu.Lock()
	c.read = 0
	c.mu.Unlock()
}

// itemsRead is how many items the reads returned since the last reset.
func (c *countingAPI) itemsRead() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.read
}

func (c *countingAPI) count(n int) {
	c.mu.Lock()
	c.read += n
	c.mu.Unlock()
}

func (c *countingAPI) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	out, err := c.API.GetItem(ctx, in, o...)
	if err == nil && out.Item != nil {
		c.count(1)
	}
	return out, err
}

func (c *countingAPI) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	out, err := c.API.Query(ctx, in, o...)
	if err == nil {
		c.count(len(out.Items))
	}
	return out, err
}

func (c *countingAPI) TransactGetItems(ctx context.Context, in *dynamodb.TransactGetItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactGetItemsOutput, error) {
	out, err := c.API.TransactGetItems(ctx, in, o...)
	if err == nil {
		for _, r := range out.Responses {
			if r.Item != nil {
				c.count(1)
			}
		}
	}
	return out, err
}

func (c *countingAPI) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	out, err := c.API.BatchGetItem(ctx, in, o...)
	if err == nil {
		for _, items := range out.Responses {
			c.count(len(items))
		}
	}
	return out, err
}

// take removes and returns the committed units of provider.
func (c *countingAPI) take(t *testing.T, provider string) []events.SQSMessage {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []events.SQSMessage
	kept := c.committed[:0]
	for _, it := range c.committed {
		var u billing.Unit
		if err := json.Unmarshal([]byte(it.Data), &u); err != nil {
			t.Fatal(err)
		}
		if u.Provider != provider {
			kept = append(kept, it)
			continue
		}
		out = append(out, stacktest.Message(t, it))
	}
	c.committed = kept
	return out
}

func (c *countingAPI) keep(items []types.TransactWriteItem) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ti := range items {
		if ti.Put == nil {
			continue
		}
		var it dynamo.EventItem
		if err := attributevalue.UnmarshalMap(ti.Put.Item, &it); err != nil {
			return err
		}
		if strings.HasPrefix(it.PK, dynamo.EventPrefix) && it.Type == string(event.JobBilling) {
			c.committed = append(c.committed, it)
		}
	}
	return nil
}

func (c *countingAPI) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	out, err := c.API.TransactWriteItems(ctx, in, o...)
	if err == nil {
		err = c.keep(in.TransactItems)
	}
	return out, err
}

// countedApp is an app at clock whose DynamoDB calls are counted, with a
// countingAPI in front of its table before any handler is built on it.
func countedApp(t *testing.T) (*app.App, *countingAPI) {
	t.Helper()
	calls := dynamo.NewCounter()
	a := stacktest.Shared(t).App(t, app.Options{Now: func() time.Time { return clock }, DynamoOptions: []func(*dynamodb.Options){calls.Option}})
	c := &countingAPI{API: a.Table.Client, calls: calls}
	a.Table.Client = c
	return a, c
}

// unitKind is what a unit does: "run" (a start or an invoice step),
// "assets" (a page of an asset shard's lane) or "usage" (a page of the
// usage lane).
func unitKind(t *testing.T, msg events.SQSMessage) string {
	t.Helper()
	switch u := unit(t, msg); {
	case u.Fan == 0:
		return "run"
	case u.Lane >= layout.Shards:
		return "usage"
	}
	return "assets"
}

// runCounted drives provider's run through the billing function's handler
// one message at a time, each delivered twice (the duplicate must do
// nothing), and returns the most DynamoDB calls one unit of each kind
// made, and how many units of each kind there were.
func runCounted(t *testing.T, a *app.App, c *countingAPI, provider string) (most, units map[string]int) {
	t.Helper()
	h := queueHandler(t, a)
	most, units = map[string]int{}, map[string]int{}
	for range 1000 {
		batch := c.take(t, provider)
		if len(batch) == 0 {
			return most, units
		}
		for _, msg := range batch {
			kind := unitKind(t, msg)
			c.calls.Reset()
			if failed := deliver(t, h, msg); len(failed) != 0 {
				t.Fatalf("%s unit failed", kind)
			}
			most[kind] = max(most[kind], c.calls.Total())
			units[kind]++
			if failed := deliver(t, h, msg); len(failed) != 0 {
				t.Fatalf("duplicate %s unit failed", kind)
			}
		}
	}
	t.Fatal("the run did not end in 1000 rounds")
	return nil, nil
}

// wantN is the invoices of n assets seeded by seedProvider.
func wantN(provider string, n int) []string {
	var amounts []string
	total := 0
	for i := range n {
		amounts = append(amounts, fmt.Sprintf("%d.00", 10*(1+i%5)))
		total += 10 * (1 + i%5)
	}
	slices.Sort(amounts)
	lines := "[" + strings.Join(amounts, " ") + "]"
	var out []string
	for _, p := range []struct{ month, status string }{{"202511", "closed"}, {"202512", "closed"}, {"202601", "open"}} {
		out = append(out, fmt.Sprintf("%s %s %d.00 lines=%d %s", invoiceID(provider, p.month), p.status, total, n, lines))
	}
	return out
}

// TestRun_CallsPerUnit: two providers, 8 and 80 assets over two shards,
// billed through the queue 4 assets a unit (1 lane and 10): no unit of the
// larger makes more DynamoDB calls than the smaller's (a unit's calls are
// its page's, not the provider's), and both invoices are exact.
func TestRun_CallsPerUnit(t *testing.T) {
	a, c := countedApp(t)
	sizes := map[string]int{"PA-401-401": 8, "PA-402-402": 80}
	most, units := map[string]map[string]int{}, map[string]map[string]int{}
	for p, n := range sizes {
		seedProvider(t, a, p, n)
		if err := biller(t, a, 4).Start(context.Background(), p); err != nil {
			t.Fatal(err)
		}
		most[p], units[p] = runCounted(t, a, c, p)
		if diff := cmp.Diff(wantN(p, n), summary(t, biller(t, a, 0), p)); diff != "" {
			t.Errorf("%d assets (-want +got):\n%s", n, diff)
		}
	}
	small, large := most["PA-401-401"], most["PA-402-402"]
	t.Logf("most calls of one unit: 8 assets %v, 80 assets %v; units %v, %v", small, large, units["PA-401-401"], units["PA-402-402"])
	for _, kind := range []string{"run", "assets"} {
		if large[kind] == 0 || large[kind] > small[kind] {
			t.Errorf("%s unit: %d calls at 80 assets, %d at 8", kind, large[kind], small[kind])
		}
	}
	// Per period: 8 assets are one lane of 3 units (shard 0, shards 1–16,
	// the rest); 80 are 10 lanes, two of 11 units (10 pages of shard 0 or
	// 16 and the rest of their shards) and 8 of one.
	for p, want := range map[string]int{"PA-401-401": 3 * 3, "PA-402-402": 3 * (2*11 + 8)} {
		if got := units[p]["assets"]; got != want {
			t.Errorf("%s: %d asset units, want %d", p, got, want)
		}
	}
}

// invoiceCost is what a run's invoice steps cost: the most DynamoDB calls
// of one, by operation, and the most items one read.
type invoiceCost struct {
	calls map[string]int
	items int
}

// invoiceSteps drives provider's run through the billing function's
// handler one message at a time, each delivered twice (the duplicate must
// do nothing), and returns what its invoice steps cost and how many lanes
// its first fan-out started.
func invoiceSteps(t *testing.T, a *app.App, c *countingAPI, provider string) (invoiceCost, int) {
	t.Helper()
	h := queueHandler(t, a)
	cost, lanes := invoiceCost{calls: map[string]int{}}, 0
	for round := range 1000 {
		batch := c.take(t, provider)
		if len(batch) == 0 {
			return cost, lanes
		}
		for _, msg := range batch {
			u := unit(t, msg)
			if u.Fan > 0 && u.Step == 0 && round == 1 {
				lanes++
			}
			c.reset()
			if failed := deliver(t, h, msg); len(failed) != 0 {
				t.Fatalf("unit %+v failed", u)
			}
			if u.Fan == 0 && u.Step > 0 {
				if c.calls.Total() > total(cost.calls) {
					cost.calls = c.calls.Calls()
				}
				cost.items = max(cost.items, c.itemsRead())
			}
			if failed := deliver(t, h, msg); len(failed) != 0 {
				t.Fatalf("duplicate of unit %+v failed", u)
			}
		}
	}
	t.Fatal("the run did not end in 1000 rounds")
	return cost, 0
}

func total(calls map[string]int) int {
	n := 0
	for _, v := range calls {
		n += v
	}
	return n
}

// TestRun_InvoiceStepReads: a run's invoice step reads the run item, not
// its lanes' items: with one lane (2 assets in one shard) and with 8 (32
// assets over every shard, 2 a page), each invoice step makes the same
// DynamoDB calls and reads the same items, and both invoices are exact.
func TestRun_InvoiceStepReads(t *testing.T) {
	a, c := countedApp(t)
	sizes := []struct {
		provider      string
		assets, lanes int
		shards        int
	}{{"PA-801-801", 2, 1, 1}, {"PA-802-802", 32, 8, layout.Shards}}
	costs := make([]invoiceCost, len(sizes))
	for i, s := range sizes {
		seedProviderOver(t, a, s.provider, s.assets, s.shards)
		if err := biller(t, a, 2).Start(context.Background(), s.provider); err != nil {
			t.Fatal(err)
		}
		var lanes int
		costs[i], lanes = invoiceSteps(t, a, c, s.provider)
		if lanes != s.lanes {
			t.Errorf("%d assets: %d lanes, want %d", s.assets, lanes, s.lanes)
		}
		if diff := cmp.Diff(wantN(s.provider, s.assets), summary(t, biller(t, a, 0), s.provider)); diff != "" {
			t.Errorf("%d assets (-want +got):\n%s", s.assets, diff)
		}
	}
	t.Logf("an invoice step: 1 lane %v calls, %d items read; 8 lanes %v, %d", costs[0].calls, costs[0].items, costs[1].calls, costs[1].items)
	if costs[0].items == 0 {
		t.Error("the invoice step read no item")
	}
	if diff := cmp.Diff(costs[0].calls, costs[1].calls); diff != "" {
		t.Errorf("an invoice step's calls (-1 lane +8 lanes):\n%s", diff)
	}
	if costs[1].items != costs[0].items {
		t.Errorf("an invoice step read %d items with 8 lanes, %d with 1", costs[1].items, costs[0].items)
	}
}

// usageRecord is a usage record as the usage function stores it.
type usageRecord struct {
	PK       string `dynamodbav:"pk"`
	SK       string `dynamodbav:"sk"`
	Entity   string `dynamodbav:"entity"`
	ID       string `dynamodbav:"id"`
	RecordID string `dynamodbav:"record_id"`
	ItemID   string `dynamodbav:"item_id"`
	ItemMPN  string `dynamodbav:"item_mpn"`
	AssetID  string `dynamodbav:"asset_id"`
	Quantity string `dynamodbav:"quantity"`
	Price    string `dynamodbav:"price"`
	Start    string `dynamodbav:"start"`
	End      string `dynamodbav:"end"`
	Row      int    `dynamodbav:"row"`
}

// seedUsageFile writes an accepted usage file of provider, claimed into
// January 2026, of n records (TEST-ONLY rows, as the usage function and
// the claim would leave them): record i costs (1+i%7) × 0.25 USD. It
// returns the file's total.
func seedUsageFile(t *testing.T, a *app.App, provider, fileID string, n int) decimal.Decimal {
	t.Helper()
	ctx := context.Background()
	accepted := clock.Add(-time.Hour)
	f := usage.Stored{File: usage.File{ID: fileID, Name: fileID, Status: usage.StatusAccepted, Currency: "USD",
		Product: usage.Ref{ID: "PRD-000-000-001"}, Marketplace: usage.Ref{ID: "MP-00001"}, Vendor: usage.Ref{ID: "VA-000-001"},
		Provider: usage.Ref{ID: provider}, Stats: usage.Stats{Records: n}, Created: accepted, Updated: accepted, Accepted: &accepted},
		Rev: 1, Gen: 1, RecordsGen: 1, RecordShards: layout.UsageRecordShards, Claimed: true, BillingPeriod: "2026-01"}
	if err := a.UsageStore().Create(ctx, f, accepted); err != nil {
		t.Fatal(err)
	}
	w := usage.NewBatchWriter(ctx, a.Table, 4)
	total := decimal.Zero
	for i := range n {
		qty := 1 + i%7
		r := usageRecord{PK: dynamo.ShardKey(layout.UsageRecords(fileID, layout.UsageRecordShards).Prefix, layout.RecordShard(i, layout.UsageRecordShards)),
			SK: usage.RecordSK(1, i), Entity: "usage_record", ID: usage.RecordID(fileID, i), RecordID: fmt.Sprintf("r-%d", i),
			ItemID: "PRD-000-000-001-0002", ItemMPN: "gb", AssetID: "AS-0000-0000-0001", Quantity: fmt.Sprint(qty), Price: "0.25",
			Start: "2025-12-01T00:00:00Z", End: "2025-12-31T00:00:00Z", Row: i + 2}
		item, err := attributevalue.MarshalMap(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Put(item); err != nil {
			t.Fatal(err)
		}
		total = total.Add(decimal.NewFromInt(int64(qty)).Mul(decimal.RequireFromString("0.25")))
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return total
}

// TestRun_UsageUnits: a usage file larger than a page (60 and 600 records
// over 3 and 24 record shards, 10 records a unit) is rated over many units,
// each one page of one record shard, with the same DynamoDB calls at both
// sizes, into an invoice with every record's line and the exact total.
func TestRun_UsageUnits(t *testing.T) {
	a, c := countedApp(t)
	sizes := []struct {
		provider string
		records  int
	}{{"PA-501-501", 60}, {"PA-502-502", 600}}
	most := map[string]map[string]int{}
	for i, s := range sizes {
		total := seedUsageFile(t, a, s.provider, fmt.Sprintf("UF-2026-01-%04d", i+1), s.records)
		if err := biller(t, a, 10).Start(context.Background(), s.provider); err != nil {
			t.Fatal(err)
		}
		var units map[string]int
		most[s.provider], units = runCounted(t, a, c, s.provider)
		// Each shard of 25 records is 3 units (10, 10, 5); the last shard
		// of the small file holds 10, one unit.
		want := s.records / 25 * 3
		if s.records%25 != 0 {
			want++
		}
		if units["usage"] != want {
			t.Errorf("%d records: %d usage units, want %d", s.records, units["usage"], want)
		}
		inv, err := biller(t, a, 0).Store().Invoice(context.Background(), invoiceID(s.provider, "202601"))
		if err != nil {
			t.Fatal(err)
		}
		if inv.UsageLines != s.records || !inv.UsageTotal.Equal(total) || !inv.Total.Equal(total) {
			t.Errorf("%d records: invoice has %d usage lines, %s usage total, %s total; want %d and %s",
				s.records, inv.UsageLines, inv.UsageTotal, inv.Total, s.records, total)
		}
		lines := 0
		err = biller(t, a, 0).Store().EachLine(context.Background(), inv.ID, func(ls []billing.Line) error {
			lines += len(ls)
			return nil
		})
		if err != nil || lines != s.records {
			t.Errorf("%d records: %d lines stored (%v)", s.records, lines, err)
		}
	}
	small, large := most["PA-501-501"], most["PA-502-502"]
	t.Logf("most calls of one unit: 60 records %v, 600 records %v", small, large)
	if large["usage"] == 0 || large["usage"] > small["usage"] {
		t.Errorf("usage unit: %d calls at 600 records, %d at 60", large["usage"], small["usage"])
	}
}

// TestRun_ConcurrentLanes: the lanes' units are delivered at once, each
// to its own invocation, as SQS delivers them to concurrent functions,
// and each twice (SQS may hand a message to two invocations). The 8 lanes
// (one asset in each shard, 2 a page: 4 shards and 2 units a lane) finish
// together, count themselves and add their totals in the run item one
// after another, each once although two copies of its last unit race, and
// the invoice step is enqueued exactly once per period.
func TestRun_ConcurrentLanes(t *testing.T) {
	a, c := countedApp(t)
	h := queueHandler(t, a)
	provider := "PA-601-601"
	seedProviderOver(t, a, provider, 32, layout.Shards)
	if err := biller(t, a, 2).Start(context.Background(), provider); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	deliverAtOnce(t, h, c, provider, duplicateTogether, func(u billing.Unit, msg events.SQSMessage) { kinds[unitKind(t, msg)]++ })
	// A start, then per period one invoice step.
	if kinds["run"] != 1+3 {
		t.Errorf("%d run units, want %d", kinds["run"], 1+3)
	}
	if kinds["assets"] != 3*8*2 {
		t.Errorf("%d asset units, want %d", kinds["assets"], 3*8*2)
	}
	if diff := cmp.Diff(wantN(provider, 32), summary(t, biller(t, a, 0), provider)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestRun_UsageLanes: a period's usage is rated by as many lanes as the
// record shards its first files use, each lane the shards u, u+lanes, ...
// of every file, delivered at once. Five files, two a page (the run's
// bound): a 4-shard file first sizes four lanes; lanes 1-3 pass over the
// one-shard files a page at a time, and lane 1 also rates the 2-shard file
// at the end. Every record is billed once, and one invoice step closes the
// period. Every unit is delivered again after its batch: the duplicate
// commits nothing.
func TestRun_UsageLanes(t *testing.T) {
	a, c := countedApp(t)
	h := queueHandler(t, a)
	provider := "PA-701-701"
	records := []int{90, 5, 7, 3, 40} // 4, 1, 1, 1 and 2 record shards
	total, lines := decimal.Zero, 0
	for i, n := range records {
		total = total.Add(seedUsageFile(t, a, provider, fmt.Sprintf("UF-2026-01-%04d", 71+i), n))
		lines += n
	}
	if err := biller(t, a, 2).Start(context.Background(), provider); err != nil {
		t.Fatal(err)
	}
	lanes := map[int]int{}
	runs := 0
	deliverAtOnce(t, h, c, provider, duplicateAfter, func(u billing.Unit, _ events.SQSMessage) {
		if u.Fan == 0 {
			runs++
			return
		}
		lanes[u.Lane]++
	})
	// Records fill shards 25 at a time, and a unit rates 2 records. Lane
	// 0 is the one asset lane (no assets). Usage lane 0 rates shard 0 of
	// every file (13+3+4+2+13 units); lane 1 shard 1 of the first file (13,
	// the last of which passes over the second page's files) and of the
	// last file (8, the first of which reads the third page); lanes 2 and 3
	// a shard of the first file (13 and 8 units), then one unit that reads
	// the third page and finds nothing more in their shards.
	want := map[int]int{0: 1, layout.Shards: 35, layout.Shards + 1: 13 + 8, layout.Shards + 2: 13 + 1, layout.Shards + 3: 8 + 1}
	if diff := cmp.Diff(want, lanes); diff != "" {
		t.Errorf("units a lane (-want +got):\n%s", diff)
	}
	if runs != 2 {
		t.Errorf("%d run units (a start and an invoice step), want 2", runs)
	}
	inv, err := biller(t, a, 0).Store().Invoice(context.Background(), invoiceID(provider, "202601"))
	if err != nil {
		t.Fatal(err)
	}
	if inv.UsageLines != lines || !inv.UsageTotal.Equal(total) {
		t.Errorf("invoice has %d usage lines, %s usage total; want %d and %s", inv.UsageLines, inv.UsageTotal, lines, total)
	}
}

// unit decodes the billing unit an SQS message carries.
func unit(t *testing.T, msg events.SQSMessage) billing.Unit {
	t.Helper()
	var e event.Event
	var u billing.Unit
	if err := json.Unmarshal([]byte(msg.Body), &e); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(e.Data, &u); err != nil {
		t.Fatal(err)
	}
	return u
}

// duplicates is when deliverAtOnce delivers every unit a second time:
// after its batch (a redelivery once the first was acknowledged), or with
// it, to an invocation of its own (both read the same step, and one of
// them must lose its commit).
type duplicates int

const (
	duplicateAfter duplicates = iota
	duplicateTogether
)

// deliverAtOnce drives provider's run through h a batch at a time: the
// units committed since the last batch, each to its own invocation at
// once, as SQS delivers them to concurrent functions, each delivered a
// second time as dup says (the duplicate must do nothing). seen is told of
// every unit before it is delivered.
func deliverAtOnce(t *testing.T, h app.SQSHandler, c *countingAPI, provider string, dup duplicates, seen func(billing.Unit, events.SQSMessage)) {
	t.Helper()
	for range 200 {
		batch := c.take(t, provider)
		if len(batch) == 0 {
			return
		}
		copies := 1
		if dup == duplicateTogether {
			copies++
		}
		var wg sync.WaitGroup
		failed := make([][]string, copies*len(batch))
		for i, msg := range batch {
			seen(unit(t, msg), msg)
			for n := range copies {
				wg.Go(func() { failed[n*len(batch)+i] = deliver(t, h, msg) })
			}
		}
		wg.Wait()
		for i, msg := range batch {
			if dup == duplicateAfter {
				failed[i] = append(failed[i], deliver(t, h, msg)...)
			}
		}
		for _, f := range failed {
			if len(f) != 0 {
				t.Fatalf("units failed: %v", failed)
			}
		}
	}
	t.Fatalf("%s's run did not end in 200 batches", provider)
}

// TestRun_JoinedByVersionBefore: a run item whose lanes were counted by
// the version before holds no totals (that version kept them in the lane
// items only). Its invoice step fans the period out again instead of
// writing invoices of nothing, and the invoices come out exact.
func TestRun_JoinedByVersionBefore(t *testing.T) {
	a, c := countedApp(t)
	h := queueHandler(t, a)
	provider := "PA-901-901"
	seedProvider(t, a, provider, 7)
	if err := biller(t, a, 2).Start(context.Background(), provider); err != nil {
		t.Fatal(err)
	}
	stripped, laneUnits := false, 0
	for range 100 {
		batch := c.take(t, provider)
		if len(batch) == 0 {
			break
		}
		for _, msg := range batch {
			u := unit(t, msg)
			if u.Fan == 0 && u.Step > 0 && !stripped {
				// The run item as the version before's last join left it.
				run := dynamo.Key{PK: "BILLING#" + provider, SK: "RUN"}
				upd := expression.Remove(expression.Name("sums")).Remove(expression.Name("summed"))
				if err := a.Table.Tx().Update("billing run", run, upd, nil).Commit(context.Background()); err != nil {
					t.Fatal(err)
				}
				stripped = true
			}
			if u.Fan > 0 {
				laneUnits++
			}
			if failed := deliver(t, h, msg); len(failed) != 0 {
				t.Fatalf("unit %+v failed", u)
			}
		}
	}
	if !stripped {
		t.Fatal("the run had no invoice step")
	}
	// 7 assets at 2 a page: per period two lanes of 3 and 2 units (see
	// TestRun_FailingUnit), November's twice.
	if laneUnits != 4*5 {
		t.Errorf("%d lane units, want %d", laneUnits, 4*5)
	}
	if diff := cmp.Diff(want(provider), summary(t, biller(t, a, 0), provider)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
