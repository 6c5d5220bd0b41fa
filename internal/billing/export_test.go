package billing_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/billing"
	"github.com/mercato-dev/mercato/internal/event"
)

// inlineCSV is the export as the API streams an invoice under the limit.
func inlineCSV(t *testing.T, r *billing.Reader, actor account.Principal, id string) string {
	t.Helper()
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	_ = cw.Write(billing.ReconciliationHeader)
	inv, err := r.EachLine(context.Background(), actor, id, func(ls []billing.Line) error {
		for _, l := range ls {
			_ = cw.Write(billing.ReconciliationRow(billing.Invoice{ID: id}, l))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = cw.Write(billing.ReconciliationTotal(inv))
	cw.Flush()
	return buf.String()
}

// TestExport_S3: an invoice over the inline limit (3 lines here, 7 in the
// invoice) is not answered inline: the first call starts its units, the
// billing function writes the file to S3, and the next call answers a
// presigned link to exactly the CSV an inline answer has.
func TestExport_S3(t *testing.T) {
	a := stacktest.Shared(t).App(t, app.Options{Now: func() time.Time { return clock }})
	provider := "PA-301-301"
	seedProvider(t, a, provider, 7)
	if err := biller(t, a, 0).Run(context.Background(), provider); err != nil {
		t.Fatal(err)
	}
	actor := account.Principal{AccountID: provider, AccountType: account.Provider}
	id := invoiceID(provider, "202512")
	exports := a.Exports()
	small := billing.NewReader(a.Biller().Store(), exports, nil)
	exports.InlineLines = 3
	large := billing.NewReader(a.Biller().Store(), exports, nil)

	if _, ans, err := small.Export(context.Background(), actor, id); err != nil || !ans.Inline {
		t.Fatalf("7 lines under the default limit: %+v, %v", ans, err)
	}
	_, ans, err := large.Export(context.Background(), actor, id)
	if err != nil || ans.Inline || ans.URL != "" {
		t.Fatalf("first call over the limit = %+v, %v; want the file started", ans, err)
	}
	h := queueHandler(t, a)
	q := &queue{t: t, a: a, seen: map[string]bool{}}
	for range 10 {
		msgs := q.take(event.JobExport, func(data string) bool { return strings.Contains(data, id) })
		if len(msgs) == 0 {
			break
		}
		for range 2 { // the duplicate is acknowledged and does nothing
			if failed := deliver(t, h, msgs...); len(failed) != 0 {
				t.Fatalf("export units failed: %v", failed)
			}
		}
	}
	_, ans, err = large.Export(context.Background(), actor, id)
	if err != nil || ans.URL == "" {
		t.Fatalf("call after the units = %+v, %v; want a link", ans, err)
	}
	res, err := http.Get(ans.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET the link = %d %s", res.StatusCode, body)
	}
	if diff := cmp.Diff(inlineCSV(t, small, actor, id), string(body)); diff != "" {
		t.Errorf("file (-inline +S3):\n%s", diff)
	}
	if !strings.Contains(string(body), ",total,") || !strings.Contains(string(body), "180.00") {
		t.Errorf("no total row of 180.00 in %s", body)
	}

	// The bucket's lifecycle rule deletes the file DefaultExportRetentionDays
	// after it was written: a link that would outlive that is not given,
	// the file is written again instead.
	later := func(d time.Duration) *billing.Reader {
		return billing.NewReader(a.Biller().Store(), exports, func() time.Time { return time.Now().Add(d) })
	}
	life := billing.DefaultExportRetentionDays * 24 * time.Hour
	if _, ans, err := later(life-time.Hour).Export(context.Background(), actor, id); err != nil || ans.URL == "" {
		t.Errorf("an hour before the file expires: %+v, %v; want a link", ans, err)
	}
	if _, ans, err := later(life-5*time.Minute).Export(context.Background(), actor, id); err != nil || ans.URL != "" || ans.Inline {
		t.Errorf("5 minutes before the file expires: %+v, %v; want it written again", ans, err)
	}
	if msgs := q.take(event.JobExport, func(data string) bool { return strings.Contains(data, id) }); len(msgs) != 1 {
		t.Errorf("%d export units started again, want 1", len(msgs))
	}
}
