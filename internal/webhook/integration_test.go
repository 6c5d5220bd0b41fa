package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/mercato-dev/mercato/infra/localrun"
	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/ident"
	"github.com/mercato-dev/mercato/internal/webhook"
	"github.com/mercato-dev/mercato/internal/webhook/sqsqueue"
)

// The whole package shares one running stack: the relay and the dispatcher
// driven by the local runtime, as `make run` drives them, with the retry
// schedule compressed to seconds.
var (
	stackOnce sync.Once
	stackApp  *app.App
	stackErr  error
	stopStack func()
)

func TestMain(m *testing.M) {
	stacktest.Main(m, func() {
		if stopStack != nil {
			stopStack()
		}
	})
}

const retryStep = time.Second

func running(t *testing.T) *app.App {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test")
	}
	env := stacktest.Shared(t)
	stackOnce.Do(func() { stackApp, stackErr = start(t, env) })
	if stackErr != nil {
		t.Fatal(stackErr)
	}
	return stackApp
}

func start(t *testing.T, env *stacktest.Env) (*app.App, error) {
	cfg := env.Config
	cfg.WebhookRetries = []time.Duration{retryStep, retryStep, retryStep, retryStep, retryStep, retryStep, retryStep}
	a := app.New(cfg, env.AWS, stacktest.Logger(t), app.Options{})
	hs, err := a.Handlers()
	if err != nil {
		return nil, err
	}
	h := hs
	noop := func(context.Context, events.EventBridgeEvent) error { return nil }
	for k := range hs.Schedule {
		h.Schedule[k] = noop
	}
	rt, err := localrun.New(localrun.Config{AWS: env.AWS, Stack: env.Stack, Handlers: h, Logger: stacktest.Logger(t), PollWait: 200 * time.Millisecond})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rt.Run(ctx) }()
	stopStack = func() { cancel(); <-done }
	return a, nil
}

// tenant is a fresh vendor account with its API.
type tenant struct {
	t     *testing.T
	api   http.Handler
	id    string
	token string
}

func newTenant(t *testing.T, a *app.App) *tenant {
	t.Helper()
	return newAccount(t, a, account.Vendor, "Hooks Inc.")
}

// newAccount is a fresh account of any type with its API.
func newAccount(t *testing.T, a *app.App, typ account.Type, name string) *tenant {
	t.Helper()
	c, err := a.Accounts.Ensure(context.Background(), "wh-"+ident.Secret(6), account.CreateAccountInput{Type: typ, Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return &tenant{t: t, api: a.API(), id: c.ID, token: c.Token.Value}
}

func (tn *tenant) do(method, path string, body any, want int, out any) {
	tn.t.Helper()
	stacktest.Do(tn.t, tn.api, method, path, stacktest.APIKey(tn.token), body, want, out)
}

// call answers the status and body of a request of the tenant; unlike do,
// it may run on goroutines other than the test's.
func (tn *tenant) call(method, path string, body any) (int, []byte) {
	rec := stacktest.Call(tn.t, tn.api, method, path, stacktest.APIKey(tn.token), body)
	return rec.Code, rec.Body.Bytes()
}

func (tn *tenant) register(url string, extra map[string]any) webhook.WithSecret {
	tn.t.Helper()
	body := map[string]any{"label": "test", "url": url}
	for k, v := range extra {
		body[k] = v
	}
	var w webhook.WithSecret
	tn.do(http.MethodPost, "/public/v1/webhooks", body, http.StatusCreated, &w)
	return w
}

func (tn *tenant) deliveries(id, query string) []webhook.Delivery {
	tn.t.Helper()
	var ds []webhook.Delivery
	tn.do(http.MethodGet, "/public/v1/webhooks/"+id+"/deliveries"+query, nil, http.StatusOK, &ds)
	return ds
}

// emit commits an event of the tenant through the outbox, as a domain
// service does with its state change.
func emit(t *testing.T, a *app.App, account string, typ event.Type, data string) event.Event {
	t.Helper()
	e, err := event.New(typ, account, json.RawMessage(data), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Table.Tx().Emit(e, 1).Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e
}

// hit is one request a receiver got.
type hit struct {
	at     time.Time
	header http.Header
	body   []byte
}

// receiver is a real local HTTP endpoint whose answers follow a script.
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	answers []func(http.ResponseWriter)
	hits    []hit
}

func newReceiver(t *testing.T, answers ...func(http.ResponseWriter)) *receiver {
	t.Helper()
	r := &receiver{answers: answers}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.hits = append(r.hits, hit{at: time.Now(), header: req.Header.Clone(), body: body})
		answer := status(200)
		if len(r.answers) > 0 {
			answer = r.answers[0]
			if len(r.answers) > 1 {
				r.answers = r.answers[1:]
			}
		}
		r.mu.Unlock()
		answer(w)
	}))
	t.Cleanup(r.Close)
	return r
}

func status(code int) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) { w.WriteHeader(code) }
}

// outage is a receiver's answer that fails with 503 until end is called,
// then succeeds: the endpoint's outage a recovery test lives through.
type outage struct {
	mu   sync.Mutex
	down bool
}

func (o *outage) answer(w http.ResponseWriter) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.down {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (o *outage) end() {
	o.mu.Lock()
	o.down = false
	o.mu.Unlock()
}

// downHook is a new tenant's webhook whose receiver answers 503 until
// out.end(); since is just before it was registered.
type downHook struct {
	a     *app.App
	tn    *tenant
	out   *outage
	rcv   *receiver
	w     webhook.WithSecret
	since time.Time
}

func newDownHook(t *testing.T) downHook {
	t.Helper()
	a := running(t)
	tn := newTenant(t, a)
	out := &outage{down: true}
	rcv := newReceiver(t, out.answer)
	return downHook{a: a, tn: tn, out: out, rcv: rcv, w: tn.register(rcv.URL, nil), since: time.Now().Add(-time.Second)}
}

func (r *receiver) got() []hit {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hit(nil), r.hits...)
}

// wait polls until cond holds, for at most 30 s.
func wait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	stacktest.Eventually(t, 30*time.Second, what, cond)
}

func verify(t *testing.T, secret string, h hit) {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(h.body, h.header); err != nil {
		t.Errorf("delivery %s does not verify: %v", h.header.Get("webhook-id"), err)
	}
}

func TestWebhooks_OrderEventsArriveSignedAndVerify(t *testing.T) {
	a := running(t)
	tn := newTenant(t, a)
	rcv := newReceiver(t)
	w := tn.register(rcv.URL+"/hooks", nil)
	sent := []event.Event{
		emit(t, a, tn.id, event.OrderCreated, `{"id":"ORD-1893-0042","status":"pending","lineItems":[{"productId":"PRD-387-522-630","quantity":5}]}`),
		emit(t, a, tn.id, event.OrderUpdated, `{"id":"ORD-1893-0042","status":"completed"}`),
	}
	wait(t, "two deliveries", func() bool { return len(rcv.got()) >= 2 })
	time.Sleep(500 * time.Millisecond)
	hits := rcv.got()
	if len(hits) != 2 {
		t.Fatalf("%d requests, want 2", len(hits))
	}
	byEvent := map[string]hit{}
	for _, h := range hits {
		verify(t, w.Secret, h)
		var got event.Event
		if err := json.Unmarshal(h.body, &got); err != nil {
			t.Fatal(err)
		}
		byEvent[got.ID] = h
		if ua := h.header.Get("User-Agent"); !strings.Contains(ua, "Mercato") {
			t.Errorf("User-Agent %q", ua)
		}
	}
	for _, e := range sent {
		h, ok := byEvent[e.ID]
		if !ok {
			t.Fatalf("event %s not delivered", e.ID)
		}
		want, _ := json.Marshal(e)
		if !bytes.Equal(h.body, want) {
			t.Errorf("body\n%s\nwant the envelope\n%s", h.body, want)
		}
		if id := h.header.Get("webhook-id"); id != webhook.DeliveryID(e.ID, e.Created, w.ID) {
			t.Errorf("webhook-id %s", id)
		}
	}
	wait(t, "succeeded deliveries", func() bool {
		ds := tn.deliveries(w.ID, "?status=succeeded")
		return len(ds) == 2
	})
	var got webhook.Webhook
	tn.do(http.MethodGet, "/public/v1/webhooks/"+w.ID, nil, http.StatusOK, &got)
	if got.Stats.Deliveries != 2 || got.Stats.Successes != 2 || got.Stats.LastSuccess == nil {
		t.Errorf("stats = %+v", got.Stats)
	}
	// The list sums the same counter copies.
	var listed []webhook.Webhook
	tn.do(http.MethodGet, "/public/v1/webhooks", nil, http.StatusOK, &listed)
	if len(listed) != 1 || !cmp.Equal(listed[0].Stats, got.Stats) {
		t.Errorf("listed %+v, want the stats %+v", listed, got.Stats)
	}
}

// shop is a vendor's product listed on a provider's marketplace, with a
// customer of the provider, set up through the API.
type shop struct {
	vendor, provider *tenant
	offer, customer  string
}

func newShop(t *testing.T, a *app.App) shop {
	t.Helper()
	s := shop{vendor: newAccount(t, a, account.Vendor, "Front Street Inc."), provider: newAccount(t, a, account.Provider, "Apollo Hub")}
	var mp catalog.Marketplace
	s.provider.do(http.MethodPost, "/public/v1/marketplaces", map[string]any{"name": "Apollo US", "currency": "USD", "countries": []string{"US"}}, http.StatusCreated, &mp)
	var p catalog.Product
	s.vendor.do(http.MethodPost, "/public/v1/products", map[string]any{"name": "Apollo Pulse"}, http.StatusCreated, &p)
	var items []catalog.Item
	s.vendor.do(http.MethodGet, "/public/v1/products/"+p.ID+"/items", nil, http.StatusOK, &items)
	s.vendor.do(http.MethodPost, "/public/v1/products/"+p.ID+"/templates", map[string]any{"type": "fulfillment", "scope": "asset",
		"title": "Activation", "body": "# Apollo Pulse\nYour subscription {{ asset.id }} is active."}, http.StatusCreated, nil)
	s.vendor.do(http.MethodPost, "/public/v1/products/"+p.ID+"/publish", nil, http.StatusCreated, nil)
	var lr catalog.ListingRequest
	s.vendor.do(http.MethodPost, "/public/v1/listing-requests", map[string]any{"product": p.ID, "marketplace": mp.ID,
		"prices": []map[string]any{{"item": items[0].ID, "price": "10", "terms": []string{"P1M"}}}}, http.StatusCreated, &lr)
	s.provider.do(http.MethodPost, "/public/v1/listing-requests/"+lr.ID+"/approve", nil, http.StatusOK, nil)
	var c struct {
		ID string `json:"id"`
	}
	s.provider.do(http.MethodPost, "/v1/customers", map[string]any{"companyProfile": map[string]any{"companyName": "Contoso Ltd"},
		"billingProfile": map[string]any{"email": "it@contoso.example", "defaultAddress": map[string]any{"country": "US"}}}, http.StatusCreated, &c)
	s.offer, s.customer = p.ID+":"+items[0].LocalID+":"+mp.ID, c.ID
	return s
}

// A real order placed through the API reaches the provider's webhook as
// order.created and the vendor's as request.created, signed so that the
// Standard Webhooks library verifies them. Only the envelope is checked
// (id, type, account, and the order's id): what the data carries is the
// ordering package's.
func TestWebhooks_RealOrderArrivesSignedAndVerifies(t *testing.T) {
	a := running(t)
	s := newShop(t, a)
	provRcv, vendRcv := newReceiver(t), newReceiver(t)
	// Filtered to the order's events: the shop's set-up events may still
	// be on their way through the relay.
	provHook := s.provider.register(provRcv.URL, map[string]any{"events": []string{"order.created", "request.created"}})
	vendHook := s.vendor.register(vendRcv.URL, map[string]any{"events": []string{"request.created"}})
	var order struct {
		ID string `json:"id"`
	}
	s.provider.do(http.MethodPost, "/v1/customers/"+s.customer+"/orders", map[string]any{"lineItems": []any{map[string]any{"offerId": s.offer, "quantity": 1}}},
		http.StatusCreated, &order)
	if order.ID == "" {
		t.Fatal("the order has no id")
	}
	wait(t, "order.created and request.created at the provider", func() bool { return len(provRcv.got()) >= 2 })
	wait(t, "request.created at the vendor", func() bool { return len(vendRcv.got()) >= 1 })
	time.Sleep(500 * time.Millisecond) // nothing more arrives
	check := func(who string, rcv *receiver, w webhook.WithSecret, account string) map[event.Type]int {
		t.Helper()
		types := map[event.Type]int{}
		for _, h := range rcv.got() {
			verify(t, w.Secret, h)
			var e struct {
				event.Event
				Data struct {
					ID string `json:"id"`
				} `json:"data"`
			}
			if err := json.Unmarshal(h.body, &e); err != nil {
				t.Fatalf("%s: body %s: %v", who, h.body, err)
			}
			types[e.Type]++
			if e.Account != account || e.ID == "" {
				t.Errorf("%s got event %q of account %q, want account %s", who, e.ID, e.Account, account)
			}
			if id := h.header.Get("webhook-id"); id != webhook.DeliveryID(e.ID, e.Created, w.ID) {
				t.Errorf("%s: webhook-id %s is not the delivery of event %s", who, id, e.ID)
			}
			if e.Type == event.OrderCreated && e.Data.ID != order.ID {
				t.Errorf("%s: order.created of order %q, want %s", who, e.Data.ID, order.ID)
			}
		}
		return types
	}
	if got := check("provider", provRcv, provHook, s.provider.id); got[event.OrderCreated] != 1 || got[event.RequestCreated] != 1 {
		t.Errorf("provider got %v, want one order.created and one request.created", got)
	}
	if got := check("vendor", vendRcv, vendHook, s.vendor.id); got[event.RequestCreated] != 1 || len(got) != 1 {
		t.Errorf("vendor got %v, want one request.created", got)
	}
}

func TestWebhooks_FailsThreeTimesThenSucceeds(t *testing.T) {
	a := running(t)
	tn := newTenant(t, a)
	rcv := newReceiver(t, status(500), status(500), status(500), status(200))
	w := tn.register(rcv.URL, nil)
	e := emit(t, a, tn.id, event.RequestCreated, `{"id":"PR-1","asset":{"product":{"id":"PRD-387-522-630"}}}`)
	wait(t, "the fourth request", func() bool { return len(rcv.got()) >= 4 })
	wait(t, "the delivery to succeed", func() bool {
		ds := tn.deliveries(w.ID, "")
		return len(ds) == 1 && ds[0].Status == webhook.StatusSucceeded
	})
	time.Sleep(2 * retryStep) // no fifth request
	hits := rcv.got()
	ds := tn.deliveries(w.ID, "")
	if len(hits) != 4 || len(ds) != 1 {
		t.Fatalf("%d requests and %d delivery records, want 4 and 1", len(hits), len(ds))
	}
	d := ds[0]
	if d.ID != webhook.DeliveryID(e.ID, e.Created, w.ID) || d.AttemptCount != 4 || len(d.Attempts) != 4 {
		t.Fatalf("delivery = %+v", d)
	}
	codes := []int{}
	for _, at := range d.Attempts {
		codes = append(codes, at.StatusCode)
	}
	if fmt.Sprint(codes) != "[200 500 500 500]" {
		t.Errorf("attempts newest first = %v", codes)
	}
	for i, h := range hits {
		if h.header.Get("webhook-id") != d.ID {
			t.Errorf("request %d webhook-id = %s, want %s on every attempt", i, h.header.Get("webhook-id"), d.ID)
		}
		verify(t, w.Secret, h)
	}
	var got webhook.Webhook
	tn.do(http.MethodGet, "/public/v1/webhooks/"+w.ID, nil, http.StatusOK, &got)
	if s := got.Stats; s.Deliveries != 1 || s.Failures != 3 || s.Successes != 1 || s.ConsecutiveFailures != 0 || s.FailingSince != nil {
		t.Errorf("stats = %+v", s)
	}
}

func TestWebhooks_GoneDisablesAndTellsTheOthers(t *testing.T) {
	a := running(t)
	tn := newTenant(t, a)
	gone := newReceiver(t, status(410))
	watcher := newReceiver(t)
	wg := tn.register(gone.URL, map[string]any{"events": []string{"order.created"}})
	ww := tn.register(watcher.URL, map[string]any{"events": []string{"webhook.disabled"}})
	emit(t, a, tn.id, event.OrderCreated, `{"id":"ORD-1"}`)
	wait(t, "webhook.disabled at the other webhook", func() bool { return len(watcher.got()) >= 1 })
	var got webhook.Webhook
	tn.do(http.MethodGet, "/public/v1/webhooks/"+wg.ID, nil, http.StatusOK, &got)
	if got.Active || !strings.Contains(got.DisabledReason, "410") {
		t.Errorf("after 410: active %v, reason %q", got.Active, got.DisabledReason)
	}
	h := watcher.got()[0]
	verify(t, ww.Secret, h)
	var e event.Event
	if err := json.Unmarshal(h.body, &e); err != nil || e.Type != event.WebhookDisabled || !strings.Contains(string(e.Data), wg.ID) {
		t.Errorf("watcher got %s", h.body)
	}
	if strings.Contains(string(h.body), "whsec_") {
		t.Error("webhook.disabled carries a secret")
	}
	ds := tn.deliveries(wg.ID, "")
	if len(ds) != 1 || ds[0].Status != webhook.StatusFailed || len(ds[0].Attempts) != 1 {
		t.Fatalf("deliveries = %+v", ds)
	}
	// A disabled webhook gets nothing more.
	emit(t, a, tn.id, event.OrderCreated, `{"id":"ORD-2"}`)
	time.Sleep(2 * time.Second)
	if n := len(gone.got()); n != 1 {
		t.Errorf("the disabled endpoint got %d requests", n)
	}
}

func TestWebhooks_RetryAfterIsRespected(t *testing.T) {
	a := running(t)
	tn := newTenant(t, a)
	slowDown := func(w http.ResponseWriter) {
		w.Header().Set("Retry-After", "2")
		w.WriteHeader(http.StatusTooManyRequests)
	}
	rcv := newReceiver(t, slowDown, status(200))
	w := tn.register(rcv.URL, nil)
	emit(t, a, tn.id, event.AssetUpdated, `{"id":"AS-1"}`)
	wait(t, "the retry", func() bool { return len(rcv.got()) >= 2 })
	hits := rcv.got()
	// The schedule says 1 s ±20%; Retry-After asks for 2 s, within the
	// [1 s, 2 s] bounds, so the retry comes no sooner than 2 s.
	if gap := hits[1].at.Sub(hits[0].at); gap < 1950*time.Millisecond {
		t.Errorf("retry after %s, want at least the 2 s Retry-After", gap)
	}
	wait(t, "success", func() bool {
		ds := tn.deliveries(w.ID, "")
		return len(ds) == 1 && ds[0].Status == webhook.StatusSucceeded
	})
}

func TestWebhooks_RedirectIsNotFollowed(t *testing.T) {
	a := running(t)
	tn := newTenant(t, a)
	target := newReceiver(t)
	rcv := newReceiver(t, func(w http.ResponseWriter) {
		w.Header().Set("Location", target.URL)
		w.WriteHeader(http.StatusFound)
	})
	w := tn.register(rcv.URL, nil)
	var d webhook.Delivery
	tn.do(http.MethodPost, "/public/v1/webhooks/"+w.ID+"/test", nil, http.StatusOK, &d)
	if d.Status != webhook.StatusFailed || len(d.Attempts) != 1 || d.Attempts[0].StatusCode != http.StatusFound ||
		!strings.Contains(d.Attempts[0].Error, "not followed") {
		t.Fatalf("test delivery = %+v", d)
	}
	// Through the dispatcher too.
	emit(t, a, tn.id, event.OrderCreated, `{"id":"ORD-1"}`)
	wait(t, "the redirecting attempt", func() bool { return len(rcv.got()) >= 2 })
	time.Sleep(500 * time.Millisecond)
	if n := len(target.got()); n != 0 {
		t.Errorf("the redirect target got %d requests", n)
	}
}

func TestWebhooks_RotationSignsWithBothSecrets(t *testing.T) {
	a := running(t)
	tn := newTenant(t, a)
	rcv := newReceiver(t)
	w := tn.register(rcv.URL, nil)
	var rotated webhook.WithSecret
	tn.do(http.MethodPost, "/public/v1/webhooks/"+w.ID+"/rotate-secret", map[string]any{"grace_period_seconds": 3600}, http.StatusOK, &rotated)
	if rotated.Secret == w.Secret || rotated.PreviousSecretExpires == nil {
		t.Fatalf("rotation = %+v", rotated)
	}
	emit(t, a, tn.id, event.RequestUpdated, `{"id":"PR-1"}`)
	wait(t, "the delivery", func() bool { return len(rcv.got()) >= 1 })
	h := rcv.got()[0]
	if n := len(strings.Fields(h.header.Get("webhook-signature"))); n != 2 {
		t.Errorf("%d signatures, want 2 during the grace period", n)
	}
	verify(t, w.Secret, h)
	verify(t, rotated.Secret, h)
	// Without a grace period the replaced secret stops at once; the first
	// one is still in its hour of grace.
	first := rotated
	tn.do(http.MethodPost, "/public/v1/webhooks/"+w.ID+"/rotate-secret", map[string]any{"grace_period_seconds": 0}, http.StatusOK, &rotated)
	var d webhook.Delivery
	tn.do(http.MethodPost, "/public/v1/webhooks/"+w.ID+"/test", nil, http.StatusOK, &d)
	if d.Status != webhook.StatusSucceeded {
		t.Fatalf("test delivery = %+v", d)
	}
	last := rcv.got()[len(rcv.got())-1]
	verify(t, rotated.Secret, last)
	verify(t, w.Secret, last)
	wh, _ := standardwebhooks.NewWebhook(first.Secret)
	if wh.Verify(last.body, last.header) == nil {
		t.Error("the secret replaced without grace still verifies")
	}
}

func TestWebhooks_RedeliverAndRecover(t *testing.T) {
	d := newDownHook(t)
	for i := range 3 {
		emit(t, d.a, d.tn.id, event.OrderCreated, fmt.Sprintf(`{"id":"ORD-%d"}`, i))
	}
	wait(t, "three failed deliveries", func() bool { return len(d.tn.deliveries(d.w.ID, "?status=failed")) == 3 })
	attempts := len(d.rcv.got())
	if attempts != 3*8 {
		t.Errorf("%d requests, want 3 deliveries × 8 attempts", attempts)
	}
	d.out.end()

	// Redeliver one.
	failed := d.tn.deliveries(d.w.ID, "?status=failed")
	one := failed[0]
	var queued webhook.Delivery
	d.tn.do(http.MethodPost, "/public/v1/webhooks/"+d.w.ID+"/deliveries/"+one.ID+"/redeliver", nil, http.StatusAccepted, &queued)
	wait(t, "the redelivery", func() bool { return len(d.tn.deliveries(d.w.ID, "?status=succeeded")) == 1 })
	ds := d.tn.deliveries(d.w.ID, "?status=succeeded")
	if ds[0].ID != one.ID || ds[0].AttemptCount != 9 || ds[0].Attempts[0].Trigger != webhook.TriggerManual {
		t.Errorf("redelivered = %+v", ds[0])
	}

	// Recover the other two.
	var rec webhook.Recovery
	d.tn.do(http.MethodPost, "/public/v1/webhooks/"+d.w.ID+"/recover", map[string]string{"since": d.since.Format(time.RFC3339Nano)}, http.StatusAccepted, &rec)
	wait(t, "the recovery", func() bool { return len(d.tn.deliveries(d.w.ID, "?status=succeeded")) == 3 })
	time.Sleep(time.Second)
	if n := len(d.rcv.got()) - attempts; n != 3 {
		t.Errorf("%d requests after the outage, want 3 (one per delivery)", n)
	}
	if n := len(d.tn.deliveries(d.w.ID, "?status=failed")); n != 0 {
		t.Errorf("%d deliveries still failed", n)
	}
}

func TestWebhooks_FiltersByEventTypeAndProduct(t *testing.T) {
	a := running(t)
	tn := newTenant(t, a)
	byType := newReceiver(t)
	byProduct := newReceiver(t)
	everything := newReceiver(t)
	tn.register(byType.URL, map[string]any{"events": []string{"request.created"}})
	tn.register(byProduct.URL, map[string]any{"products": []string{"PRD-111-111-111"}})
	tn.register(everything.URL, nil)
	sent := map[string]event.Event{
		"request for 111":   emit(t, a, tn.id, event.RequestCreated, `{"id":"PR-1","asset":{"product":{"id":"PRD-111-111-111"}}}`),
		"request for 222":   emit(t, a, tn.id, event.RequestCreated, `{"id":"PR-2","asset":{"product":{"id":"PRD-222-222-222"}}}`),
		"asset of 111":      emit(t, a, tn.id, event.AssetUpdated, `{"id":"AS-1","product":{"id":"PRD-111-111-111"}}`),
		"order, no product": emit(t, a, tn.id, event.OrderCreated, `{"id":"ORD-1"}`),
	}
	// Another account's event reaches none of them.
	other := newTenant(t, a)
	emit(t, a, other.id, event.RequestCreated, `{"id":"PR-9","asset":{"product":{"id":"PRD-111-111-111"}}}`)
	wait(t, "every event at the catch-all webhook", func() bool { return len(everything.got()) >= 4 })
	time.Sleep(time.Second)
	ids := func(r *receiver) map[string]bool {
		out := map[string]bool{}
		for _, h := range r.got() {
			var e event.Event
			_ = json.Unmarshal(h.body, &e)
			out[e.ID] = true
		}
		return out
	}
	want := map[*receiver][]string{
		byType:     {"request for 111", "request for 222"},
		byProduct:  {"request for 111", "asset of 111"},
		everything: {"request for 111", "request for 222", "asset of 111", "order, no product"},
	}
	for r, names := range want {
		got := ids(r)
		if len(got) != len(names) || len(r.got()) != len(names) {
			t.Errorf("receiver got %d requests for %d events, want %v", len(r.got()), len(got), names)
		}
		for _, n := range names {
			if !got[sent[n].ID] {
				t.Errorf("%s missing", n)
			}
		}
	}
}

// storedItem is what the tests read of the raw items of a webhook's
// deliveries.
type storedItem struct {
	dynamo.Row
	EventID   string    `dynamodbav:"event_id"`
	Created   time.Time `dynamodbav:"created"`
	At        time.Time `dynamodbav:"at"`
	ExpiresAt int64     `dynamodbav:"expires_at"`
	Body      string    `dynamodbav:"body"`
}

// stored reads the delivery and attempt items of webhook id as they are in
// the table, past the API: the delivery ids from every shard of the
// deliveries index, then each delivery's own partition.
func stored(t *testing.T, a *app.App, account, id string) (deliveries, attempts []storedItem) {
	t.Helper()
	ctx := context.Background()
	var ids []string
	for _, group := range []string{"WHDELIVERIES#", "WHFAILED#"} {
		for shard := range webhook.DefaultDeliveryShards {
			keys, err := dynamo.QueryAll[struct {
				ID string `dynamodbav:"gsi7sk"`
			}](ctx, a.Table, dynamo.Partition{Index: "gsi7", PK: fmt.Sprintf("%s%s#%s#%d", group, account, id, shard)})
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range keys {
				ids = append(ids, k.ID)
			}
		}
	}
	for _, dl := range ids {
		items, err := dynamo.QueryAll[storedItem](ctx, a.Table, dynamo.Partition{PK: "WHDELIVERY#" + account + "#" + id + "#" + dl})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			switch it.Entity {
			case "webhook_delivery":
				deliveries = append(deliveries, it)
			case "webhook_attempt":
				attempts = append(attempts, it)
			default:
				t.Errorf("unexpected item %s (%s) in the partition of delivery %s", it.SK, it.Entity, dl)
			}
		}
	}
	return deliveries, attempts
}

// A relay batch retried (the same event in two messages of one batch, and
// again in a later batch) and an SQS redelivery of the first message make
// one delivery record per (event, webhook) in DynamoDB, and one request.
func TestWebhooks_DuplicateMessagesMakeOneDeliveryRecord(t *testing.T) {
	a := running(t)
	tn := newTenant(t, a)
	rcvs := []*receiver{newReceiver(t), newReceiver(t)}
	var hooks []webhook.WithSecret
	for _, r := range rcvs {
		hooks = append(hooks, tn.register(r.URL, nil))
	}
	// The dispatcher on the real store, fed directly: the event is not in
	// the outbox, so the stack's own dispatcher never sees it.
	d := webhook.NewDispatcher(webhook.DispatcherConfig{
		Store: webhook.NewDynamoStore(a.Table, a.Config.EventRetentionDays), Client: webhook.NewClient(&webhook.Guard{AllowHTTPLoopback: true}),
		Queue: &sqsqueue.Queue{Client: a.SQS, URL: a.Config.WebhookQueue}, Schedule: a.Config.WebhookRetries, Logger: stacktest.Logger(t),
	})
	e, err := event.New(event.OrderCreated, tn.id, json.RawMessage(`{"id":"ORD-1893-0042"}`), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	msg := func(id, receives string) events.SQSMessage {
		return events.SQSMessage{MessageId: id, Body: string(body), Attributes: map[string]string{"ApproximateReceiveCount": receives}}
	}
	batches := []struct {
		name string
		msgs []events.SQSMessage
	}{
		{"the event twice in one batch", []events.SQSMessage{msg("m-1", "1"), msg("m-2", "1")}},
		{"a retried relay batch", []events.SQSMessage{msg("m-3", "1")}},
		{"SQS redelivers the first message", []events.SQSMessage{msg("m-1", "2")}},
	}
	for _, b := range batches {
		resp, err := d.Handle(context.Background(), events.SQSEvent{Records: b.msgs})
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("%s: %v, failures %+v", b.name, err, resp.BatchItemFailures)
		}
	}
	for i, w := range hooks {
		ds, as := stored(t, a, tn.id, w.ID)
		if len(ds) != 1 || ds[0].EventID != e.ID || len(as) != 1 {
			t.Errorf("webhook %d: %d delivery items (%+v) and %d attempt items, want one of each for event %s", i, len(ds), ds, len(as), e.ID)
		}
		if len(ds) == 1 && ds[0].Body != "" {
			t.Errorf("webhook %d: the delivery item stores the body (%d bytes); the event's item has it", i, len(ds[0].Body))
		}
		if n := len(rcvs[i].got()); n != 1 {
			t.Errorf("webhook %d: %d requests, want 1", i, n)
		}
		if got := tn.deliveries(w.ID, ""); len(got) != 1 || got[0].AttemptCount != 1 || got[0].Status != webhook.StatusSucceeded {
			t.Errorf("webhook %d: deliveries = %+v", i, got)
		}
	}
}

// Deliveries and attempts carry the table's TTL attribute: 30 days after
// the attempt (the delivery: after it was made, when its first attempt
// ran).
func TestWebhooks_AttemptsExpireAfter30Days(t *testing.T) {
	const retention = 30 * 24 * time.Hour
	a := running(t)
	tn := newTenant(t, a)
	rcv := newReceiver(t, status(500), status(200))
	w := tn.register(rcv.URL, nil)
	emit(t, a, tn.id, event.OrderCreated, `{"id":"ORD-1"}`)
	wait(t, "the delivery to succeed", func() bool {
		ds := tn.deliveries(w.ID, "")
		return len(ds) == 1 && ds[0].Status == webhook.StatusSucceeded
	})
	ds, as := stored(t, a, tn.id, w.ID)
	if len(ds) != 1 || len(as) != 2 {
		t.Fatalf("%d delivery and %d attempt items, want 1 and 2", len(ds), len(as))
	}
	for _, at := range as {
		if want := at.At.Add(retention).Unix(); at.ExpiresAt != want {
			t.Errorf("attempt %s expires_at %d, want %d (its time %s + 30 days)", at.SK, at.ExpiresAt, want, at.At)
		}
	}
	first := as[0].At
	if want := ds[0].Created.Add(retention).Unix(); ds[0].ExpiresAt != want {
		t.Errorf("delivery expires_at %d, want %d (created %s + 30 days)", ds[0].ExpiresAt, want, ds[0].Created)
	}
	if gap := time.Unix(ds[0].ExpiresAt, 0).Sub(first.Add(retention)); gap > time.Minute || gap < -time.Minute {
		t.Errorf("delivery expires %s from its first attempt + 30 days", gap)
	}
}

// tooMany is the answer to a creation past the limit.
const tooMany = "an account can register at most 50 webhooks"

// createOne registers one more webhook and reports whether it was refused
// for the limit; any other answer fails the test.
func (tn *tenant) createOne(label string) (refused bool) {
	tn.t.Helper()
	code, body := tn.call(http.MethodPost, "/public/v1/webhooks", map[string]any{"label": label, "url": "http://127.0.0.1:9/hook"})
	switch {
	case code == http.StatusCreated:
		return false
	case code == http.StatusBadRequest && strings.Contains(string(body), tooMany) && strings.Contains(string(body), "VAL_001"):
		return true
	}
	tn.t.Fatalf("create %s = %d: %s", label, code, body)
	return false
}

func (tn *tenant) webhooks() []webhook.Webhook {
	tn.t.Helper()
	var ws []webhook.Webhook
	tn.do(http.MethodGet, "/public/v1/webhooks?limit=1000", nil, http.StatusOK, &ws)
	return ws
}

// Sixty parallel creations by one account make exactly fifty webhooks: the
// limit is a condition of each creation's write, not a count read before it.
func TestWebhooks_LimitHoldsUnderParallelCreations(t *testing.T) {
	a := running(t)
	tn := newTenant(t, a)
	const tries = 60
	codes := make([]int, tries)
	bodies := make([][]byte, tries)
	var wg sync.WaitGroup
	for i := range tries {
		wg.Go(func() {
			codes[i], bodies[i] = tn.call(http.MethodPost, "/public/v1/webhooks", map[string]any{"label": fmt.Sprintf("hook %d", i), "url": "http://127.0.0.1:9/hook"})
		})
	}
	wg.Wait()
	created, refused := 0, 0
	for i, code := range codes {
		switch {
		case code == http.StatusCreated:
			created++
		case code == http.StatusBadRequest && strings.Contains(string(bodies[i]), tooMany):
			refused++
		default:
			t.Errorf("creation %d = %d: %s", i, code, bodies[i])
		}
	}
	if created != webhook.MaxPerAccount || refused != tries-webhook.MaxPerAccount {
		t.Errorf("%d created and %d refused, want %d and %d", created, refused, webhook.MaxPerAccount, tries-webhook.MaxPerAccount)
	}
	ws := tn.webhooks()
	if len(ws) != webhook.MaxPerAccount {
		t.Fatalf("%d webhooks listed, want %d", len(ws), webhook.MaxPerAccount)
	}
	// A deletion makes room for exactly one more.
	tn.do(http.MethodDelete, "/public/v1/webhooks/"+ws[0].ID, nil, http.StatusNoContent, nil)
	if tn.createOne("after a delete") {
		t.Fatal("a creation after a delete was refused")
	}
	if !tn.createOne("one too many") {
		t.Error("a 51st webhook was created")
	}
}

// An account that registered webhooks before the counter existed is counted
// once, on its first creation or deletion, and then holds to the limit.
func TestWebhooks_LimitCountsWebhooksMadeBeforeTheCounter(t *testing.T) {
	a := running(t)
	tn := newTenant(t, a)
	for i := range 3 {
		tn.createOne(fmt.Sprintf("old %d", i))
	}
	forget := func() {
		t.Helper()
		if err := a.Table.Tx().Delete("count", dynamo.Key{PK: "WEBHOOKS#" + tn.id, SK: "COUNT"}, nil).Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	forget()
	for i := range webhook.MaxPerAccount - 3 {
		if tn.createOne(fmt.Sprintf("new %d", i)) {
			t.Fatalf("creation %d of %d was refused", i+4, webhook.MaxPerAccount)
		}
	}
	if !tn.createOne("one too many") {
		t.Fatal("a 51st webhook was created: the webhooks made before the counter were not counted")
	}
	// A deletion without a counter counts first, then takes one off.
	forget()
	tn.do(http.MethodDelete, "/public/v1/webhooks/"+tn.webhooks()[0].ID, nil, http.StatusNoContent, nil)
	if tn.createOne("after a delete") {
		t.Fatal("a creation after a delete was refused")
	}
	if !tn.createOne("one too many again") {
		t.Error("a 51st webhook was created after a delete")
	}
}
