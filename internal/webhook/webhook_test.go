package webhook

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/internal/event"
)

func TestSchedule_Next(t *testing.T) {
	s := Schedule{5 * time.Second, 5 * time.Minute, 30 * time.Minute}
	tests := []struct {
		name       string
		n          int
		retryAfter time.Duration
		rnd        float64
		want       time.Duration
		ok         bool
	}{
		{"first retry, lowest jitter", 1, 0, 0, 4 * time.Second, true},
		{"first retry, no jitter", 1, 0, 0.5, 5 * time.Second, true},
		{"second retry, highest jitter", 2, 0, 0.99999999, 6 * time.Minute, true},
		{"retry-after within bounds", 2, 7 * time.Minute, 0, 7 * time.Minute, true},
		{"retry-after below the schedule", 2, time.Second, 0, 5 * time.Minute, true},
		{"retry-after far beyond", 2, 48 * time.Hour, 0, 10 * time.Minute, true},
		{"last retry", 3, 0, 0.5, 30 * time.Minute, true},
		{"exhausted", 4, 0, 0.5, 0, false},
		{"no attempt yet", 0, 0, 0.5, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := s.Next(tt.n, tt.retryAfter, func() float64 { return tt.rnd })
			if ok != tt.ok || (got-tt.want).Abs() > time.Millisecond {
				t.Errorf("Next(%d) = %s, %v; want %s, %v", tt.n, got, ok, tt.want, tt.ok)
			}
		})
	}
	if got := (Schedule{time.Second, time.Second}).Attempts(); got != 3 {
		t.Errorf("Attempts = %d", got)
	}
}

func TestSchedule_NextJitterStaysWithinTwentyPercent(t *testing.T) {
	s := Schedule{time.Hour}
	for range 1000 {
		d, _ := s.Next(1, 0, nil)
		if d < 48*time.Minute || d > 72*time.Minute {
			t.Fatalf("jittered delay %s outside ±20%% of 1h", d)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name, value string
		want        time.Duration
	}{
		{"absent", "", 0},
		{"seconds", "120", 2 * time.Minute},
		{"date", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"date in the past", now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"negative", "-5", 0},
		{"garbage", "soon", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.value != "" {
				h.Set("Retry-After", tt.value)
			}
			if got := RetryAfter(h, now); got != tt.want {
				t.Errorf("RetryAfter(%q) = %s, want %s", tt.value, got, tt.want)
			}
		})
	}
}

func ev(t event.Type, data string) event.Event {
	return event.Event{ID: "EV-1", Type: t, Created: time.Now(), Account: "VA-1", Data: json.RawMessage(data)}
}

func TestWebhook_Matches(t *testing.T) {
	all := Webhook{Active: true}
	requests := Webhook{Active: true, Events: []string{"request.created"}}
	prd := Webhook{Active: true, Products: []string{"PRD-111-111-111"}}
	tests := []struct {
		name string
		w    Webhook
		e    event.Event
		want bool
	}{
		{"all types", all, ev(event.OrderCreated, `{}`), true},
		{"inactive", Webhook{}, ev(event.OrderCreated, `{}`), false},
		{"audit event never", all, ev(event.TokenCreated, `{}`), false},
		{"internal command never", all, ev(event.WebhookRedeliveryRequested, `{}`), false},
		{"listed type", requests, ev(event.RequestCreated, `{}`), true},
		{"unlisted type", requests, ev(event.RequestUpdated, `{}`), false},
		{"request's asset product", prd, ev(event.RequestCreated, `{"asset":{"product":{"id":"PRD-111-111-111"}}}`), true},
		{"another product", prd, ev(event.RequestCreated, `{"asset":{"product":{"id":"PRD-222-222-222"}}}`), false},
		{"product event by id", prd, ev(event.ProductUpdated, `{"id":"PRD-111-111-111"}`), true},
		{"listing's product", prd, ev(event.ListingUpdated, `{"product":{"id":"PRD-111-111-111"}}`), true},
		{"order line items", prd, ev(event.OrderCreated, `{"lineItems":[{"productId":"PRD-222-222-222"},{"productId":"PRD-111-111-111"}]}`), true},
		{"subscription productId", prd, ev(event.SubscriptionUpdated, `{"productId":"PRD-111-111-111"}`), true},
		{"no product in data", prd, ev(event.OrderCreated, `{"id":"ORD-1"}`), false},
		{"non-product id ignored", prd, ev(event.AssetUpdated, `{"id":"PRD-111-111-111"}`), false},
		{"operational ignores product filter", prd, ev(event.WebhookDisabled, `{"id":"WH-1"}`), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.w.Matches(tt.e); got != tt.want {
				t.Errorf("Matches = %v, want %v (products %v)", got, tt.want, ProductIDs(tt.e))
			}
		})
	}
}

func TestDeliveryID(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	a := DeliveryID("EV-1", t0, "WH-1")
	if a != DeliveryID("EV-1", t0, "WH-1") {
		t.Fatal("not deterministic")
	}
	if a == DeliveryID("EV-1", t0, "WH-2") || a == DeliveryID("EV-2", t0, "WH-1") {
		t.Fatal("ids collide")
	}
	later := DeliveryID("EV-0", t0.Add(time.Millisecond), "WH-1")
	if !(later > a) || !strings.HasPrefix(later, "DL-") || len(later) != len(a) {
		t.Errorf("%s does not sort after %s", later, a)
	}
	if s := sinceKey(t0); !(s <= a) || !(sinceKey(t0.Add(time.Millisecond)) > a) {
		t.Errorf("sinceKey %s does not bound %s", s, a)
	}
}

func TestInput_Apply(t *testing.T) {
	str := func(s string) *string { return &s }
	list := func(s ...string) *[]string { return &s }
	tests := []struct {
		name     string
		in       Input
		creating bool
		want     Webhook
		msgs     []string
	}{
		{"minimal", Input{Label: str(" ops "), URL: str("https://h.example.com/")}, true,
			Webhook{Label: "ops", URL: "https://h.example.com/", Events: []string{}, Products: []string{}}, nil},
		{"normalised filters", Input{Label: str("x"), URL: str("https://h/"), Events: list("request.created", "order.created", "request.created"), Products: list("prd-111-111-111")}, true,
			Webhook{Label: "x", URL: "https://h/", Events: []string{"order.created", "request.created"}, Products: []string{"PRD-111-111-111"}}, nil},
		{"everything wrong", Input{Events: list("order.shipped", "token.created"), Products: list("PRD-1")}, true,
			Webhook{Events: []string{}, Products: []string{}},
			[]string{"label is required", "url is required", `"order.shipped"`, `"token.created"`, `"PRD-1"`}},
		{"update keeps the rest", Input{Label: str("new")}, false,
			Webhook{Label: "new", URL: "https://old/", Events: []string{"order.created"}, Products: []string{}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := Webhook{}
			if !tt.creating {
				w = Webhook{Label: "old", URL: "https://old/", Events: []string{"order.created"}, Products: []string{}}
			}
			msgs := tt.in.apply(&w, tt.creating)
			if diff := cmp.Diff(tt.want, w); diff != "" {
				t.Errorf("webhook (-want +got):\n%s", diff)
			}
			if len(msgs) != len(tt.msgs) {
				t.Fatalf("messages %q, want %d", msgs, len(tt.msgs))
			}
			for i, frag := range tt.msgs {
				if !strings.Contains(msgs[i], frag) {
					t.Errorf("message %q does not mention %q", msgs[i], frag)
				}
			}
		})
	}
}

func TestRotate(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	old := []secretItem{{Value: "cur"}, {Value: "graceful", Expires: at(time.Hour)}, {Value: "expired", Expires: at(-time.Second)}}
	got, exp := rotate(old, "fresh", now, 24*time.Hour)
	want := []secretItem{{Value: "fresh"}, {Value: "cur", Expires: at(24 * time.Hour)}, {Value: "graceful", Expires: at(time.Hour)}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("secrets (-want +got):\n%s", diff)
	}
	if exp == nil || !exp.Equal(now.Add(24*time.Hour)) {
		t.Errorf("previous expires = %v", exp)
	}
	// No grace: the current secret stops at once.
	got, exp = rotate([]secretItem{{Value: "cur"}}, "fresh", now, 0)
	if diff := cmp.Diff([]secretItem{{Value: "fresh"}}, got); diff != "" || exp != nil {
		t.Errorf("no grace (-want +got):\n%s %v", diff, exp)
	}
	// At most ten old secrets sign.
	var many []secretItem
	for i := range 15 {
		many = append(many, secretItem{Value: string(rune('a' + i)), Expires: at(time.Duration(i+1) * time.Minute)})
	}
	got, _ = rotate(many, "fresh", now, 0)
	if len(got) != 1+maxOldSecrets || got[1].Value != "o" {
		t.Errorf("kept %d secrets, first old %q", len(got), got[1].Value)
	}
	// Only unexpired secrets sign.
	ep := endpoint{secrets: []secretItem{{Value: NewSecret()}, {Value: NewSecret(), Expires: at(-time.Minute)}, {Value: NewSecret(), Expires: at(time.Minute)}}}
	if n := len(ep.keys(now)); n != 2 {
		t.Errorf("%d keys sign, want 2", n)
	}
}

func TestCatalog(t *testing.T) {
	seen := map[event.Type]bool{}
	for _, et := range Catalog() {
		if seen[et.Type] || et.Description == "" {
			t.Errorf("%s: duplicate or undescribed", et.Type)
		}
		seen[et.Type] = true
		var e event.Event
		if err := json.Unmarshal(et.Example, &e); err != nil || e.Type != et.Type || len(e.Data) == 0 {
			t.Errorf("%s: example is not its envelope: %v", et.Type, err)
		}
	}
	for _, internal := range []event.Type{event.WebhookCreated, event.WebhookRedeliveryRequested, event.WebhookRecoveryRequested, event.AccountCreated} {
		if Deliverable(internal) {
			t.Errorf("%s is deliverable", internal)
		}
	}
	if !slices.ContainsFunc(Catalog(), func(e EventType) bool { return e.Type == event.WebhookDisabled }) {
		t.Error("webhook.disabled is not in the catalog")
	}
}
