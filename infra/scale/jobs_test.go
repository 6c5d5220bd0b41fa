package scale

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMessageOf(t *testing.T) {
	tests := []struct {
		name, body string
		want       Message
	}{
		{"job unit with a run", `{"id":"EV-1","type":"job.billing","data":{"provider":"PA-1","run":"r1","step":3}}`, Message{Kind: "job.billing", Run: "r1", Step: 3}},
		{"a lane's unit", `{"id":"EV-2","type":"job.billing","data":{"provider":"PA-1","run":"r1","step":7,"fan":2,"lane":3}}`, Message{Kind: "job.billing", Run: "r1", Step: 7, Lane: true}},
		{"job unit of a new type", `{"id":"EV-2","type":"job.usage_delete","data":{"file":"UF-1"}}`, Message{Kind: "job.usage_delete"}},
		{"event whose data is no object", `{"id":"EV-3","type":"order.created","data":[1]}`, Message{Kind: "order.created"}},
		{"task", `{"kind":"webhook.attempt","delivery_id":"WD-1"}`, Message{Kind: "webhook.attempt"}},
		{"bucket notification", `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put"}]}`, Message{Kind: "s3:ObjectCreated:Put"}},
		{"not JSON", `hello`, Message{}},
		{"JSON of no known shape", `{"Records":[{"eventSource":"aws:sns"}]}`, Message{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := messageOf(tt.body); got != tt.want {
				t.Errorf("messageOf = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestJobOf(t *testing.T) {
	last := map[string]int{"r1": 5}
	tests := []struct {
		name string
		inv  Invocation
		want string
	}{
		{"schedule", Invocation{Op: "billing schedule"}, "billing schedule"},
		{"api request", Invocation{Op: "api GET /public/v1/requests"}, ""},
		{"ordinary events", Invocation{Op: "dispatcher batch", Messages: []Message{{Kind: "order.created"}}}, ""},
		{"a job unit", Invocation{Op: "billing batch", Messages: []Message{{Kind: "job.billing", Run: "r1", Step: 2}}}, "billing batch · job.billing"},
		{"a run's last step", Invocation{Op: "billing batch", Messages: []Message{{Kind: "job.billing", Run: "r1", Step: 5}}}, "billing batch · job.billing (a run's last step)"},
		{"a lane's unit whose own step reaches the run's last", Invocation{Op: "billing batch", Messages: []Message{{Kind: "job.billing", Run: "r1", Step: 5, Lane: true}}}, "billing batch · job.billing"},
		{"a job unit among tasks is named by the unit", Invocation{Op: "dispatcher batch", Messages: []Message{
			{Kind: "webhook.attempt"}, {Kind: "job.webhook_recovery"}, {Kind: "order.created"}}}, "dispatcher batch · job.webhook_recovery"},
		{"two job types", Invocation{Op: "usage batch", Messages: []Message{{Kind: "job.usage_delete"}, {Kind: "job.b"}, {Kind: "job.usage_delete"}}}, "usage batch · job.b+job.usage_delete"},
		{"a command", Invocation{Op: "dispatcher batch", Messages: []Message{{Kind: "webhook.recovery_requested"}}}, "dispatcher batch · webhook.recovery_requested"},
		{"tasks", Invocation{Op: "dispatcher batch", Messages: []Message{{Kind: "webhook.attempt"}}}, "dispatcher batch · webhook.attempt"},
		{"a file", Invocation{Op: "usage batch", Messages: []Message{{Kind: "s3:ObjectCreated:Put"}}}, "usage batch · s3:ObjectCreated:Put"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := jobOf(tt.inv, last); got != tt.want {
				t.Errorf("jobOf = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestJobSet_Observe keeps each job's most calls (with that invocation's
// units and durations) and most items at each size, which at H are two
// invocations', whatever the phase that ran them, and ignores what ran no
// job.
func TestJobSet_Observe(t *testing.T) {
	unit := func(step int) []Message { return []Message{{Kind: "job.billing", Run: "r", Step: step}} }
	call := func(inv int64, items int) Call {
		return Call{Inv: inv, Name: "Query", Items: items, Units: []Unit{{RCU: 1}}}
	}
	var js jobSet
	// H: two rate steps (3 and 2 calls), the last step (1 call), a relay batch.
	js.observe(0, []Call{call(1, 5), call(1, 5), call(1, 5), call(2, 9), call(2, 9), call(3, 1), call(4, 50), call(4, 50), call(4, 50), call(4, 50)},
		map[int64]Invocation{
			1: {Op: "billing batch", Function: "BillingFunction", Messages: unit(1), Took: time.Second},
			2: {Op: "billing batch", Function: "BillingFunction", Messages: unit(2)},
			3: {Op: "billing batch", Function: "BillingFunction", Messages: unit(3)},
			4: {Op: "relay batch", Function: "RelayFunction"},
		})
	// 10·H, in two phases: a smaller step first, then a larger one.
	js.observe(1, []Call{call(5, 1)}, map[int64]Invocation{5: {Op: "billing batch", Function: "BillingFunction", Messages: unit(1)}})
	js.observe(1, []Call{call(6, 2), call(6, 2), call(6, 2), call(6, 2), call(7, 1)}, map[int64]Invocation{
		6: {Op: "billing batch", Function: "BillingFunction", Messages: unit(1)},
		7: {Op: "billing batch", Function: "BillingFunction", Messages: unit(9)},
	})
	got := js.measures()
	want := []Measure{
		{Name: "billing batch · job.billing", Function: "BillingFunction", Calls: [2]int{3, 4}, Items: [2]int{18, 8}, RCU: [2]float64{3, 4},
			AWS: [2]time.Duration{30 * time.Millisecond, 40 * time.Millisecond}, Took: [2]time.Duration{time.Second, 0}, Seen: [2]bool{true, true}},
		{Name: "billing batch · job.billing (a run's last step)", Function: "BillingFunction", Calls: [2]int{1, 1}, Items: [2]int{1, 1}, RCU: [2]float64{1, 1},
			AWS: [2]time.Duration{10 * time.Millisecond, 10 * time.Millisecond}, Seen: [2]bool{true, true}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("measures (-want +got):\n%s", diff)
	}
}

// TestRequestCalls keeps a list page's own calls: not a relay batch's that
// ran while it was read, nor a call no invocation made.
func TestRequestCalls(t *testing.T) {
	invs := map[int64]Invocation{1: {Op: "api GET /public/v1/requests"}, 2: {Op: "relay batch", Function: "RelayFunction"}}
	calls := []Call{{Inv: 1, Name: "Query"}, {Inv: 2, Name: "UpdateItem"}, {Inv: 1, Name: "BatchGetItem"}, {Inv: 0, Name: "GetItem"}}
	got := requestCalls(calls, invs)
	want := []Call{{Inv: 1, Name: "Query"}, {Inv: 1, Name: "BatchGetItem"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requestCalls (-want +got):\n%s", diff)
	}
}
