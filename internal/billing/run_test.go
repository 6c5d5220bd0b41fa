package billing_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/billing"
	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/layout"
)

func TestMain(m *testing.M) { stacktest.Main(m) }

// The biller's clock: 2026-01-02 closes November and December 2025 and
// leaves January open.
var clock = time.Date(2026, 1, 2, 2, 0, 0, 0, time.UTC)

// seedShards is how many shards of the provider's asset index
// seedProvider fills, spread over the index (0 and 16), so that a
// provider of a few pages is several pages on more than one shard, in
// more than one lane.
const seedShards = 2

// assetInShard is a new asset id whose index entry goes to shard n.
func assetInShard(n int) string {
	for {
		if id := fulfillment.NewAssetID(); dynamo.ShardOf(id, layout.Shards) == n {
			return id
		}
	}
}

// seedProvider writes n active assets of provider (TEST-ONLY rows, as the
// approved purchases would leave them): one monthly reservation item at
// 10 USD, quantity 1+i%5, activated on 2025-11-01 (asset i a minute after
// asset i-1), asset i in shard i%seedShards of the asset index. Every
// month from November costs 10 × the sum of the quantities.
func seedProvider(t *testing.T, a *app.App, provider string, n int) []string {
	t.Helper()
	return seedProviderOver(t, a, provider, n, seedShards)
}

// seedProviderOver is seedProvider over shards shards evenly apart, with
// the asset list's count as the relay keeps it.
func seedProviderOver(t *testing.T, a *app.App, provider string, n, shards int) []string {
	t.Helper()
	count := layout.CountKeys(layout.ProviderAssets(provider))[0]
	if err := a.Table.Tx().Update("count", count, expression.Add(expression.Name("n"), expression.Value(n)), nil).Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range n {
		at := time.Date(2025, 11, 1, 0, i, 0, 0, time.UTC)
		as := fulfillment.Asset{ID: assetInShard(i % shards * layout.Shards / shards), Status: fulfillment.AssetActive, Currency: "USD",
			Product: fulfillment.Ref{ID: "PRD-000-000-001"}, Vendor: fulfillment.Ref{ID: "VA-000-001"}, Provider: fulfillment.Ref{ID: provider},
			Items: []fulfillment.AssetItem{{ID: "PRD-000-000-001-0001", LocalID: "seat", Type: catalog.ItemReservation, Period: catalog.PeriodMonthly,
				Quantity: fmt.Sprint(1 + i%5), Price: "10"}},
			ActivatedAt: &at, Created: at, Updated: at}
		if err := a.Table.Tx().Create("asset", fulfillment.AssetRow(fulfillment.StoredAsset{Asset: as, Rev: 1, NextReq: 2})).Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, as.ID)
	}
	return ids
}

func invoiceID(provider, yyyymm string) string {
	return "IN-" + yyyymm + "-" + strings.ReplaceAll(strings.TrimPrefix(provider, "PA-"), "-", "") + "-USD"
}

// summary is what a provider's invoices say, oldest first: id, status,
// total and license line count, and the amounts of each one's lines.
func summary(t *testing.T, b *billing.Biller, provider string) []string {
	t.Helper()
	invs, err := b.Store().Invoices(context.Background(), provider)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, inv := range invs {
		var amounts []string
		err := b.Store().EachLine(context.Background(), inv.ID, func(ls []billing.Line) error {
			for _, l := range ls {
				amounts = append(amounts, l.Amount.StringFixed(2))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(amounts)
		out = append(out, fmt.Sprintf("%s %s %s lines=%d [%s]", inv.ID, inv.Status, inv.Total.StringFixed(2), inv.OneTimeLines, strings.Join(amounts, " ")))
	}
	return out
}

// want is the invoices of 7 assets seeded by seedProvider: quantities
// 1 2 3 4 5 1 2, 18 seats at 10 USD a month.
func want(provider string) []string {
	lines := "[10.00 10.00 20.00 20.00 30.00 40.00 50.00]"
	return []string{
		invoiceID(provider, "202511") + " closed 180.00 lines=7 " + lines,
		invoiceID(provider, "202512") + " closed 180.00 lines=7 " + lines,
		invoiceID(provider, "202601") + " open 180.00 lines=7 " + lines,
	}
}

func biller(t *testing.T, a *app.App, page int) *billing.Biller {
	t.Helper()
	return billing.NewBiller(billing.Config{Table: a.Table, Usage: a.UsageStore(), Assets: a.FulfillmentStore,
		Logger: stacktest.Logger(t), Now: func() time.Time { return clock }, Page: page})
}

// TestRun_Pages: a run over a provider several pages large on more than
// one shard (7 assets, 4 and 3 in two shards, 2 a page, two lanes)
// writes the invoices a one-page run writes, which are the sequential
// run's, and running again changes nothing.
func TestRun_Pages(t *testing.T) {
	a := stacktest.Shared(t).App(t, app.Options{})
	paged, whole := "PA-101-101", "PA-102-102"
	seedProvider(t, a, paged, 7)
	seedProvider(t, a, whole, 7)
	for range 2 {
		if err := biller(t, a, 2).Run(context.Background(), paged); err != nil {
			t.Fatal(err)
		}
	}
	if err := biller(t, a, 0).Run(context.Background(), whole); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want(paged), summary(t, biller(t, a, 0), paged)); diff != "" {
		t.Errorf("paged run (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want(whole), summary(t, biller(t, a, 0), whole)); diff != "" {
		t.Errorf("one-page run (-want +got):\n%s", diff)
	}
}

// queue is the billing queue as a test drives it: the events committed to
// the outbox, each delivered as one SQS message.
type queue struct {
	t    *testing.T
	a    *app.App
	seen map[string]bool
}

// take returns the events of type typ whose data match, not taken yet.
func (q *queue) take(typ event.Type, match func(data string) bool) []events.SQSMessage {
	q.t.Helper()
	api := q.a.Table.Client
	if c, ok := api.(*countingAPI); ok {
		api = c.API
	}
	table := *q.a.Table
	table.Client = api
	var out []events.SQSMessage
	for _, it := range stacktest.TableEvents(q.t, &table, expression.Name("type").Equal(expression.Value(string(typ)))) {
		if q.seen[it.ID] || !match(it.Data) {
			continue
		}
		q.seen[it.ID] = true
		out = append(out, stacktest.Message(q.t, it))
	}
	return out
}

// queueHandler is the billing function's handler of its queue.
func queueHandler(t *testing.T, a *app.App) app.SQSHandler {
	t.Helper()
	hs, err := a.Handlers(app.BillingFunction)
	if err != nil {
		t.Fatal(err)
	}
	return hs.SQS["BillingFunction"]
}

// deliver hands msgs to the billing function as one batch and returns the
// ids of the messages it failed.
func deliver(t *testing.T, h app.SQSHandler, msgs ...events.SQSMessage) []string {
	t.Helper()
	res, err := h(context.Background(), events.SQSEvent{Records: msgs})
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, f := range res.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	return failed
}

// TestRun_FailingUnit: two providers' runs go through the billing queue's
// handler, a unit at a time. One unit of the first fails (an unreadable
// request row of an asset on its page): the batch reports that message
// alone, the other provider's unit goes on. Once the row is repaired the
// message is redelivered and the run ends exact; every unit delivered
// twice, during the run and after it, bills nothing twice.
func TestRun_FailingUnit(t *testing.T) {
	a, c := countedApp(t)
	h := queueHandler(t, a)
	broken, healthy := "PA-201-201", "PA-202-202"
	ids := seedProvider(t, a, broken, 7)
	seedProvider(t, a, healthy, 7)
	b := biller(t, a, 2)
	for _, p := range []string{broken, healthy} {
		if err := b.Start(context.Background(), p); err != nil {
			t.Fatal(err)
		}
	}
	// Asset 2 is on one of the pages of November's rating.
	bad := map[string]string{"pk": fulfillment.AssetPK(ids[2]), "sk": "REQUEST#broken", "entity": "request", "doc": "{"}
	if err := a.Table.Tx().Put("broken request", bad, nil).Commit(context.Background()); err != nil {
		t.Fatal(err)
	}

	var all []events.SQSMessage
	var failedOnce []string
	for range 100 {
		batch := append(c.take(t, broken), c.take(t, healthy)...)
		if len(batch) == 0 {
			break
		}
		all = append(all, batch...)
		failed := deliver(t, h, batch...)
		if len(failed) == 0 {
			// A duplicate of every message (SQS delivers at least
			// once) finds its step done and does nothing.
			if dup := deliver(t, h, batch...); len(dup) != 0 {
				t.Fatalf("duplicates failed: %v", dup)
			}
			continue
		}
		if failedOnce != nil || len(failed) != 1 {
			t.Fatalf("batch of %d: failed %v (failed before: %v)", len(batch), failed, failedOnce)
		}
		failedOnce = failed
		// SQS redelivers the failed message alone; it fails until the
		// row is repaired.
		msg := batch[slices.IndexFunc(batch, func(m events.SQSMessage) bool { return m.MessageId == failed[0] })]
		if again := deliver(t, h, msg); len(again) != 1 {
			t.Fatalf("redelivery before the repair: failed %v", again)
		}
		if err := a.Table.Tx().Delete("broken request", dynamo.Key{PK: bad["pk"], SK: bad["sk"]}, nil).Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		if again := deliver(t, h, msg); len(again) != 0 {
			t.Fatalf("redelivery after the repair: failed %v", again)
		}
	}
	if failedOnce == nil {
		t.Fatal("no unit failed: the broken row was never read")
	}
	// 7 assets at 2 a page, 4 in shard 0 and 3 in shard 16: a start,
	// then per period two lanes (one per 2 pages of assets; none for
	// usage without a file): shards 0–15 in 3 units (2, 2 and the empty
	// rest), shards 16–31 in 2 (2, then 1 and the empty rest); then the
	// invoices.
	perPeriod := 3 + 2 + 1
	if perRun := len(all) / 2; perRun != 1+3*perPeriod {
		t.Errorf("%d units in all, want %d per provider", len(all), 1+3*perPeriod)
	}
	for _, p := range []string{broken, healthy} {
		if diff := cmp.Diff(want(p), summary(t, b, p)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", p, diff)
		}
	}

	// Every unit delivered again (a redelivery after a lost ack) is
	// acknowledged and changes nothing.
	if failed := deliver(t, h, all...); len(failed) != 0 {
		t.Fatalf("duplicates failed: %v", failed)
	}
	if fresh := append(c.take(t, broken), c.take(t, healthy)...); len(fresh) != 0 {
		t.Errorf("duplicates committed %d units", len(fresh))
	}
	for _, p := range []string{broken, healthy} {
		if diff := cmp.Diff(want(p), summary(t, b, p)); diff != "" {
			t.Errorf("%s after duplicates (-want +got):\n%s", p, diff)
		}
	}
}
