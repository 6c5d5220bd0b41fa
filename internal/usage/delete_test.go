package usage_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/mercato-dev/mercato/infra/chaos"
	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/app/usagefn"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/layout"
	"github.com/mercato-dev/mercato/internal/usage"
)

// unitItems is the deletion units' bound in these tests: small, so that
// a few hundred records make every shard take several units.
const unitItems = 10

// deletion is the usage function as the deletion tests drive it: its
// queue handler, with units of unitItems records, on an app whose
// DynamoDB calls are counted; the units are taken from the outbox and
// delivered by the test, as the relay would.
type deletion struct {
	t       *testing.T
	a       *app.App
	calls   *dynamo.Counter
	proc    *usage.Processor
	handler app.SQSHandler
	seen    map[string]bool
}

func newDeletion(t *testing.T, env *stacktest.Env, opts ...func(*dynamodb.Options)) *deletion {
	t.Helper()
	calls := dynamo.NewCounter()
	a := env.App(t, app.Options{DynamoOptions: append([]func(*dynamodb.Options){calls.Option}, opts...)})
	p := usage.NewProcessor(usage.ProcessorConfig{Store: a.UsageStore(), Objects: a.S3(), Bucket: a.Config.UsageBucket,
		Catalog: a.Catalog, Assets: a.FulfillmentStore, Logger: a.Log, TmpDir: t.TempDir(), DeleteItems: unitItems})
	return &deletion{t: t, a: a, calls: calls, proc: p, handler: usagefn.Handler(a.Base, p), seen: map[string]bool{}}
}

// units are the deletion units of file id committed since the last call.
func (d *deletion) units(id string) []events.SQSMessage {
	d.t.Helper()
	return stacktest.Outbox(d.t, d.a.Table, event.JobUsageDelete, `"file":"`+id+`"`, d.seen)
}

// deliver hands msgs to the usage function as one batch and returns the
// ids of the messages it failed.
func (d *deletion) deliver(msgs ...events.SQSMessage) []string {
	d.t.Helper()
	res, err := d.handler(context.Background(), events.SQSEvent{Records: msgs})
	if err != nil {
		d.t.Fatal(err)
	}
	var failed []string
	for _, f := range res.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	return failed
}

// unitCost is what one unit did: its DynamoDB calls by operation and the
// records it deleted.
type unitCost struct {
	calls   map[string]int
	deleted int
}

// drain delivers the file's units one message at a time, and the units
// they continue with, until none is left, and returns each one's cost.
func (d *deletion) drain(id string) []unitCost {
	d.t.Helper()
	var costs []unitCost
	for pending := d.units(id); len(pending) > 0; pending = d.units(id) {
		for _, m := range pending {
			shard := unitShard(d.t, m)
			before := shardItems(d.t, d.a.Table, id, shard)
			d.calls.Reset()
			if failed := d.deliver(m); len(failed) > 0 {
				d.t.Fatalf("unit %s failed", m.Body)
			}
			calls := d.calls.Calls()
			costs = append(costs, unitCost{calls: calls, deleted: before - shardItems(d.t, d.a.Table, id, shard)})
		}
	}
	return costs
}

func unitShard(t *testing.T, m events.SQSMessage) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscanf(m.Body[strings.Index(m.Body, `"shard":`):], `"shard":%d`, &n); err != nil {
		t.Fatalf("unit without a shard: %s", m.Body)
	}
	return n
}

// shardItems counts the record items of every generation in one shard of
// the file.
func shardItems(t *testing.T, table *dynamo.Table, id string, shard int) int {
	t.Helper()
	items, err := dynamo.QueryAll[dynamo.Key](context.Background(), table, dynamo.Partition{PK: dynamo.ShardKey(layout.UsageRecords(id, 0).Prefix, shard)})
	if err != nil {
		t.Fatal(err)
	}
	return len(items)
}

// recordItems counts the file's record items of every generation, and of
// generation gen alone.
func recordItems(t *testing.T, table *dynamo.Table, id string, gen int) (all, ofGen int) {
	t.Helper()
	prefix := usage.RecordSK(gen, 0)[:len("REC#000000#")]
	for _, part := range layout.UsageRecords(id, layout.UsageRecordShards).Partitions() {
		items, err := dynamo.QueryAll[dynamo.Key](context.Background(), table, part)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range items {
			all++
			if strings.HasPrefix(k.SK, prefix) {
				ofGen++
			}
		}
	}
	return all, ofGen
}

// checkBounded fails when a unit deleted more than unitItems records or
// made more calls than one unit's work: one Query page, one BatchWriteItem
// per 25 records, one transaction for its continuation.
func checkBounded(t *testing.T, costs []unitCost) (maxDeleted, maxCalls int) {
	t.Helper()
	for i, c := range costs {
		calls := 0
		for _, n := range c.calls {
			calls += n
		}
		maxDeleted, maxCalls = max(maxDeleted, c.deleted), max(maxCalls, calls)
		if c.deleted > unitItems || c.calls["Query"] > 1 || c.calls["BatchWriteItem"] > (unitItems+24)/25 || c.calls["TransactWriteItems"] > 1 || calls > 3 {
			t.Errorf("unit %d deleted %d records with calls %v; want at most %d records, 1 Query, 1 BatchWriteItem, 1 TransactWriteItems",
				i, c.deleted, c.calls, unitItems)
		}
	}
	return maxDeleted, maxCalls
}

// usageCSV is a file of n rows of the market's ppu item, with record ids
// prefix-0…, and, if dupLast, a last row repeating the first one's id.
func (m *market) usageCSV(prefix string, n int, dupLast bool) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(usage.Columns)
	start := time.Now().UTC().Truncate(time.Second).Add(time.Second)
	row := func(id string) {
		_ = w.Write([]string{id, "", "item.mpn", m.minutesMPN, "1", start.Format(time.DateTime), start.Add(time.Minute).Format(time.DateTime), "asset.id", m.asset})
	}
	for i := range n {
		row(fmt.Sprintf("%s-%04d", prefix, i))
	}
	if dupLast {
		row(prefix + "-0000")
	}
	w.Flush()
	return buf.Bytes()
}

// newUsageFile creates a file of the current month.
func (m *market) newUsageFile(t *testing.T) usage.File {
	t.Helper()
	from := time.Date(time.Now().UTC().Year(), time.Now().UTC().Month(), 1, 0, 0, 0, 0, time.UTC)
	var f usage.File
	m.vendor.do(http.MethodPost, "/public/v1/usage/files", map[string]any{"name": "Deletion", "product": m.product,
		"marketplace": m.mp, "period": map[string]any{"from": from.Format(time.DateOnly), "to": from.AddDate(0, 1, 0).Format(time.DateOnly)}}, 201, &f)
	return f
}

// uploadProcess uploads content to the file through the API and runs the
// usage function's processing of it, as its S3 notification would.
func (d *deletion) uploadProcess(t *testing.T, m *market, id string, content []byte) usage.File {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, err := mw.CreateFormFile("file", "usage.csv")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = part.Write(content)
	_ = mw.Close()
	req := httptest.NewRequest(http.MethodPost, "/public/v1/usage/files/"+id+"/upload", &body)
	req.Header.Set("Authorization", "Bearer "+m.vendor.token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	rec := httptest.NewRecorder()
	m.vendor.api.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("upload = %d %s", rec.Code, rec.Body)
	}
	f, err := d.a.UsageStore().Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.proc.Process(context.Background(), f.UploadKey, false); err != nil {
		t.Fatal(err)
	}
	var out usage.File
	m.vendor.do(http.MethodGet, "/public/v1/usage/files/"+id, nil, 200, &out)
	return out
}

// listedRecordIDs are the record ids the API lists for the file.
func listedRecordIDs(t *testing.T, m *market, id string) []string {
	t.Helper()
	var recs []usage.Record
	m.vendor.do(http.MethodGet, "/public/v1/usage/records?usage_file.id="+id+"&limit=1000", nil, 200, &recs)
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.RecordID
	}
	return ids
}

// TestDeletion runs the deletion cases on one market: building it is most
// of a case's cost on the emulator.
func TestDeletion(t *testing.T) {
	env, _, m := orderedMarket(t)
	t.Run("re-upload over a generation larger than one unit", func(t *testing.T) { deletionReupload(t, env, m) })
	t.Run("invalid only at its end", func(t *testing.T) { deletionInvalidAtEnd(t, env, m) })
	t.Run("bounded whatever the shard's depth", func(t *testing.T) { deletionBounded(t, env) })
	t.Run("a unit delivered twice", func(t *testing.T) { deletionTwice(t, env) })
	t.Run("a failing unit retried alone", func(t *testing.T) { deletionFailing(t, env) })
}

// deletionReupload: a re-upload of 60 records over 130 (every shard of the
// old generation needs three units of 10) leaves none of the old records
// and all of the new, and the old ones are never listed meanwhile.
func deletionReupload(t *testing.T, env *stacktest.Env, m *market) {
	d := newDeletion(t, env)
	f := m.newUsageFile(t)
	if f = d.uploadProcess(t, m, f.ID, m.usageCSV("old", 130, false)); f.Status != usage.StatusReady || f.Stats.Records != 130 {
		t.Fatalf("first upload: %+v", f)
	}
	if units := d.units(f.ID); len(units) != 0 {
		t.Fatalf("a first processing committed %d deletion units", len(units))
	}
	if f = d.uploadProcess(t, m, f.ID, m.usageCSV("new", 60, false)); f.Status != usage.StatusReady || f.Stats.Records != 60 {
		t.Fatalf("re-upload: %+v", f)
	}
	// Before any unit ran, both generations are stored, and only the new
	// one is listed.
	if all, gen2 := recordItems(t, d.a.Table, f.ID, 2); all != 190 || gen2 != 60 {
		t.Fatalf("before deletion: %d record items, %d of generation 2; want 190 and 60", all, gen2)
	}
	ids := listedRecordIDs(t, m, f.ID)
	if len(ids) != 60 || ids[0] != "new-0000" || ids[59] != "new-0059" {
		t.Fatalf("listed while the old generation is stored: %d records %v…", len(ids), ids[:min(3, len(ids))])
	}
	costs := d.drain(f.ID)
	// 130 records fill shards 0-5 (25 each, 5 in the last): three units
	// for each full shard, one for the last.
	if len(costs) < 16 {
		t.Errorf("%d units ran, want at least 16 (three for each full shard)", len(costs))
	}
	checkBounded(t, costs)
	if all, gen2 := recordItems(t, d.a.Table, f.ID, 2); all != 60 || gen2 != 60 {
		t.Errorf("after deletion: %d record items, %d of generation 2; want 60 of generation 2 only", all, gen2)
	}
	if got := listedRecordIDs(t, m, f.ID); len(got) != 60 {
		t.Errorf("after deletion %d records listed, want 60", len(got))
	}
}

// deletionInvalidAtEnd: a file whose last row repeats a record id had its
// records written before the fault showed; its units delete all of them.
func deletionInvalidAtEnd(t *testing.T, env *stacktest.Env, m *market) {
	d := newDeletion(t, env)
	f := m.newUsageFile(t)
	f = d.uploadProcess(t, m, f.ID, m.usageCSV("late", 80, true))
	if f.Status != usage.StatusInvalid || !strings.Contains(f.ErrorDetail, "duplicate") {
		t.Fatalf("file = %+v, want invalid for the duplicate", f)
	}
	if all, _ := recordItems(t, d.a.Table, f.ID, 1); all == 0 {
		t.Fatal("no record was written before the fault: the case does not test deletion")
	}
	if ids := listedRecordIDs(t, m, f.ID); len(ids) != 0 {
		t.Errorf("the invalid file lists %d records", len(ids))
	}
	checkBounded(t, d.drain(f.ID))
	if all, _ := recordItems(t, d.a.Table, f.ID, 1); all != 0 {
		t.Errorf("the invalid file keeps %d record items", all)
	}
}

// firstUnit is the unit that starts deleting generation 1 of shard 0 of a
// file, committed as a processing commits it.
func firstUnit(t *testing.T, d *deletion, id string) {
	t.Helper()
	ev, err := event.New(event.JobUsageDelete, event.PlatformAccount, usage.DeleteUnit{File: id, From: 1, To: 1, Shard: 0}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := d.a.Table.Tx().Emit(ev, 1).Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// deletionBounded: a unit's calls and deletions are the same whether its
// shard holds 30 records or 150 (all of a file written over one shard);
// only the number of units grows.
func deletionBounded(t *testing.T, env *stacktest.Env) {
	var maxDeleted, maxCalls, units []int
	sizes := []int{30, 150}
	for _, n := range sizes {
		d := newDeletion(t, env)
		id := fmt.Sprintf("UF-2026-12-%04d-%04d", n, time.Now().Nanosecond()%10000)
		if err := usage.WriteGeneration(context.Background(), d.a.UsageStore(), id, 1, n, 1); err != nil {
			t.Fatal(err)
		}
		firstUnit(t, d, id)
		costs := d.drain(id)
		md, mc := checkBounded(t, costs)
		maxDeleted, maxCalls, units = append(maxDeleted, md), append(maxCalls, mc), append(units, len(costs))
		if left := shardItems(t, d.a.Table, id, 0); left != 0 {
			t.Errorf("%d records: %d left after the units", n, left)
		}
	}
	t.Logf("records %d → %d: units %d → %d, most deleted by a unit %d → %d, most calls %d → %d",
		sizes[0], sizes[1], units[0], units[1], maxDeleted[0], maxDeleted[1], maxCalls[0], maxCalls[1])
	if maxDeleted[0] != unitItems || maxDeleted[1] != unitItems || maxCalls[1] != maxCalls[0] {
		t.Errorf("a unit's work grew with the shard: most deleted %v, most calls %v", maxDeleted, maxCalls)
	}
	if units[0] < sizes[0]/unitItems || units[1] < sizes[1]/unitItems {
		t.Errorf("units %v, want at least %d and %d", units, sizes[0]/unitItems, sizes[1]/unitItems)
	}
}

// deletionTwice: a unit delivered again (SQS delivers at least once) or
// published twice hands on one continuation, not a second chain, each
// delivery within the unit's bound, and the deletion completes.
func deletionTwice(t *testing.T, env *stacktest.Env) {
	d := newDeletion(t, env)
	id := fmt.Sprintf("UF-2026-12-0002-%04d", time.Now().Nanosecond()%10000)
	if err := usage.WriteGeneration(context.Background(), d.a.UsageStore(), id, 1, 25, 1); err != nil {
		t.Fatal(err)
	}
	firstUnit(t, d, id)
	first := d.units(id)
	if len(first) != 1 {
		t.Fatalf("%d first units", len(first))
	}
	for i := range 3 {
		before := shardItems(t, d.a.Table, id, 0)
		if failed := d.deliver(first[0]); len(failed) > 0 {
			t.Fatalf("delivery %d failed", i+1)
		}
		if deleted := before - shardItems(t, d.a.Table, id, 0); deleted > unitItems {
			t.Errorf("delivery %d deleted %d records, more than a unit's %d", i+1, deleted, unitItems)
		}
	}
	next := d.units(id)
	if len(next) != 1 {
		t.Fatalf("a unit delivered three times handed on %d continuations, want 1", len(next))
	}
	d.drain(id)
	if left := shardItems(t, d.a.Table, id, 0); left != 0 {
		t.Errorf("%d records left", left)
	}
}

// deletionFailing: in a batch of three units, the one whose BatchWriteItem
// DynamoDB refuses fails alone (a partial batch failure); the others
// finish their work, and the failed one, delivered again, completes the
// deletion.
func deletionFailing(t *testing.T, env *stacktest.Env) {
	inj := chaos.NewInjector(1)
	awsCfg := env.AWS.Copy()
	inj.Install(&awsCfg)
	calls := dynamo.NewCounter()
	a := app.New(env.Config, awsCfg, stacktest.Logger(t), app.Options{DynamoOptions: []func(*dynamodb.Options){calls.Option}})
	p := usage.NewProcessor(usage.ProcessorConfig{Store: a.UsageStore(), Logger: a.Log, DeleteItems: unitItems})
	d := &deletion{t: t, a: a, calls: calls, proc: p, handler: usagefn.Handler(a.Base, p), seen: map[string]bool{}}

	var ids []string
	var msgs []events.SQSMessage
	for i := range 3 {
		id := fmt.Sprintf("UF-2026-12-0003-%04d", (time.Now().Nanosecond()+i)%10000)
		if err := usage.WriteGeneration(context.Background(), a.UsageStore(), id, 1, unitItems, 1); err != nil {
			t.Fatal(err)
		}
		firstUnit(t, d, id)
		msgs = append(msgs, d.units(id)...)
		ids = append(ids, id)
	}
	refused := chaos.Fault{Status: http.StatusBadRequest, Type: "com.amazonaws.dynamodb.v20120810#ValidationException", Message: "refused (injected)"}
	rule := &chaos.Rule{Service: "DynamoDB", Operations: []string{"BatchWriteItem"}, Every: 2, Limit: 1, Fault: refused}
	inj.Set(rule)
	failed := d.deliver(msgs...)
	inj.Clear()
	if rule.Injected() != 1 || len(failed) != 1 || failed[0] != msgs[1].MessageId {
		t.Fatalf("failed %v (injected %d), want the second unit %s alone", failed, rule.Injected(), msgs[1].MessageId)
	}
	for i, id := range ids {
		want := 0
		if i == 1 {
			want = unitItems
		}
		if left := shardItems(t, a.Table, id, 0); left != want {
			t.Errorf("file %d: %d records left, want %d", i, left, want)
		}
	}
	if again := d.deliver(msgs[1]); len(again) > 0 {
		t.Fatalf("the failed unit failed again: %v", again)
	}
	for _, id := range ids {
		d.drain(id)
		if left := shardItems(t, a.Table, id, 0); left != 0 {
			t.Errorf("file %s: %d records left", id, left)
		}
	}
}
