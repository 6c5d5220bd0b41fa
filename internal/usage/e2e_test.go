package usage_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/usage"
)

func TestMain(m *testing.M) { stacktest.Main(m) }

// client calls the API handler as one account.
type client struct {
	t     *testing.T
	api   http.Handler
	token string
}

func (c client) do(method, path string, body any, want int, out any) []byte {
	c.t.Helper()
	return stacktest.Do(c.t, c.api, method, path, "Bearer "+c.token, body, want, out)
}

type idOnly struct {
	ID string `json:"id"`
}

// market is a listed product with a monthly reservation item (10 a user)
// and a pay-per-use item (0.05 a minute), as the Connect vendor lab builds
// it, and the vendor's and the provider's clients.
type market struct {
	vendor, provider  client
	product, mp       string
	seats, minutes    idOnly
	minutesMPN        string
	templateID, asset string
}

func newMarket(t *testing.T, a *app.App) *market {
	t.Helper()
	api := a.API()
	admin, err := a.Accounts.Ensure(context.Background(), "e2e-admin", account.CreateAccountInput{Type: account.Admin, Name: "Admin"})
	if err != nil {
		t.Fatal(err)
	}
	root := client{t, api, admin.Token.Value}
	var v, p account.Created
	root.do(http.MethodPost, "/public/v1/accounts", map[string]any{"type": "vendor", "name": "Front Street Inc."}, 201, &v)
	root.do(http.MethodPost, "/public/v1/accounts", map[string]any{"type": "provider", "name": "Apollo Hub"}, 201, &p)
	m := &market{vendor: client{t, api, v.Token.Value}, provider: client{t, api, p.Token.Value}, minutesMPN: "MPN-MIN"}
	var mp, prod idOnly
	m.provider.do(http.MethodPost, "/public/v1/marketplaces", map[string]any{"name": "Apollo US", "currency": "USD", "countries": []string{"US"}}, 201, &mp)
	m.vendor.do(http.MethodPost, "/public/v1/products", map[string]any{"name": "Web Conference", "short_description": "Meetings",
		"detailed_description": "Meetings", "category": "Collaboration", "icon": "https://cdn.example/icon.png"}, 201, &prod)
	m.mp, m.product = mp.ID, prod.ID
	base := "/public/v1/products/" + prod.ID
	var items, params []idOnly
	m.vendor.do(http.MethodGet, base+"/items", nil, 200, &items)
	m.vendor.do(http.MethodGet, base+"/parameters", nil, 200, &params)
	for _, it := range items {
		m.vendor.do(http.MethodDelete, base+"/items/"+it.ID, nil, 204, nil)
	}
	for _, pr := range params {
		m.vendor.do(http.MethodDelete, base+"/parameters/"+pr.ID, nil, 204, nil)
	}
	m.vendor.do(http.MethodPost, base+"/items", map[string]any{"name": "Users", "mpn": "MPN-USERS", "type": "reservation", "period": "monthly", "unit": "users"}, 201, &m.seats)
	m.vendor.do(http.MethodPost, base+"/items", map[string]any{"name": "Recording minutes", "mpn": m.minutesMPN, "type": "ppu", "unit": "minutes"}, 201, &m.minutes)
	var tpl idOnly
	m.vendor.do(http.MethodPost, base+"/templates", map[string]any{"type": "fulfillment", "scope": "asset", "title": "Activation", "body": "# Welcome"}, 201, &tpl)
	m.templateID = tpl.ID
	m.vendor.do(http.MethodPost, base+"/publish", nil, 201, nil)
	var lr idOnly
	m.vendor.do(http.MethodPost, "/public/v1/listing-requests", map[string]any{"product": prod.ID, "marketplace": mp.ID, "prices": []any{
		map[string]any{"item": m.seats.ID, "price": "10", "terms": []string{"P1M"}}, map[string]any{"item": m.minutes.ID, "price": "0.05"}}}, 201, &lr)
	m.provider.do(http.MethodPost, "/public/v1/listing-requests/"+lr.ID+"/approve", nil, 200, nil)
	return m
}

// order buys 3 users and the minutes with a Connect purchase request,
// which the vendor approves.
func (m *market) order(t *testing.T) {
	t.Helper()
	var r struct {
		ID    string `json:"id"`
		Asset idOnly `json:"asset"`
	}
	m.provider.do(http.MethodPost, "/public/v1/requests", map[string]any{"type": "purchase", "asset": map[string]any{
		"product": m.product, "marketplace": m.mp, "tiers": map[string]any{"customer": map[string]any{"name": "Contoso Ltd"}},
		"items": []any{map[string]any{"id": m.seats.ID, "quantity": 3}, map[string]any{"id": m.minutes.ID, "quantity": 0}}}}, 201, &r)
	m.vendor.do(http.MethodPost, "/public/v1/requests/"+r.ID+"/approve", map[string]any{"template_id": m.templateID}, 200, nil)
	m.asset = r.Asset.ID
}

// orderedMarket is a market on the shared emulator whose product the
// provider has bought (see order), for the tests that need a whole stack.
func orderedMarket(t *testing.T) (*stacktest.Env, *app.App, *market) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs the emulator")
	}
	env := stacktest.Shared(t)
	a := env.App(t, app.Options{})
	m := newMarket(t, a)
	m.order(t)
	return env, a, m
}

// run drives every event source of the stack with the app's handlers, as
// make run does, until the test ends.
func run(t *testing.T, env *stacktest.Env, a *app.App) {
	t.Helper()
	env.RunApp(t, a)
}

// eventually polls until ok, for at most 30 s.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	stacktest.Eventually(t, 30*time.Second, what, ok)
}

// TestUsage_EndToEnd walks the acceptance through make run's
// runtime: the object reaches the usage function through the bucket's
// notification and SQS, and the acceptance reaches billing through the
// outbox, the relay and the billing queue.
func TestUsage_EndToEnd(t *testing.T) {
	env, a, m := orderedMarket(t)
	run(t, env, a)

	now := time.Now().UTC()
	from := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	var f usage.File
	m.vendor.do(http.MethodPost, "/public/v1/usage/files", map[string]any{"name": "November minutes", "product": m.product,
		"marketplace": m.mp, "period": map[string]any{"from": from.Format(time.DateOnly), "to": from.AddDate(0, 1, 0).Format(time.DateOnly)}}, 201, &f)

	// The template, filled with three rows of the listed ppu item.
	rows, err := csv.NewReader(bytes.NewReader(m.vendor.do(http.MethodGet, "/public/v1/usage/files/"+f.ID+"/template", nil, 200, nil))).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][3] != m.minutesMPN {
		t.Fatalf("template = %q (%v)", rows, err)
	}
	start := now.Truncate(time.Second).Add(time.Second)
	quantities := []string{"120", "35.5", "0.25"}
	for i, q := range quantities {
		row := slices.Clone(rows[1])
		row[0], row[4], row[5], row[6], row[8] = fmt.Sprintf("rec-%d", i+1), q, start.Format(time.DateTime), start.Add(time.Minute).Format(time.DateTime), m.asset
		if i == 0 {
			rows[1] = row
		} else {
			rows = append(rows, row)
		}
	}
	var body bytes.Buffer
	_ = csv.NewWriter(&body).WriteAll(rows)

	// Uploaded through the presigned URL with a plain PUT, then processed
	// by the usage function when S3 notifies it.
	upload := func(content []byte, records int) {
		t.Helper()
		var up usage.UploadURL
		m.vendor.do(http.MethodPost, "/public/v1/usage/files/"+f.ID+"/upload", nil, 200, &up)
		req, _ := http.NewRequest(http.MethodPut, up.URL, bytes.NewReader(content))
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("PUT presigned URL: %v %v", res, err)
		}
		_ = res.Body.Close()
		eventually(t, fmt.Sprintf("the file becoming ready with %d records", records), func() bool {
			m.vendor.do(http.MethodGet, "/public/v1/usage/files/"+f.ID, nil, 200, &f)
			if f.Status == usage.StatusInvalid {
				t.Fatalf("file invalid: %s", f.ErrorDetail)
			}
			return f.Status == usage.StatusReady && f.Stats.Records == records
		})
	}
	// A first upload of 40 records, replaced by the 3 rows: the first
	// generation's records are deleted by units the relay routes back to
	// the usage function.
	upload(m.usageCSV("early", 40, false), 40)
	upload(body.Bytes(), 3)
	if f.Stats.Items[0].Quantity != "155.75" {
		t.Fatalf("stats = %+v", f.Stats)
	}
	eventually(t, "the first upload's records deleted", func() bool {
		all, current := recordItems(t, a.Table, f.ID, 2)
		return all == 3 && current == 3
	})

	// Submitted and accepted; billing runs on the acceptance.
	m.vendor.do(http.MethodPost, "/public/v1/usage/files/"+f.ID+"/submit", nil, 200, nil)
	m.provider.do(http.MethodPost, "/public/v1/usage/files/"+f.ID+"/accept", map[string]any{"note": "ok"}, 200, nil)
	var inv struct {
		ID             string      `json:"id"`
		TotalCharges   json.Number `json:"totalCharges"`
		InvoiceDetails []struct {
			BillingProvider string `json:"billingProvider"`
			TotalCount      int    `json:"totalCount"`
		} `json:"invoiceDetails"`
	}
	eventually(t, "the invoice with the usage", func() bool {
		var list struct {
			Items []json.RawMessage `json:"items"`
		}
		m.provider.do(http.MethodGet, "/v1/invoices", nil, 200, &list)
		return len(list.Items) == 1 && json.Unmarshal(list.Items[0], &inv) == nil && inv.InvoiceDetails[1].TotalCount == 3
	})

	// The recurring line: 3 users at 10 from today to the month's end.
	days := int(from.AddDate(0, 1, 0).Sub(time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)).Hours() / 24)
	monthDays := int(from.AddDate(0, 1, 0).Sub(from).Hours() / 24)
	recurring := decimal.NewFromInt(int64(30 * days)).Div(decimal.NewFromInt(int64(monthDays))).Round(2)
	usageAmounts := []string{"6.00", "1.78", "0.01"} // 120 × 0.05, 35.5 × 0.05 = 1.775 → 1.78, 0.0125 → 0.01
	want := recurring.Add(decimal.RequireFromString("7.79")).StringFixed(2)
	if inv.TotalCharges.String() != want || inv.InvoiceDetails[0].TotalCount != 1 {
		t.Fatalf("invoice %s: total %s, want %s; details %+v", inv.ID, inv.TotalCharges, want, inv.InvoiceDetails)
	}
	var lines struct {
		Items []struct {
			ChargeType    string      `json:"chargeType"`
			Amount        json.Number `json:"amount"`
			Quantity      json.Number `json:"quantity"`
			UsageFileID   string      `json:"usageFileId"`
			UsageRecordID string      `json:"usageRecordId"`
		} `json:"items"`
	}
	m.provider.do(http.MethodGet, "/v1/invoices/"+inv.ID+"/lineitems?provider=usage&invoicelineitemtype=billinglineitems", nil, 200, &lines)
	for i, l := range lines.Items {
		if l.ChargeType != "usage" || l.Amount.String() != usageAmounts[i] || l.UsageFileID != f.ID || l.UsageRecordID != fmt.Sprintf("rec-%d", i+1) {
			t.Errorf("usage line %d = %+v", i, l)
		}
	}
	m.provider.do(http.MethodGet, "/v1/invoices/"+inv.ID+"/lineitems?provider=onetime", nil, 200, &lines)
	if len(lines.Items) != 1 || lines.Items[0].ChargeType != "new" || lines.Items[0].Amount.String() != recurring.StringFixed(2) || lines.Items[0].Quantity != "3" {
		t.Errorf("recurring lines = %+v", lines.Items)
	}

	// The reconciliation ties out: every line names its source, and the
	// lines add up to the invoice's total.
	recon, err := csv.NewReader(bytes.NewReader(m.provider.do(http.MethodGet, "/v1/invoices/"+inv.ID+"/reconciliation.csv", nil, 200, nil))).ReadAll()
	if err != nil || len(recon) != 6 {
		t.Fatalf("reconciliation = %q (%v)", recon, err)
	}
	sum := decimal.Zero
	for _, row := range recon[1:5] {
		sum = sum.Add(decimal.RequireFromString(row[17]))
		if row[19] == "" || (row[1] == "usage" && (row[20] != f.ID || !strings.HasPrefix(row[21], "rec-"))) {
			t.Errorf("line without its source: %q", row)
		}
	}
	total := recon[5]
	if total[1] != "total" || total[17] != want || sum.StringFixed(2) != want {
		t.Errorf("reconciliation total %q, lines add to %s, invoice %s", total, sum.StringFixed(2), want)
	}
}
