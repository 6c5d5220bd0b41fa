package scale_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mercato-dev/mercato/infra/scale"
	"github.com/mercato-dev/mercato/infra/stacktest"
)

func TestMain(m *testing.M) { stacktest.Main(m) }

// TestRun_Tiny runs the model for two orders and checks that it recorded
// what the workload must cost whatever the layout: orders and approves
// write, the relay and the webhook dispatcher run, some index partition is
// written, and keys of the vendor and of the hub are charged.
func TestRun_Tiny(t *testing.T) {
	env := stacktest.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := scale.Run(ctx, scale.Config{AWS: env.AWS, Stack: env.Stack, App: env.Config, Log: stacktest.Logger(t),
		Orders: 2, Lines: 2, Customers: 2, Concurrency: 1, Quiet: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]scale.OpRow{}
	for _, o := range rep.Ops {
		ops[o.Op] = o
	}
	for _, name := range []string{"order", "approve"} {
		if o := ops[name]; o.Calls == 0 || o.WCU == 0 {
			t.Errorf("%s: %+v, want calls that write", name, o)
		}
	}
	if o := ops["order"]; o.Invocations != 2 {
		t.Errorf("orders recorded = %d, want 2", o.Invocations)
	}
	if o := ops["approve"]; o.Invocations != 4 {
		t.Errorf("approves recorded = %d, want 4 (2 orders × 2 lines)", o.Invocations)
	}
	for _, name := range []string{"relay batch", "dispatcher batch"} {
		if ops[name].Invocations == 0 {
			t.Errorf("no %s recorded", name)
		}
	}
	var index, vendor, provider bool
	for _, k := range rep.Keys {
		if k.WCU == 0 {
			continue
		}
		index = index || !strings.HasPrefix(k.Shape, "table ")
		vendor = vendor || strings.Contains(k.Shape, "<vendor>")
		provider = provider || strings.Contains(k.Shape, "<provider>")
	}
	if !index || !vendor || !provider {
		t.Errorf("written: an index key %v, a <vendor> key %v, a <provider> key %v; want all three in\n%+v", index, vendor, provider, rep.Keys)
	}
	if rep.Ceiling <= 0 || rep.CeilingKey == "" || rep.TotalWCU == 0 {
		t.Errorf("ceiling %g on %q, total %g WCU: want a finite ceiling on a key", rep.Ceiling, rep.CeilingKey, rep.TotalWCU)
	}
}
