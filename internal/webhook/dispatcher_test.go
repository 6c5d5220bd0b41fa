package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/internal/event"
)

// fakeQueue records what the dispatcher schedules.
type fakeQueue struct {
	mu   sync.Mutex
	sent []QueueMessage
}

func (q *fakeQueue) Send(ctx context.Context, m QueueMessage) error {
	return q.SendBatch(ctx, []QueueMessage{m})
}

func (q *fakeQueue) SendBatch(_ context.Context, ms []QueueMessage) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.sent = append(q.sent, ms...)
	return nil
}

func (q *fakeQueue) tasks(t *testing.T) []task {
	t.Helper()
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []task
	for _, in := range q.sent {
		var tk task
		if err := json.Unmarshal([]byte(in.Body), &tk); err != nil {
			t.Fatal(err)
		}
		out = append(out, tk)
	}
	return out
}

// receiver answers each request with the next status of its script,
// repeating the last one, and counts what it got.
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	script  []int
	headers map[string]string
	got     []http.Header
}

func newReceiver(t *testing.T, script ...int) *receiver {
	t.Helper()
	r := &receiver{script: script, headers: map[string]string{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		r.mu.Lock()
		status := r.script[0]
		if len(r.script) > 1 {
			r.script = r.script[1:]
		}
		r.got = append(r.got, req.Header.Clone())
		for k, v := range r.headers {
			w.Header().Set(k, v)
		}
		r.mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func testEndpoint(url string) endpoint {
	now := time.Now().Add(-time.Hour)
	return endpoint{
		Webhook: Webhook{ID: "WH-100-200-300", Account: "VA-111-222", URL: url, Active: true, Events: []string{}, Products: []string{}, Created: now, Updated: now},
		secrets: []secretItem{{Value: NewSecret()}},
	}
}

type harness struct {
	d     *Dispatcher
	store *memStore
	queue *fakeQueue
	clock *clock
}

func newHarness(t *testing.T, eps ...endpoint) harness {
	t.Helper()
	h := harness{store: newMemStore(eps...), queue: &fakeQueue{}, clock: &clock{now: time.Now().UTC()}}
	h.d = newDispatcher(DispatcherConfig{
		Client: NewClient(&Guard{AllowHTTPLoopback: true}), Queue: h.queue,
		Schedule: Schedule{time.Minute, time.Hour}, Now: h.clock.Now,
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	}, h.store)
	return h
}

func orderEvent(account string) event.Event {
	e, err := event.New(event.OrderCreated, account, map[string]any{"id": "ORD-1", "lineItems": []any{map[string]string{"productId": "PRD-111-111-111"}}}, time.Now())
	if err != nil {
		panic(err)
	}
	return e
}

func TestDispatcher_FanOutOnceAndScheduleRetry(t *testing.T) {
	rcv := newReceiver(t, 500)
	ep := testEndpoint(rcv.URL)
	other := testEndpoint(rcv.URL)
	other.ID, other.Events = "WH-999-999-999", []string{"request.created"} // filtered out
	h := newHarness(t, ep, other)
	e := orderEvent(ep.Account)
	for range 2 { // the relay re-sent it
		if err := h.d.FanOut(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	id := DeliveryID(e.ID, e.Created, ep.ID)
	d, attempts := h.store.get(id)
	if rcv.count() != 1 || len(attempts) != 1 || d.Status != StatusPending || d.Attempts != 1 {
		t.Fatalf("requests %d, delivery %+v, attempts %+v", rcv.count(), d, attempts)
	}
	if len(h.store.deliveries) != 1 {
		t.Errorf("%d deliveries, want 1 (the filtered webhook gets none)", len(h.store.deliveries))
	}
	a := attempts[0]
	if a.StatusCode != 500 || a.Trigger != TriggerScheduled || a.NextAttempt == nil || a.Response != "ok" {
		t.Errorf("attempt = %+v", a)
	}
	if gap := a.NextAttempt.Sub(a.At); gap < 48*time.Second || gap > 72*time.Second {
		t.Errorf("next attempt after %s, want 1m ±20%%", gap)
	}
	tasks := h.queue.tasks(t)
	want := []task{{Kind: taskKind, Account: ep.Account, WebhookID: ep.ID, DeliveryID: id, EventID: e.ID, Attempt: 2, Due: *a.NextAttempt}}
	if diff := cmp.Diff(want, tasks); diff != "" {
		t.Errorf("tasks (-want +got):\n%s", diff)
	}
	if got := h.queue.sent[0].DelaySeconds; got < 47 || got > 72 {
		t.Errorf("DelaySeconds = %d", got)
	}
	st := h.store.endpoint(ep.Account, ep.ID).Stats
	if st.Deliveries != 1 || st.Failures != 1 || st.ConsecutiveFailures != 1 || st.FailingSince == nil {
		t.Errorf("stats = %+v", st)
	}
}

// A batch reads each account's webhooks once and writes each webhook's
// counters once, however many of its messages are for them.
func TestDispatcher_BatchReadsAndCountsOncePerWebhook(t *testing.T) {
	rcv := newReceiver(t, 500, 204)
	ep := testEndpoint(rcv.URL)
	h := newHarness(t, ep)
	var in events.SQSEvent
	for i := range 10 {
		body, err := json.Marshal(orderEvent(ep.Account))
		if err != nil {
			t.Fatal(err)
		}
		in.Records = append(in.Records, events.SQSMessage{MessageId: fmt.Sprint("m", i), Body: string(body)})
	}
	resp, err := h.d.Handle(context.Background(), in)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("Handle = %+v, %v", resp, err)
	}
	if h.store.listed != 1 || h.store.counted != 1 || rcv.count() != 10 {
		t.Errorf("%d reads of the webhooks and %d counter updates for %d attempts, want 1 and 1", h.store.listed, h.store.counted, rcv.count())
	}
	st := h.store.endpoint(ep.Account, ep.ID).Stats
	if st.Deliveries != 10 || st.Failures != 1 || st.Successes != 9 {
		t.Errorf("stats = %+v, want 10 deliveries, 1 failure, 9 successes", st)
	}
}

func TestDispatcher_Tasks(t *testing.T) {
	tests := []struct {
		name      string
		script    []int
		attempts  int // already recorded
		status    string
		active    bool
		task      func(task) task
		wantHTTP  int
		wantState string
		wantTasks int
	}{
		{"retry succeeds", []int{204}, 1, StatusPending, true, nil, 1, StatusSucceeded, 0},
		{"retry fails, schedules the next", []int{503}, 1, StatusPending, true, nil, 1, StatusPending, 1},
		{"last retry fails", []int{500}, 2, StatusPending, true, func(tk task) task { tk.Attempt = 3; return tk }, 1, StatusFailed, 0},
		{"duplicate task dropped", []int{200}, 2, StatusPending, true, nil, 0, StatusPending, 0},
		{"not due hops", []int{200}, 1, StatusPending, true, func(tk task) task { tk.Due = tk.Due.Add(time.Hour); return tk }, 0, StatusPending, 1},
		{"disabled webhook abandons", []int{200}, 1, StatusPending, false, nil, 0, StatusFailed, 0},
		{"manual resend of a failed delivery", []int{200}, 3, StatusFailed, false, func(tk task) task { tk.Attempt, tk.Manual = 4, true; return tk }, 1, StatusSucceeded, 0},
		{"manual resend failing stays failed", []int{500}, 3, StatusFailed, true, func(tk task) task { tk.Attempt, tk.Manual = 4, true; return tk }, 1, StatusFailed, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcv := newReceiver(t, tt.script...)
			ep := testEndpoint(rcv.URL)
			ep.Active = tt.active
			h := newHarness(t, ep)
			now := h.clock.Now()
			ds := deliveryState{ID: "DL-1", WebhookID: ep.ID, Account: ep.Account, EventType: event.OrderCreated, Body: []byte(`{}`), Status: tt.status, Attempts: tt.attempts, Created: now}
			h.store.deliveries[ds.ID] = ds
			tk := task{Kind: taskKind, Account: ep.Account, WebhookID: ep.ID, DeliveryID: ds.ID, Attempt: 2, Due: now}
			if tt.task != nil {
				tk = tt.task(tk)
			}
			body, _ := json.Marshal(tk)
			resp, err := h.d.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: string(body)}}})
			if err != nil || len(resp.BatchItemFailures) != 0 {
				t.Fatalf("Handle = %+v, %v", resp, err)
			}
			got, _ := h.store.get(ds.ID)
			if rcv.count() != tt.wantHTTP || got.Status != tt.wantState || len(h.queue.tasks(t)) != tt.wantTasks {
				t.Errorf("requests %d, status %s, tasks %d; want %d, %s, %d", rcv.count(), got.Status, len(h.queue.tasks(t)), tt.wantHTTP, tt.wantState, tt.wantTasks)
			}
			if tt.name == "not due hops" && h.queue.sent[0].DelaySeconds != 900 {
				t.Errorf("hop DelaySeconds = %d, want 900", h.queue.sent[0].DelaySeconds)
			}
		})
	}
}

func TestDispatcher_Disables(t *testing.T) {
	tests := []struct {
		name         string
		status       int
		failingSince time.Duration // before now; 0 = not failing
		wantDisabled bool
		wantReason   string
	}{
		{"410 at once", 410, 0, true, "410 Gone"},
		{"five days of failures", 500, 5*24*time.Hour + time.Minute, true, "failed every attempt since"},
		{"four days is not enough", 500, 4 * 24 * time.Hour, false, ""},
		{"a success after five days", 200, 6 * 24 * time.Hour, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcv := newReceiver(t, tt.status)
			ep := testEndpoint(rcv.URL)
			if tt.failingSince > 0 {
				since := time.Now().Add(-tt.failingSince)
				ep.Stats.FailingSince = &since
			}
			h := newHarness(t, ep)
			e := orderEvent(ep.Account)
			if err := h.d.FanOut(context.Background(), e); err != nil {
				t.Fatal(err)
			}
			got := h.store.endpoint(ep.Account, ep.ID)
			if got.Active == tt.wantDisabled || !strings.Contains(got.DisabledReason, tt.wantReason) {
				t.Fatalf("active %v, reason %q", got.Active, got.DisabledReason)
			}
			d, _ := h.store.get(DeliveryID(e.ID, e.Created, ep.ID))
			if !tt.wantDisabled {
				return
			}
			if d.Status != StatusFailed || len(h.queue.tasks(t)) != 0 {
				t.Errorf("delivery %s with %d tasks after disabling", d.Status, len(h.queue.tasks(t)))
			}
			if len(h.store.events) != 1 || h.store.events[0].Type != event.WebhookDisabled || h.store.events[0].Account != ep.Account {
				t.Fatalf("events = %+v", h.store.events)
			}
			var w Webhook
			if err := json.Unmarshal(h.store.events[0].Data, &w); err != nil || w.ID != ep.ID || w.Active || strings.Contains(string(h.store.events[0].Data), "whsec_") {
				t.Errorf("webhook.disabled data = %s", h.store.events[0].Data)
			}
		})
	}
}

// leftPending is an order event whose delivery, to a receiver that answers
// 200, an earlier invocation created age ago and never attempted.
func leftPending(t *testing.T, age time.Duration) (*receiver, harness, event.Event, string) {
	t.Helper()
	rcv := newReceiver(t, 200)
	ep := testEndpoint(rcv.URL)
	h := newHarness(t, ep)
	e := orderEvent(ep.Account)
	id := DeliveryID(e.ID, e.Created, ep.ID)
	h.store.deliveries[id] = deliveryState{ID: id, WebhookID: ep.ID, Account: ep.Account, Status: StatusPending, Created: h.clock.Now().Add(-age), Body: []byte(`{}`)}
	return rcv, h, e, id
}

func TestDispatcher_ReclaimsAnAbandonedDelivery(t *testing.T) {
	// An invocation created the delivery and died before attempting it.
	rcv, h, e, id := leftPending(t, 30*time.Second)
	if err := h.d.FanOut(context.Background(), e); err != nil || rcv.count() != 0 {
		t.Fatalf("a recent delivery was taken over: %v, %d requests", err, rcv.count())
	}
	h.clock.mu.Lock()
	h.clock.now = h.clock.now.Add(claimAfter)
	h.clock.mu.Unlock()
	if err := h.d.FanOut(context.Background(), e); err != nil || rcv.count() != 1 {
		t.Fatalf("an abandoned delivery was not attempted: %v, %d requests", err, rcv.count())
	}
	if d, _ := h.store.get(id); d.Status != StatusSucceeded {
		t.Errorf("status = %s", d.Status)
	}
}

// A message SQS redelivers is the one whose earlier invocation created the
// delivery and then failed (say, recording the attempt was throttled past
// the SDK's retries): nobody else owns it, so it is attempted at once
// rather than acknowledged and left pending for good.
func TestDispatcher_RedeliveredMessageTakesOverItsDelivery(t *testing.T) {
	rcv, h, e, id := leftPending(t, time.Second)
	body, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	msg := func(receives string) events.SQSEvent {
		return events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m-" + receives, Body: string(body), Attributes: map[string]string{"ApproximateReceiveCount": receives}}}}
	}
	if resp, _ := h.d.Handle(context.Background(), msg("1")); len(resp.BatchItemFailures) != 0 || rcv.count() != 0 {
		t.Fatalf("a duplicate's first receive took over a recent delivery: %+v, %d requests", resp, rcv.count())
	}
	if resp, _ := h.d.Handle(context.Background(), msg("2")); len(resp.BatchItemFailures) != 0 || rcv.count() != 1 {
		t.Fatalf("a redelivered message did not attempt its delivery: %+v, %d requests", resp, rcv.count())
	}
	if d, _ := h.store.get(id); d.Status != StatusSucceeded || d.Attempts != 1 {
		t.Errorf("delivery = %s after %d attempts, want succeeded after 1", d.Status, d.Attempts)
	}
}

func TestClient_Send(t *testing.T) {
	var target atomic.Int32
	dest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { target.Add(1) }))
	defer dest.Close()
	big := strings.Repeat("é", 100<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, dest.URL, http.StatusFound)
		case "/big":
			_, _ = io.WriteString(w, big)
		case "/ua":
			_, _ = io.WriteString(w, r.Header.Get("User-Agent")+"|"+r.Header.Get("Content-Type"))
		}
	}))
	defer srv.Close()
	c := NewClient(&Guard{AllowHTTPLoopback: true})
	send := func(path string) Result {
		return c.Send(context.Background(), Message{URL: srv.URL + path, ID: "DL-1", Body: []byte(`{}`), Keys: []Key{mustKey(t, NewSecret())}, Timestamp: time.Now()})
	}
	r := send("/redirect")
	if r.OK() || r.StatusCode != http.StatusFound || r.Err == nil || !strings.Contains(r.Err.Error(), "not followed") || target.Load() != 0 {
		t.Errorf("redirect: %d %v, target hit %d times", r.StatusCode, r.Err, target.Load())
	}
	r = send("/big")
	if !r.OK() || len(r.Response) > maxStored || !strings.HasPrefix(big, r.Response) || len(r.Response) < maxStored-2 {
		t.Errorf("big: %d bytes stored, ok %v", len(r.Response), r.OK())
	}
	r = send("/ua")
	if r.Response != UserAgent+"|application/json" {
		t.Errorf("headers seen: %q", r.Response)
	}
}

// countingTransport counts the response bytes the client consumes.
type countingTransport struct {
	next http.RoundTripper
	read atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := c.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	res.Body = countingBody{ReadCloser: res.Body, n: &c.read}
	return res, nil
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// An endpoint that answers without end gets maxRead bytes read and then
// its connection closed: the client counts exactly 64 KiB consumed, and
// the receiver's writes fail long before it has sent all it meant to.
func TestClient_ReadsAtMost64KiB(t *testing.T) {
	const offered = 64 << 20 // far past any socket buffer
	type outcome struct {
		written int64
		err     error
	}
	done := make(chan outcome, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("x", 32<<10))
		var o outcome
		for o.written < offered {
			n, err := w.Write(chunk)
			o.written += int64(n)
			if err != nil {
				o.err = err
				break
			}
		}
		done <- o
	}))
	defer srv.Close()
	c := NewClient(&Guard{AllowHTTPLoopback: true})
	ct := &countingTransport{next: c.http.Transport}
	c.http.Transport = ct
	r := c.Send(context.Background(), Message{URL: srv.URL, ID: "DL-1", Body: []byte(`{}`), Keys: []Key{mustKey(t, NewSecret())}, Timestamp: time.Now()})
	if !r.OK() || len(r.Response) != maxStored {
		t.Errorf("result: %d, %v, %d bytes stored", r.StatusCode, r.Err, len(r.Response))
	}
	if got := ct.read.Load(); got != maxRead {
		t.Errorf("client consumed %d bytes of the answer, want %d", got, maxRead)
	}
	select {
	case o := <-done:
		if o.err == nil || o.written >= offered {
			t.Errorf("receiver wrote %d of %d bytes, error %v: want its writes cut off", o.written, offered, o.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the receiver is still writing: the client kept reading or kept the connection")
	}
}

// An endpoint slower than the client's attempt timeout is cut off, and the
// attempt is recorded as a failure with the timeout as its error.
func TestClient_SlowEndpointTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	const timeout = 100 * time.Millisecond
	c := NewClient(&Guard{AllowHTTPLoopback: true}, WithAttemptTimeout(timeout))
	// What bounds the request is the http.Client's timeout; checking it
	// rather than the attempt's duration keeps the test free of timing.
	if c.http.Timeout != timeout || NewClient(&Guard{}).http.Timeout != DefaultAttemptTimeout {
		t.Fatalf("request timeouts %s and %s, want %s and the default", c.http.Timeout, NewClient(&Guard{}).http.Timeout, timeout)
	}
	ep := testEndpoint(srv.URL)
	h := newHarness(t, ep)
	h.d.cfg.Client = c
	e := orderEvent(ep.Account)
	if err := h.d.FanOut(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	d, attempts := h.store.get(DeliveryID(e.ID, e.Created, ep.ID))
	if len(attempts) != 1 {
		t.Fatalf("%d attempts recorded, want 1", len(attempts))
	}
	a := attempts[0]
	if a.Succeeded() || a.StatusCode != 0 || a.Error != "timed out after 100ms" || a.NextAttempt == nil {
		t.Errorf("attempt = %+v, want a failure timed out after 100ms with a retry", a)
	}
	if d.Status != StatusPending || len(h.queue.tasks(t)) != 1 {
		t.Errorf("delivery %s with %d retries queued", d.Status, len(h.queue.tasks(t)))
	}
	if st := h.store.endpoint(ep.Account, ep.ID).Stats; st.Failures != 1 || st.Successes != 0 {
		t.Errorf("stats = %+v", st)
	}
}
