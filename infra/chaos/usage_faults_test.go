//go:build faults

package chaos_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mercato-dev/mercato/infra/chaos"
	"github.com/mercato-dev/mercato/internal/app"
)

const crashRows = 400

// usageCrash: the usage function dies at its fifth BatchWriteItem, partway
// through storing a 400-row file's records (25 a call): the call fails and
// the invocation's context is cancelled, so nothing after it runs, as with
// a crashed process. SQS redelivers the notification; the retry must
// finish the file with each record once.
func (s *suite) usageCrash(ctx context.Context, t *testing.T) chaos.Expect {
	w, c := s.w, s.p.API
	got, err := s.p.PlaceOrder(ctx, w, w.Customers[0], fmt.Sprintf("usage-%d", time.Now().UnixNano()), map[string]any{
		"lineItems": []any{map[string]any{"offerId": w.Offer(w.PPU), "quantity": 1, "lineItemNumber": 0}}, "billingCycle": "monthly"}, 10)
	if err != nil {
		t.Fatal(err)
	}
	var o struct {
		LineItems []struct {
			SubscriptionID string `json:"subscriptionId"`
		} `json:"lineItems"`
	}
	if err := c.Call(ctx, http.MethodGet, "/v1/customers/"+w.Customers[0]+"/orders/"+got.OrderID, w.Provider.Token.Value, nil, 200, &o); err != nil {
		t.Fatal(err)
	}
	asset := o.LineItems[0].SubscriptionID
	var a struct {
		ActivatedAt *time.Time `json:"activated_at"`
	}
	waitFor(t, "the ppu asset to be active", func() bool {
		_, _ = s.p.ApprovePending(ctx, w)
		return c.Call(ctx, http.MethodGet, "/public/v1/assets/"+asset, w.Vendor.Token.Value, nil, 200, &a) == nil && a.ActivatedAt != nil
	})

	now := time.Now().UTC()
	var f struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Stats  struct {
			Records int `json:"records"`
		} `json:"stats"`
	}
	if err := c.Call(ctx, http.MethodPost, "/public/v1/usage/files", w.Vendor.Token.Value, map[string]any{
		"name": "crash " + asset, "product": w.Product, "marketplace": w.Marketplace,
		"period": map[string]string{"from": a.ActivatedAt.Add(-time.Second).Format(time.RFC3339Nano), "to": now.Add(time.Hour).Format(time.RFC3339)},
	}, 201, &f); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	kill := func() {}
	s.p.HookSQS("UsageFunction", func(ctx context.Context, in events.SQSEvent, next app.SQSHandler) (events.SQSEventResponse, error) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		mu.Lock()
		kill = cancel
		mu.Unlock()
		return next(ctx, in)
	})
	rule := &chaos.Rule{Service: "DynamoDB", Operations: []string{"BatchWriteItem"}, Every: 5, Limit: 1, Fault: chaos.DynamoThrottle,
		Then: func() { mu.Lock(); kill(); mu.Unlock() }}
	s.p.Inject.Set(rule)
	s.upload(ctx, t, f.ID, usageRows(t, w, asset, *a.ActivatedAt, now))
	waitFor(t, "the file to be processed", func() bool {
		return c.Call(ctx, http.MethodGet, "/public/v1/usage/files/"+f.ID, w.Vendor.Token.Value, nil, 200, &f) == nil &&
			f.Status != "draft" && f.Status != "processing"
	})
	if rule.Injected() != 1 {
		t.Fatalf("the usage function crashed %d times, want 1", rule.Injected())
	}
	if f.Status != "ready" || f.Stats.Records != crashRows {
		t.Fatalf("file %s is %s with %d records, want ready with %d", f.ID, f.Status, f.Stats.Records, crashRows)
	}
	var recs []struct {
		RecordID string `json:"record_id"`
	}
	if err := c.Call(ctx, http.MethodGet, "/public/v1/usage/records?usage_file.id="+f.ID+"&limit=1000", w.Vendor.Token.Value, nil, 200, &recs); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, r := range recs {
		ids[r.RecordID] = true
	}
	if len(recs) != crashRows || len(ids) != crashRows {
		t.Fatalf("file %s lists %d records (%d distinct), want %d", f.ID, len(recs), len(ids), crashRows)
	}
	return chaos.Expect{Accepted: []string{got.OrderID}}
}

// usageRows is a CSV of crashRows records of the ppu item on asset, inside
// the time it has been active.
func usageRows(t *testing.T, w *chaos.World, asset string, from, to time.Time) []byte {
	t.Helper()
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	_ = cw.Write([]string{"record_id", "record_note", "item_search_criteria", "item_search_value", "quantity",
		"start_time_utc", "end_time_utc", "asset_search_criteria", "asset_search_value"})
	span := to.Sub(from) / (crashRows + 1)
	for i := range crashRows {
		start := from.Add(time.Duration(i) * span)
		_ = cw.Write([]string{"rec-" + strconv.Itoa(i), "", "item.mpn", w.PPU.MPN, strconv.Itoa(1 + i%7),
			start.Format(time.RFC3339Nano), start.Add(span).Format(time.RFC3339Nano), "asset.id", asset})
	}
	cw.Flush()
	return buf.Bytes()
}

// upload puts body through the presigned URL the API hands out.
func (s *suite) upload(ctx context.Context, t *testing.T, fileID string, body []byte) {
	t.Helper()
	if err := s.p.API.UploadUsage(ctx, s.w.Vendor.Token.Value, fileID, body); err != nil {
		t.Fatal(err)
	}
}
