package fulfillment_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/mercato-dev/mercato/infra/localrun"
	"github.com/mercato-dev/mercato/infra/stack"
	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/pclink"
)

// These tests run the platform as `make run` does: the API handler, and
// every event source of template.yaml driven by infra/localrun against the
// emulator, so events really go table stream → relay → fulfillment queue →
// worker, and mail goes to the emulator's SES.

func TestMain(m *testing.M) { stacktest.Main(m) }

// platform is the API and the running event sources on one stack.
type platform struct {
	t   *testing.T
	env *stacktest.Env
	app *app.App
	api http.Handler
}

// start runs every handler of the app under localrun until the test ends,
// with retries of failed messages compressed to a fraction of a second.
func start(t *testing.T) *platform {
	t.Helper()
	env := stacktest.Shared(t)
	a := env.App(t, app.Options{})
	verifySender(t, env, a.Config.EmailFrom)
	env.RunApp(t, a, func(c *localrun.Config) { c.FailedVisibility = 200 * time.Millisecond })
	return &platform{t: t, env: env, app: a, api: a.API()}
}

// verifySender makes the sender a verified SES identity, as an operator
// does once per account (SES refuses mail from unverified senders).
func verifySender(t *testing.T, env *stacktest.Env, from string) {
	t.Helper()
	if err := stack.VerifySender(context.Background(), env.AWS, from); err != nil {
		t.Fatal(err)
	}
}

// call sends a request to the API; body is nil or a JSON value.
func (p *platform) call(method, path, token string, body any) (int, []byte) {
	p.t.Helper()
	rec := stacktest.Call(p.t, p.api, method, path, stacktest.APIKey(token), body)
	return rec.Code, rec.Body.Bytes()
}

// do sends a request, checks the status and decodes the answer into out.
func (p *platform) do(method, path, token string, body any, want int, out any) {
	p.t.Helper()
	stacktest.Do(p.t, p.api, method, path, stacktest.APIKey(token), body, want, out)
}

// eventually polls cond until it holds or the time is up.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	stacktest.Eventually(t, 30*time.Second, what, cond)
}

// sentMail is a message the emulator's SES accepted.
type sentMail struct {
	ID           string              `json:"id"`
	Source       string              `json:"source"`
	Subject      string              `json:"subject"`
	Body         string              `json:"body"`
	Destinations map[string][]string `json:"destinations"`
}

// mails reads what moto's SES captured, through its model endpoint.
func (p *platform) mails() []sentMail {
	p.t.Helper()
	res, err := http.Get(aws.ToString(p.env.AWS.BaseEndpoint) + "/moto-api/data.json")
	if err != nil {
		p.t.Fatal(err)
	}
	defer res.Body.Close()
	var data struct {
		SES struct {
			Message []sentMail `json:"Message"`
		} `json:"ses"`
	}
	if err := json.NewDecoder(res.Body).Decode(&data); err != nil {
		p.t.Fatalf("moto data.json: %v", err)
	}
	return data.SES.Message
}

// mailsTo returns the captured mails to addr whose subject has subject.
func (p *platform) mailsTo(addr, subject string) []sentMail {
	var out []sentMail
	for _, m := range p.mails() {
		for _, to := range m.Destinations["ToAddresses"] {
			if to == addr && strings.Contains(m.Subject, subject) {
				out = append(out, m)
			}
		}
	}
	return out
}

// world is the cast of 000_*: Front Street Inc. sells Apollo Pulse on the
// Apollo Hub's marketplace, and the hub's customer orders it.
type world struct {
	vendor, provider account.Created
	product          catalog.Product
	item             catalog.Item
	activation       catalog.Template
	inquire          catalog.Template
	mp               catalog.Marketplace
	customer         string
}

func (p *platform) world(suffix string) world {
	p.t.Helper()
	ctx := context.Background()
	admin, err := p.app.Accounts.Ensure(ctx, "e2e-admin", account.CreateAccountInput{Type: account.Admin, Name: "Admin"})
	if err != nil {
		p.t.Fatal(err)
	}
	var w world
	p.do(http.MethodPost, "/public/v1/accounts", admin.Token.Value, map[string]any{"type": "vendor", "name": "Front Street Inc.",
		"email": "vendor" + suffix + "@frontstreet.example"}, http.StatusCreated, &w.vendor)
	p.do(http.MethodPost, "/public/v1/accounts", admin.Token.Value, map[string]any{"type": "provider", "name": "Apollo Hub",
		"email": "hub" + suffix + "@apollo.example"}, http.StatusCreated, &w.provider)
	v, pr := w.vendor.Token.Value, w.provider.Token.Value
	p.do(http.MethodPost, "/public/v1/marketplaces", pr, map[string]any{"name": "Apollo US", "currency": "USD", "countries": []string{"US"}}, http.StatusCreated, &w.mp)
	p.do(http.MethodPost, "/public/v1/products", v, map[string]any{"name": "Apollo Pulse"}, http.StatusCreated, &w.product)
	base := "/public/v1/products/" + w.product.ID
	var items []catalog.Item
	p.do(http.MethodGet, base+"/items", v, nil, http.StatusOK, &items)
	w.item = items[0]
	p.do(http.MethodPost, base+"/parameters", v, map[string]any{"name": "param_license_key", "title": "License key",
		"type": "text", "scope": "asset", "phase": "fulfillment", "constraints": map[string]any{"required": true}}, http.StatusCreated, nil)
	p.do(http.MethodPost, base+"/templates", v, map[string]any{"type": "fulfillment", "scope": "asset", "title": "Activation",
		"body": "# Apollo Pulse\nYour license key is **{{ param_license_key }}** ({{ customer.name }}, {{ asset.id }})."}, http.StatusCreated, &w.activation)
	p.do(http.MethodPost, base+"/templates", v, map[string]any{"type": "inquire", "scope": "asset", "title": "We need more",
		"body": "Please check {{ param_default }}."}, http.StatusCreated, &w.inquire)
	p.do(http.MethodPost, base+"/publish", v, nil, http.StatusCreated, nil)
	var lr catalog.ListingRequest
	p.do(http.MethodPost, "/public/v1/listing-requests", v, map[string]any{"product": w.product.ID, "marketplace": w.mp.ID,
		"prices": []map[string]any{{"item": w.item.ID, "price": "10", "terms": []string{"P1M"}}}}, http.StatusCreated, &lr)
	p.do(http.MethodPost, "/public/v1/listing-requests/"+lr.ID+"/approve", pr, nil, http.StatusOK, nil)
	var c struct {
		ID string `json:"id"`
	}
	p.do(http.MethodPost, "/v1/customers", pr, map[string]any{"companyProfile": map[string]any{"companyName": "Contoso Ltd"},
		"billingProfile": map[string]any{"email": "it@contoso.example", "defaultAddress": map[string]any{"country": "US"}}}, http.StatusCreated, &c)
	w.customer = c.ID
	return w
}

// params is a PUT body setting one field (value or value_error) of one
// parameter.
func params(id, field, value string) map[string]any {
	return map[string]any{"asset": map[string]any{"params": []any{map[string]any{"id": id, field: value}}}}
}

// TestFlow_000 is the provider flow of 000_* end to end, through the
// event pipeline of the local stack.
func TestFlow_000(t *testing.T) {
	p := start(t)
	w := p.world("")
	v, pr := w.vendor.Token.Value, w.provider.Token.Value

	// 1. A provider order.
	var order struct {
		ID        string `json:"id"`
		LineItems []struct {
			SubscriptionID string `json:"subscriptionId"`
		} `json:"lineItems"`
	}
	orders := "/v1/customers/" + w.customer + "/orders"
	p.do(http.MethodPost, orders, pr, map[string]any{"lineItems": []any{map[string]any{"offerId": w.product.ID + ":0001:" + w.mp.ID,
		"quantity": 1, "provisioningContext": map[string]string{"param_default": "contoso"}}}}, http.StatusCreated, &order)
	asset := order.LineItems[0].SubscriptionID
	id := fulfillment.RequestID(asset, 1)

	// 2. The request is in the vendor's queue, and the vendor was told.
	var queue []fulfillment.Request
	p.do(http.MethodGet, "/public/v1/requests?status=pending&asset.product.id="+w.product.ID, v, nil, http.StatusOK, &queue)
	if len(queue) != 1 || queue[0].ID != id || queue[0].Type != "purchase" {
		t.Fatalf("vendor queue = %+v", queue)
	}
	eventually(t, "the new-request mail to the vendor", func() bool { return len(p.mailsTo("vendor@frontstreet.example", id)) == 1 })

	// 3. The vendor inquires about the ordering parameter.
	var r fulfillment.Request
	p.do(http.MethodPut, "/public/v1/requests/"+id, v, params("param_default", "value_error", "tenant contoso is taken; choose another"), http.StatusOK, nil)
	p.do(http.MethodPost, "/public/v1/requests/"+id+"/inquire", v, map[string]any{"template_id": w.inquire.ID}, http.StatusOK, &r)
	if r.Status != "inquiring" {
		t.Fatalf("after inquire: %s", r.Status)
	}

	// 4. The provider supplies the parameter. As in Connect, the provider's
	// answer itself returns the request to pending: no vendor action is
	// needed for an answered inquiry.
	p.do(http.MethodPut, "/public/v1/requests/"+id, pr, params("param_default", "value", "contoso-2"), http.StatusOK, &r)
	if r.Status != "pending" {
		t.Fatalf("after the provider's answer: %s", r.Status)
	}

	// 5. The vendor pends, sets the fulfillment parameter and approves with
	// the activation template. The vendor's pend is the way back from
	// inquiring when the vendor settles a question itself: here it asks
	// the provider to confirm the new tenant, then confirms it on its own
	// side, clears its note and pends the request without an answer.
	p.do(http.MethodPut, "/public/v1/requests/"+id, v, params("param_default", "value_error", "please confirm contoso-2"), http.StatusOK, nil)
	p.do(http.MethodPost, "/public/v1/requests/"+id+"/inquire", v, nil, http.StatusOK, &r)
	if r.Status != "inquiring" {
		t.Fatalf("after the second inquire: %s", r.Status)
	}
	p.do(http.MethodPut, "/public/v1/requests/"+id, v, params("param_default", "value_error", ""), http.StatusOK, nil)
	p.do(http.MethodPost, "/public/v1/requests/"+id+"/pend", v, nil, http.StatusOK, &r)
	if r.Status != "pending" {
		t.Fatalf("after pend: %s", r.Status)
	}
	p.do(http.MethodPut, "/public/v1/requests/"+id, v, params("param_license_key", "value", "APL-7734-KEY"), http.StatusOK, nil)
	p.do(http.MethodPost, "/public/v1/requests/"+id+"/approve", v, map[string]any{"template_id": w.activation.ID}, http.StatusOK, &r)
	if r.Status != "approved" {
		t.Fatalf("after approve: %s", r.Status)
	}
	if tenant, _ := r.Asset.Param("param_default"); tenant == nil || tenant.Value != "contoso-2" || tenant.ValueError != "" {
		t.Errorf("the approved tenant param = %+v", tenant)
	}

	// 6. The asset is active, the order completed, provisioning Fulfilled,
	// and the activation link renders.
	var a fulfillment.Asset
	p.do(http.MethodGet, "/public/v1/assets/"+asset, pr, nil, http.StatusOK, &a)
	if a.Status != "active" || a.ActivatedAt == nil {
		t.Errorf("asset = %s, activated %v", a.Status, a.ActivatedAt)
	}
	var o struct {
		Status string `json:"status"`
	}
	eventually(t, "the order to complete", func() bool {
		p.do(http.MethodGet, orders+"/"+order.ID, pr, nil, http.StatusOK, &o)
		return o.Status == "completed"
	})
	var prov struct {
		Items []struct {
			Status string `json:"status"`
		} `json:"items"`
	}
	p.do(http.MethodGet, orders+"/"+order.ID+"/provisioningstatus", pr, nil, http.StatusOK, &prov)
	if len(prov.Items) != 1 || prov.Items[0].Status != "Fulfilled" {
		t.Errorf("provisioning = %+v", prov)
	}
	var links struct {
		Items []pclink.ActivationLink `json:"items"`
	}
	p.do(http.MethodGet, orders+"/"+order.ID+"/activationlinks", pr, nil, http.StatusOK, &links)
	if len(links.Items) != 1 {
		t.Fatalf("activation links = %+v", links)
	}
	status, md := p.call(http.MethodGet, links.Items[0].Link.URI, pr, nil)
	wantMD := "# Apollo Pulse\nYour license key is **APL-7734-KEY** (Contoso Ltd, " + asset + ")."
	if status != 200 || string(md) != wantMD {
		t.Errorf("activation link %s = %d %q", links.Items[0].Link.URI, status, md)
	}

	// 7. The provider got the "PurchaseStatus: Approved" mail, once.
	p.checkPurchaseMail(w, "hub@apollo.example", r, "Approved")
}

// checkPurchaseMail waits for the provider's "PurchaseStatus: <status>"
// mail about r, checks its fields, and that it came once.
func (p *platform) checkPurchaseMail(w world, to string, r fulfillment.Request, status string) {
	t := p.t
	t.Helper()
	subject := "PurchaseStatus: " + status + " " + r.ID
	var got []sentMail
	eventually(t, "the "+status+" mail to the provider", func() bool {
		got = p.mailsTo(to, subject)
		return len(got) > 0
	})
	body := got[0].Body
	want := []string{
		"PurchaseStatus: " + status + "\n",
		"ID: " + r.ID + "\n",
		"Asset ID: " + r.Asset.ID + "\n",
		"Vendor: Front Street Inc.\n",
		fmt.Sprintf("Product: Apollo Pulse (%s)\n", w.product.ID),
		"Created: " + r.Created.UTC().Format("1/2/06, 3:04 PM") + " UTC\n",
		"Completed: " + r.Updated.UTC().Format("1/2/06, 3:04 PM") + " UTC\n",
	}
	if r.Reason != "" {
		want = append(want, "Reason: "+r.Reason+"\n")
	}
	for _, s := range want {
		if !strings.Contains(body, s) {
			t.Errorf("%s mail lacks %q:\n%s", status, s, body)
		}
	}
	if got[0].Source != p.app.Config.EmailFrom {
		t.Errorf("mail from %q", got[0].Source)
	}
	time.Sleep(time.Second) // let any duplicate delivery arrive
	if n := len(p.mailsTo(to, subject)); n != 1 {
		t.Errorf("%d %s mails, want 1", n, status)
	}
}

// connectPurchase is the hub's Connect purchase of one Apollo Pulse for
// the 000_* customer through its T1 reseller.
func (p *platform) connectPurchase(w world, externalID string) fulfillment.Request {
	p.t.Helper()
	body := map[string]any{"type": "purchase", "asset": map[string]any{
		"external_id": externalID, "external_uid": "uid-" + externalID,
		"product": map[string]string{"id": w.product.ID}, "marketplace": map[string]string{"id": w.mp.ID},
		"tiers": map[string]any{
			"customer": map[string]any{"name": "Contoso Ltd", "external_id": "C-" + externalID,
				"contact_info": map[string]any{"email": "it@contoso.example", "address": map[string]any{"country": "US"}}},
			"tier1": map[string]any{"name": "Reseller One", "external_id": "T1-" + externalID},
		},
		"items":  []any{map[string]any{"id": w.item.ID, "quantity": "1"}},
		"params": []any{map[string]any{"id": "param_default", "value": "contoso"}},
	}}
	var r fulfillment.Request
	p.do(http.MethodPost, "/public/v1/requests", w.provider.Token.Value, body, http.StatusCreated, &r)
	return r
}

// TestFlow_000_Connect is the flow of 000_* as the provider's hub does it
// through the Connect API: POST /public/v1/requests with the tiers and the
// external ids, the vendor's approval, the asset's activation render and
// the provider's "PurchaseStatus: Approved" mail.
func TestFlow_000_Connect(t *testing.T) {
	p := start(t)
	w := p.world("-connect")
	v, pr := w.vendor.Token.Value, w.provider.Token.Value
	r := p.connectPurchase(w, "12345")
	if r.Status != "pending" || r.Asset.ExternalID != "12345" || r.Asset.ExternalUID != "uid-12345" ||
		r.Asset.Tiers.Tier1 == nil || r.Asset.Tiers.Tier1.Name != "Reseller One" || r.Asset.Tiers.Customer.ExternalID != "C-12345" {
		t.Fatalf("purchase request = %+v", r)
	}
	var queue []fulfillment.Request
	p.do(http.MethodGet, "/public/v1/requests?status=pending&asset.external_id=12345", v, nil, http.StatusOK, &queue)
	if len(queue) != 1 || queue[0].ID != r.ID {
		t.Fatalf("vendor queue = %+v", queue)
	}
	eventually(t, "the new-request mail to the vendor", func() bool { return len(p.mailsTo("vendor-connect@frontstreet.example", r.ID)) == 1 })

	p.do(http.MethodPut, "/public/v1/requests/"+r.ID, v, params("param_license_key", "value", "APL-1416-KEY"), http.StatusOK, nil)
	p.do(http.MethodPost, "/public/v1/requests/"+r.ID+"/approve", v, map[string]any{"template_id": w.activation.ID}, http.StatusOK, &r)
	if r.Status != "approved" {
		t.Fatalf("after approve: %s", r.Status)
	}
	var a fulfillment.Asset
	p.do(http.MethodGet, "/public/v1/assets/"+r.Asset.ID, pr, nil, http.StatusOK, &a)
	if a.Status != "active" || a.ExternalID != "12345" {
		t.Errorf("asset = %s (external id %q)", a.Status, a.ExternalID)
	}
	status, md := p.call(http.MethodGet, "/public/v1/assets/"+r.Asset.ID+"/render", pr, nil)
	wantMD := "# Apollo Pulse\nYour license key is **APL-1416-KEY** (Contoso Ltd, " + r.Asset.ID + ")."
	if status != 200 || string(md) != wantMD {
		t.Errorf("asset render = %d %q", status, md)
	}
	p.checkPurchaseMail(w, "hub-connect@apollo.example", r, "Approved")
}

// TestFlow_FailedPurchaseMail: a purchase the vendor fails reaches the
// provider's mailbox as "PurchaseStatus: Failed" with the vendor's reason,
// and terminates the asset.
func TestFlow_FailedPurchaseMail(t *testing.T) {
	p := start(t)
	w := p.world("-failed")
	r := p.connectPurchase(w, "67890")
	p.do(http.MethodPost, "/public/v1/requests/"+r.ID+"/fail", w.vendor.Token.Value, map[string]any{"reason": "tenant contoso cannot be created"}, http.StatusOK, &r)
	if r.Status != "failed" || r.Reason != "tenant contoso cannot be created" || r.Asset.Status != "terminated" {
		t.Fatalf("failed request: status %s reason %q asset %s", r.Status, r.Reason, r.Asset.Status)
	}
	p.checkPurchaseMail(w, "hub-failed@apollo.example", r, "Failed")
	if n := len(p.mailsTo("hub-failed@apollo.example", "PurchaseStatus: Approved")); n != 0 {
		t.Errorf("%d Approved mails for a failed purchase", n)
	}
}

// TestWorker_PoisonMessageGoesToTheDLQ sends the fulfillment queue a batch
// of a poison message and a good one: the good one is handled at once, the
// poison one is retried until the queue's redrive policy moves it to the
// DLQ.
func TestWorker_PoisonMessageGoesToTheDLQ(t *testing.T) {
	p := start(t)
	w := p.world("-poison")
	ctx := context.Background()
	good, err := event.New(event.RequestCreated, w.vendor.ID, fulfillment.Request{ID: "PR-9999-9999-9999-001", Type: "purchase", Status: "pending",
		Asset: fulfillment.Asset{ID: "AS-9999-9999-9999", Vendor: catalog.Ref{ID: w.vendor.ID, Name: w.vendor.Name}, Provider: catalog.Ref{ID: w.provider.ID}}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	poison := event.Event{ID: "EV-poison-" + fmt.Sprint(time.Now().UnixNano()), Type: event.RequestUpdated, Account: w.vendor.ID,
		Created: time.Now(), Data: json.RawMessage(`"not a request"`)}
	q := sqs.NewFromConfig(p.env.AWS)
	var entries []sqstypes.SendMessageBatchRequestEntry
	for i, e := range []event.Event{poison, good} {
		body, _ := json.Marshal(e)
		entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), MessageBody: aws.String(string(body))})
	}
	if _, err := q.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(p.app.Config.FulfillmentQueue), Entries: entries}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the good message's mail", func() bool { return len(p.mailsTo("vendor-poison@frontstreet.example", "PR-9999-9999-9999-001")) == 1 })
	dlq, err := p.env.Stack.QueueURL(ctx, "FulfillmentDLQ")
	if err != nil {
		t.Fatal(err)
	}
	var dead []string
	eventually(t, "the poison message in the DLQ", func() bool {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlq), MaxNumberOfMessages: 10,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateReceiveCount}})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			dead = append(dead, aws.ToString(m.Body))
		}
		return len(dead) > 0
	})
	if len(dead) != 1 || !strings.Contains(dead[0], poison.ID) {
		t.Errorf("DLQ holds %v, want only the poison message", dead)
	}
	if n := len(p.mailsTo("vendor-poison@frontstreet.example", "PR-9999-9999-9999-001")); n != 1 {
		t.Errorf("the good message was handled %d times", n)
	}
}
