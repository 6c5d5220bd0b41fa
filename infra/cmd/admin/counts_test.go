package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/ident"
	"github.com/mercato-dev/mercato/internal/layout"
	usagefiles "github.com/mercato-dev/mercato/internal/usage"
)

// backfillRun runs backfill-counts and decodes its page lines and summary.
func backfillRun(t *testing.T, a *app.App, args ...string) ([]backfillPage, BackfillSummary) {
	t.Helper()
	var buf bytes.Buffer
	if err := run(context.Background(), a, noEnv, append([]string{"backfill-counts"}, args...), strings.NewReader(""), &buf); err != nil {
		t.Fatalf("backfill-counts %v: %v", args, err)
	}
	var lines []json.RawMessage
	dec := json.NewDecoder(&buf)
	for {
		var l json.RawMessage
		if err := dec.Decode(&l); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	if len(lines) == 0 {
		t.Fatal("backfill-counts printed nothing")
	}
	pages := make([]backfillPage, len(lines)-1)
	for i := range pages {
		if err := json.Unmarshal(lines[i], &pages[i]); err != nil {
			t.Fatal(err)
		}
	}
	var sum BackfillSummary
	if err := json.Unmarshal(lines[len(lines)-1], &sum); err != nil {
		t.Fatal(err)
	}
	return pages, sum
}

func counted(t *testing.T, a *app.App, list string) int {
	t.Helper()
	n, err := layout.Count(context.Background(), a.Table, layout.List(list))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func deleteCounts(t *testing.T, a *app.App, list string) {
	t.Helper()
	for _, k := range layout.CountKeys(layout.List(list)) {
		if err := a.Table.Tx().Delete("count", k, nil).Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

func putCount(t *testing.T, a *app.App, k dynamo.Key, n int) {
	t.Helper()
	if err := a.Table.Tx().Put("count", countItem{Key: k, N: n}, nil).Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestAdmin_BackfillCounts gives a table catalog and usage-file lists
// without their count items (no relay ran, and the files' counts are
// deleted) or with a wrong one, and backfills them in pages of four index
// items, resuming from each printed cursor: every list then counts its rows;
// a second run changes nothing, and a dry run writes nothing.
func TestAdmin_BackfillCounts(t *testing.T) {
	e := stacktest.Shared(t)
	a := e.App(t, app.Options{})
	ctx := context.Background()
	vendor := account.Principal{AccountID: ident.Digits("VA", 4, 4), AccountType: account.Vendor, AccountName: "Backfill Inc."}
	provider := account.Principal{AccountID: ident.Digits("PA", 4, 4), AccountType: account.Provider, AccountName: "Backfill Hub"}
	for range 7 {
		if _, err := a.Catalog.CreateProduct(ctx, vendor, catalog.ProductInput{Name: aws.String("Backfill")}); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		if _, err := a.Catalog.CreateMarketplace(ctx, provider, catalog.MarketplaceInput{Name: "Backfill", Currency: "USD", Countries: catalog.Codes{"US"}}); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UTC()
	for range 2 {
		f := usagefiles.Stored{File: usagefiles.File{ID: ident.Digits("UF", 4, 4, 4), Status: "draft", Created: now, Updated: now,
			Vendor: usagefiles.Ref{ID: vendor.AccountID}, Provider: usagefiles.Ref{ID: provider.AccountID}}}
		if err := a.UsageStore().Create(ctx, f, now); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]int{
		"PRODUCTS#" + vendor.AccountID:                      7,
		"MARKETPLACES#" + provider.AccountID:                3,
		usagefiles.VendorFiles(vendor.AccountID).Prefix:     2,
		usagefiles.ProviderFiles(provider.AccountID).Prefix: 2,
	}
	deleteCounts(t, a, usagefiles.VendorFiles(vendor.AccountID).Prefix)
	deleteCounts(t, a, usagefiles.ProviderFiles(provider.AccountID).Prefix)
	putCount(t, a, layout.CountKeys(layout.List("PRODUCTS#" + vendor.AccountID))[5], 40)
	for list := range want {
		if n := counted(t, a, list); n == want[list] {
			t.Fatalf("before the backfill %s already counts %d", list, n)
		}
	}

	// A dry run reports and writes nothing.
	pages, sum := backfillRun(t, a, "-dry-run")
	if !sum.Done || sum.Changed == 0 || len(pages) != sum.Pages {
		t.Fatalf("dry run: %+v over %d pages; want it done with changes to report", sum, len(pages))
	}
	if n := counted(t, a, "PRODUCTS#"+vendor.AccountID); n != 40 {
		t.Fatalf("the dry run changed the product count to %d", n)
	}

	outcomes := map[string]listCount{}
	cursor := ""
	for runs := 1; ; runs++ {
		if runs > 500 {
			t.Fatal("the backfill did not finish in 500 runs of one page")
		}
		pages, sum := backfillRun(t, a, "-settle", "0", "-page", "4", "-pages", "1", "-cursor", cursor)
		if len(pages) != 1 || sum.Pages != 1 || pages[0].Scanned > 4 {
			t.Fatalf("run %d: %d pages, summary %+v; want one page of at most 4 index items", runs, len(pages), sum)
		}
		for _, l := range pages[0].Lists {
			// A list that spans pages is counted again by each run that
			// resumes inside it: set first, then unchanged.
			if _, ok := want[l.List]; ok && outcomes[l.List].Outcome == "" {
				outcomes[l.List] = l
			}
		}
		if sum.Done {
			break
		}
		if sum.Cursor == "" || sum.Cursor != pages[0].Cursor {
			t.Fatalf("run %d: summary cursor %q, page cursor %q", runs, sum.Cursor, pages[0].Cursor)
		}
		cursor = sum.Cursor
	}
	for list, n := range want {
		if got := counted(t, a, list); got != n {
			t.Errorf("%s counts %d after the backfill, want %d (%+v)", list, got, n, outcomes[list])
		}
		if o := outcomes[list]; o.Outcome != "set" || o.Counted != n {
			t.Errorf("%s: outcome %+v, want set to %d", list, o, n)
		}
	}

	_, sum = backfillRun(t, a, "-settle", "10ms")
	if !sum.Done || sum.Cursor != "" {
		t.Errorf("second run: %+v, want done", sum)
	}
	pages, _ = backfillRun(t, a, "-settle", "0")
	for _, p := range pages {
		for _, l := range p.Lists {
			if _, ok := want[l.List]; ok && l.Outcome != "unchanged" {
				t.Errorf("third run: %+v, want unchanged", l)
			}
		}
	}
}

// TestBackfill_SetCountConflict: a count that changed after the backfill
// read it (a relay batch, a new file) fails the write, so the list is
// counted again instead of losing the increment.
func TestBackfill_SetCountConflict(t *testing.T) {
	a := stacktest.Shared(t).App(t, app.Options{})
	ctx := context.Background()
	name := "PRODUCTS#VA-CONFLICT-" + ident.Secret(4)
	keys := layout.CountKeys(layout.List(name))
	putCount(t, a, keys[2], 1)
	b := backfill{table: a.Table}
	before, err := b.readCounts(ctx, []list{{index: dynamo.GSI1, pk: name}})
	if err != nil {
		t.Fatal(err)
	}
	putCount(t, a, keys[2], 2) // a relay batch adds one
	if err := b.setCount(ctx, name, before[name], 5); err == nil {
		t.Fatal("setCount over a changed count item succeeded")
	} else if _, ok := dynamo.AsConditionFailed(err); !ok {
		t.Fatalf("setCount: %v, want a condition failure", err)
	}
	if before, err = b.readCounts(ctx, []list{{index: dynamo.GSI1, pk: name}}); err != nil {
		t.Fatal(err)
	}
	if err := b.setCount(ctx, name, before[name], 5); err != nil {
		t.Fatal(err)
	}
	if n := counted(t, a, name); n != 5 {
		t.Errorf("after setCount the list counts %d, want 5", n)
	}
}
