//go:build faults

package chaos_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/mercato-dev/mercato/infra/chaos"
	"github.com/mercato-dev/mercato/infra/stacktest"
)

// TestLoad is the bounded load test: hubs (one world each) post orders
// from two goroutines each for loadFor, each with an idempotency key, with
// deliberate retries, while each vendor approves its queue; then every
// invariant must hold within settleFor. It reports orders per second and
// the order POST's p50/p99 latency.
//
// The posters share an offered rate (MERCATO_LOAD_RATE orders per second,
// default 2.5) rather than posting as fast as answers come: the emulator
// runs every AWS call of the platform on one Python core, and an unpaced
// load fills it with API calls, leaving a backlog of events that takes
// minutes to drain. At the default rate the whole test, drain included,
// stays within two minutes. MERCATO_LOAD_HUBS and MERCATO_LOAD_SECONDS
// change the shape.
func TestLoad(t *testing.T) {
	ctx := context.Background()
	hubs, loadFor := envInt("MERCATO_LOAD_HUBS", 2), time.Duration(envInt("MERCATO_LOAD_SECONDS", 30))*time.Second
	rate := envFloat("MERCATO_LOAD_RATE", 2.5)
	// A stack and an emulator of its own: the fault scenarios' items would
	// slow down every scan of the table that checking the invariants takes.
	h := stacktest.New()
	t.Cleanup(func() {
		if err := h.Stop(); err != nil {
			t.Errorf("stop the emulator: %v", err)
		}
	})
	p := chaos.Start(t, h.Env(t))
	worlds := make([]*chaos.World, hubs)
	for i := range worlds {
		w, err := p.NewWorld(ctx, 3)
		if err != nil {
			t.Fatal(err)
		}
		worlds[i] = w
	}
	since := time.Now().UTC()
	lg := &loadGen{p: p, tick: time.NewTicker(time.Duration(float64(time.Second) / rate))}
	defer lg.tick.Stop()
	ctx2, cancel := context.WithTimeout(ctx, loadFor)
	defer cancel()
	var wg sync.WaitGroup
	for h, w := range worlds {
		for g := range 2 {
			wg.Go(func() { lg.hub(ctx2, t, w, fmt.Sprintf("load-%d-%d-%d", since.UnixNano(), h, g)) })
		}
		wg.Go(func() { lg.vendor(ctx2, t, w) })
	}
	wg.Wait()
	took := time.Since(since)

	s := &suite{p: p, settleFor: 80 * time.Second}
	s.settle(ctx, t, since, chaos.Expect{Accepted: lg.ids}, worlds...)
	drained := time.Since(since) - took
	p50, p99 := percentile(lg.lat, 50), percentile(lg.lat, 99)
	t.Logf("load: %d hubs × 2 posters for %s at %g orders/s offered: %d orders accepted (%.1f orders/s), %d requests sent (%d deliberate replays, %d lost answers retried), %d approvals; order POST latency p50 %s, p99 %s; every invariant held %s after the load stopped",
		hubs, took.Round(time.Second), rate, len(lg.ids), float64(len(lg.ids))/took.Seconds(), len(lg.lat), lg.replays, lg.lost, lg.approved,
		p50.Round(time.Millisecond), p99.Round(time.Millisecond), drained.Round(time.Second))
}

type loadGen struct {
	p                       *chaos.Platform
	tick                    *time.Ticker // one order per tick, shared by the posters
	mu                      sync.Mutex
	ids                     []string
	lat                     []time.Duration
	replays, lost, approved int
}

func (lg *loadGen) hub(ctx context.Context, t *testing.T, w *chaos.World, run string) {
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-lg.tick.C:
		}
		key, cust, body := fmt.Sprintf("%s-%d", run, i), w.Customers[i%len(w.Customers)], w.OrderBody(1+i%9)
		if i%5 == 4 {
			// An answer the hub never sees: the request is cut off client
			// side at 50 ms, whatever the platform did with it.
			short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			_, _, _ = lg.p.API.Send(short, http.MethodPost, "/v1/customers/"+cust+"/orders", w.Provider.Token.Value, body, "Idempotency-Key", key)
			cancel()
			lg.count(&lg.lost)
		}
		got, err := lg.post(context.WithoutCancel(ctx), w, cust, key, body)
		if err != nil {
			t.Errorf("order %s: %v", key, err)
			return
		}
		if i%4 == 0 {
			again, err := lg.post(context.WithoutCancel(ctx), w, cust, key, body)
			if err != nil || again != got {
				t.Errorf("replay of %s gave %s, %v; want %s", key, again, err, got)
			}
			lg.count(&lg.replays)
		}
		lg.mu.Lock()
		lg.ids = append(lg.ids, got)
		lg.mu.Unlock()
	}
}

func (lg *loadGen) post(ctx context.Context, w *chaos.World, cust, key string, body any) (string, error) {
	start := time.Now()
	got, err := lg.p.PlaceOrder(ctx, w, cust, key, body, 10)
	lg.mu.Lock()
	lg.lat = append(lg.lat, time.Since(start))
	lg.mu.Unlock()
	return got.OrderID, err
}

func (lg *loadGen) vendor(ctx context.Context, t *testing.T, w *chaos.World) {
	for ctx.Err() == nil {
		n, err := lg.p.ApprovePending(context.WithoutCancel(ctx), w)
		if err != nil {
			t.Errorf("approver: %v", err)
			return
		}
		lg.mu.Lock()
		lg.approved += n
		lg.mu.Unlock()
		time.Sleep(200 * time.Millisecond)
	}
}

func (lg *loadGen) count(n *int) {
	lg.mu.Lock()
	*n++
	lg.mu.Unlock()
}

func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}

func envFloat(name string, def float64) float64 {
	if f, err := strconv.ParseFloat(os.Getenv(name), 64); err == nil && f > 0 {
		return f
	}
	return def
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}
