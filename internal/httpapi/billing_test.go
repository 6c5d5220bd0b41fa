package httpapi_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/billing"
	"github.com/mercato-dev/mercato/internal/fulfillment"
)

// seedHistory is a TEST-ONLY stand-in for a year of fulfillment: it writes
// an asset row (fulfillment.AssetRow) and its approved requests with the
// times given, which the request state machine can only set to now. The
// asset is a copy of the shop's real, approved asset: 4 users activated on
// 2025-11-10, raised to 10 on 2025-12-11.
func seedHistory(t *testing.T, s *usageShop) fulfillment.Asset {
	t.Helper()
	ctx := context.Background()
	real, err := s.app.FulfillmentStore.Asset(ctx, s.asset)
	if err != nil {
		t.Fatal(err)
	}
	a := real.Asset
	a.ID = fulfillment.NewAssetID()
	activated := time.Date(2025, 11, 10, 10, 0, 0, 0, time.UTC)
	changed := time.Date(2025, 12, 11, 9, 0, 0, 0, time.UTC)
	a.Status, a.ActivatedAt, a.PendingRequest, a.Created, a.Updated = fulfillment.AssetActive, &activated, nil, activated, changed
	withQty := func(q string) []fulfillment.AssetItem {
		items := append([]fulfillment.AssetItem(nil), real.Items...)
		for i := range items {
			if items[i].ID == s.lab.item.ID {
				items[i].Quantity = q
			}
		}
		return items
	}
	a.Items = withQty("10")
	reqs := []fulfillment.Request{
		{ID: fulfillment.RequestID(a.ID, 1), Type: fulfillment.TypePurchase, Status: fulfillment.StatusApproved, Created: activated, Updated: activated},
		{ID: fulfillment.RequestID(a.ID, 2), Type: fulfillment.TypeChange, Status: fulfillment.StatusApproved, Created: changed, Updated: changed},
	}
	reqs[0].Asset, reqs[1].Asset = a, a
	reqs[0].Asset.Items = withQty("4")
	tx := s.app.Table.Tx().Create("asset", fulfillment.AssetRow(fulfillment.StoredAsset{Asset: a, Rev: 1, NextReq: 3}))
	for _, r := range reqs {
		tx.Create("request "+r.ID, fulfillment.RequestRow(fulfillment.StoredRequest{Request: r, Rev: 1}))
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return a
}

// billerAt is the billing function with its clock at now.
func billerAt(t *testing.T, s *usageShop, now time.Time) *billing.Biller {
	t.Helper()
	return billing.NewBiller(billing.Config{Table: s.app.Table, Usage: s.app.UsageStore(), Assets: s.app.FulfillmentStore,
		Logger: stacktest.Logger(t), Now: func() time.Time { return now }})
}

type pcInvoiceView struct {
	ID                     string          `json:"id"`
	TotalCharges           json.Number     `json:"totalCharges"`
	CurrencyCode           string          `json:"currencyCode"`
	Status                 string          `json:"status"`
	BillingPeriodStartDate time.Time       `json:"billingPeriodStartDate"`
	BillingPeriodEndDate   time.Time       `json:"billingPeriodEndDate"`
	InvoiceDetails         []pcInvoiceLink `json:"invoiceDetails"`
}

type pcInvoiceLink struct {
	BillingProvider string            `json:"billingProvider"`
	TotalCount      int               `json:"totalCount"`
	Links           map[string]pcLink `json:"links"`
}

type pcLine struct {
	SubscriptionID string      `json:"subscriptionId"`
	SkuID          string      `json:"skuId"`
	ChargeType     string      `json:"chargeType"`
	Quantity       json.Number `json:"quantity"`
	UnitPrice      json.Number `json:"unitPrice"`
	Amount         json.Number `json:"amount"`
	BillableDays   int         `json:"billableDays"`
	UsageFileID    string      `json:"usageFileId"`
	UsageRecordID  string      `json:"usageRecordId"`
	SourceID       string      `json:"sourceId"`
}

type pcLines struct {
	TotalCount        int      `json:"totalCount"`
	Items             []pcLine `json:"items"`
	ContinuationToken string   `json:"continuationToken"`
	Links             map[string]struct {
		URI     string `json:"uri"`
		Headers []struct {
			Key, Value string
		} `json:"headers"`
	} `json:"links"`
}

func (s *usageShop) lines(t *testing.T, invoice, provider string) []pcLine {
	t.Helper()
	var out pcLines
	s.do(http.MethodGet, "/v1/invoices/"+invoice+"/lineitems?provider="+provider, s.provider.Token.Value, nil, http.StatusOK, &out)
	return out.Items
}

// TestBilling rates a seeded year of one subscription: the invoices of
// the months it crossed, then their exports and pages.
func TestBilling(t *testing.T) {
	s := newUsageShop(t)
	a := seedHistory(t, s)
	t.Run("proration across a quantity change", func(t *testing.T) {
		s.t = t
		billingProration(t, s, a)
	})
	t.Run("reconciliation and paging", func(t *testing.T) {
		s.t = t
		billingReconciliation(t, s)
	})
}

func billingProration(t *testing.T, s *usageShop, a fulfillment.Asset) {
	b := billerAt(t, s, time.Date(2026, 1, 2, 2, 0, 0, 0, time.UTC))
	for range 2 { // running twice gives the same invoices
		if err := b.Run(context.Background(), s.provider.ID); err != nil {
			t.Fatal(err)
		}
	}
	var list struct {
		TotalCount int             `json:"totalCount"`
		Items      []pcInvoiceView `json:"items"`
	}
	s.do(http.MethodGet, "/v1/invoices", s.provider.Token.Value, nil, http.StatusOK, &list)
	var got []string
	for _, inv := range list.Items {
		got = append(got, inv.ID+" "+inv.Status+" "+inv.TotalCharges.String())
	}
	digits := s.provider.ID[3:6] + s.provider.ID[7:]
	want := []string{
		"IN-202601-" + digits + "-USD open 100.00",  // Jan: the whole month at 10 users, projected
		"IN-202512-" + digits + "-USD closed 80.64", // 12.90 + 67.74: Dec 1-10 at 4 users, Dec 11-31 at 10
		"IN-202511-" + digits + "-USD closed 28.00", // Nov 10-30: 21 of 30 days × 4 × 10
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("invoices (-want +got):\n%s", diff)
	}
	dec := list.Items[1]
	if !dec.BillingPeriodStartDate.Equal(time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)) || dec.BillingPeriodEndDate.Day() != 31 {
		t.Errorf("December's period %s to %s", dec.BillingPeriodStartDate, dec.BillingPeriodEndDate)
	}
	lines := s.lines(t, dec.ID, "onetime")
	wantLines := []pcLine{
		{SubscriptionID: a.ID, SkuID: s.lab.item.LocalID, ChargeType: "renew", Quantity: "4", UnitPrice: "10", Amount: "12.90", BillableDays: 10, SourceID: fulfillment.RequestID(a.ID, 1)},
		{SubscriptionID: a.ID, SkuID: s.lab.item.LocalID, ChargeType: "prorate", Quantity: "10", UnitPrice: "10", Amount: "67.74", BillableDays: 21, SourceID: fulfillment.RequestID(a.ID, 2)},
	}
	if diff := cmp.Diff(wantLines, lines); diff != "" {
		t.Errorf("December lines (-want +got):\n%s", diff)
	}
	if usageLines := s.lines(t, dec.ID, "usage"); len(usageLines) != 0 {
		t.Errorf("usage lines without usage: %+v", usageLines)
	}

	// A later run leaves the closed invoices as they are.
	if err := billerAt(t, s, time.Date(2026, 2, 3, 0, 0, 0, 0, time.UTC)).Run(context.Background(), s.provider.ID); err != nil {
		t.Fatal(err)
	}
	var again pcInvoiceView
	s.do(http.MethodGet, "/v1/invoices/"+dec.ID, s.provider.Token.Value, nil, http.StatusOK, &again)
	if again.TotalCharges != dec.TotalCharges || again.Status != "closed" {
		t.Errorf("closed invoice changed: %+v", again)
	}
}

func billingReconciliation(t *testing.T, s *usageShop) {
	id := "IN-202512-" + s.provider.ID[3:6] + s.provider.ID[7:] + "-USD"
	res := s.do(http.MethodGet, "/v1/invoices/"+id+"/reconciliation.csv", s.provider.Token.Value, nil, http.StatusOK, nil)
	rows, err := csv.NewReader(bytes.NewReader(res.body)).ReadAll()
	if err != nil || len(rows) != 4 {
		t.Fatalf("reconciliation = %q (%v)", rows, err)
	}
	if rows[0][17] != "amount" || rows[1][17] != "12.90" || rows[2][17] != "67.74" || rows[3][1] != "total" || rows[3][17] != "80.64" {
		t.Errorf("reconciliation rows = %q", rows)
	}

	// A page of one line, then the next through the continuation token.
	var first pcLines
	s.do(http.MethodGet, "/v1/invoices/"+id+"/lineitems?provider=OneTime&size=1", s.provider.Token.Value, nil, http.StatusOK, &first)
	next := first.Links["next"]
	if len(first.Items) != 1 || len(next.Headers) != 1 || next.Headers[0].Key != "MS-ContinuationToken" {
		t.Fatalf("first page = %+v", first)
	}
	res = s.call(http.MethodGet, next.URI, s.provider.Token.Value, nil, "MS-ContinuationToken", next.Headers[0].Value)
	var second pcLines
	if err := json.Unmarshal(res.body, &second); err != nil || res.status != http.StatusOK || len(second.Items) != 1 || second.Items[0].ChargeType != "prorate" {
		t.Fatalf("second page = %d %s", res.status, res.body)
	}

	other := s.createAccount("provider", "Other Hub")
	tests := []struct {
		name   string
		res    response
		status int
		code   int
	}{
		{"vendor lists invoices", s.call(http.MethodGet, "/v1/invoices", s.vendor.Token.Value, nil), 403, 800403},
		{"another provider's invoice", s.call(http.MethodGet, "/v1/invoices/"+id, other.Token.Value, nil), 404, 800404},
		{"unknown invoice", s.call(http.MethodGet, "/v1/invoices/IN-000000-000000-USD/lineitems?provider=usage", s.provider.Token.Value, nil), 404, 800404},
		{"no provider", s.call(http.MethodGet, "/v1/invoices/"+id+"/lineitems", s.provider.Token.Value, nil), 400, 800002},
		{"bad line item type", s.call(http.MethodGet, "/v1/invoices/"+id+"/lineitems?provider=usage&invoicelineitemtype=usagelineitems", s.provider.Token.Value, nil), 400, 800002},
		{"size too big", s.call(http.MethodGet, "/v1/invoices/"+id+"/lineitems?provider=usage&size=5000", s.provider.Token.Value, nil), 400, 800002},
		{"next without a token", s.call(http.MethodGet, "/v1/invoices/"+id+"/lineitems?provider=usage&seekOperation=Next", s.provider.Token.Value, nil), 400, 800002},
		{"a forged token", s.call(http.MethodGet, "/v1/invoices/"+id+"/lineitems?provider=usage&seekOperation=Next", s.provider.Token.Value, nil, "MS-ContinuationToken", "bm9wZQ"), 400, 800002},
		{"reconciliation of another provider", s.call(http.MethodGet, "/v1/invoices/"+id+"/reconciliation.csv", other.Token.Value, nil), 404, 800404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { partnerError(t, tt.res, tt.status, tt.code) })
	}
}
