package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mercato-dev/mercato/internal/event"
)

// benchConcurrency is the requests in flight in both loops.
const benchConcurrency = 16

// BenchmarkDispatcher_VsBareHTTP measures deliveries per second through the
// dispatcher's fan-out (webhook lookup, conditional delivery record,
// Standard Webhooks signing, the guarded client with its dial-time checks,
// the attempt record and the counters) against a local receiver, and, in
// the same run, a bare net/http loop POSTing the same bodies to the same
// receiver at the same concurrency. Storage is memStore, the in-process
// fake of the dispatcher's store interface (not DynamoDB): the figure is
// the dispatcher's own overhead, not the table's latency.
func BenchmarkDispatcher_VsBareHTTP(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	defer srv.Close()
	ep := testEndpoint(srv.URL + "/hooks")
	store := newMemStore(ep)
	d := newDispatcher(DispatcherConfig{
		Client: NewClient(&Guard{AllowHTTPLoopback: true}), Queue: &fakeQueue{},
		Schedule: Schedule{5 * time.Second}, Concurrency: benchConcurrency,
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	}, store)
	bare := &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 64}}

	evs, bodies := benchEvents(b, ep.Account, b.N)
	ctx := context.Background()
	dispatch := func(i int) error { return d.FanOut(ctx, evs[i]) }
	post := func(i int) error { return barePost(bare, srv.URL+"/hooks", bodies[i]) }

	// Warm both clients' connection pools before measuring.
	warm, warmBodies := benchEvents(b, ep.Account, 2*benchConcurrency)
	if _, _, err := runConcurrently(len(warm), func(i int) error { return d.FanOut(ctx, warm[i]) }); err != nil {
		b.Fatal(err)
	}
	if _, _, err := runConcurrently(len(warm), func(i int) error { return barePost(bare, srv.URL+"/hooks", warmBodies[i]) }); err != nil {
		b.Fatal(err)
	}

	b.ResetTimer()
	dElapsed, dLat, err := runConcurrently(b.N, dispatch)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	bElapsed, bLat, err := runConcurrently(b.N, post)
	if err != nil {
		b.Fatal(err)
	}
	if st := store.endpoint(ep.Account, ep.ID).Stats; st.Successes < int64(b.N) {
		b.Fatalf("%d successful attempts recorded for %d deliveries", st.Successes, b.N)
	}
	dRate := float64(b.N) / dElapsed.Seconds()
	bRate := float64(b.N) / bElapsed.Seconds()
	b.ReportMetric(dRate, "deliveries/s")
	b.ReportMetric(bRate, "bare-posts/s")
	b.ReportMetric(dRate/bRate, "ratio-vs-bare")
	// Added latency is the difference of the two loops' percentiles; the
	// raw p99s are reported too, since tails on a shared 2-core machine
	// are noisy.
	b.ReportMetric(float64(percentile(dLat, 50)-percentile(bLat, 50))/1e3, "p50-added-µs")
	b.ReportMetric(float64(percentile(dLat, 99)-percentile(bLat, 99))/1e3, "p99-added-µs")
	b.ReportMetric(float64(percentile(dLat, 99))/1e3, "p99-dispatch-µs")
	b.ReportMetric(float64(percentile(bLat, 99))/1e3, "p99-bare-µs")
}

func benchEvents(b *testing.B, account string, n int) ([]event.Event, [][]byte) {
	b.Helper()
	data := json.RawMessage(`{"id":"PR-7658-9572-0778-001","type":"purchase","status":"pending","asset":{"id":"AS-7658-9572-0778","external_id":"42","product":{"id":"PRD-387-522-630","name":"Cloud Backup"},"marketplace":{"id":"MP-71206"},"items":[{"id":"PRD-387-522-630-0001","mpn":"BACKUP-100GB","quantity":5}]}}`)
	evs := make([]event.Event, n)
	bodies := make([][]byte, n)
	now := time.Now()
	for i := range evs {
		evs[i] = event.Event{ID: fmt.Sprintf("EV-%013x-%012d", now.UnixMilli(), i) + fmt.Sprint(time.Now().UnixNano()), Type: event.RequestCreated, Created: now, Account: account, Data: data}
		raw, err := json.Marshal(evs[i])
		if err != nil {
			b.Fatal(err)
		}
		bodies[i] = raw
	}
	return evs, bodies
}

func barePost(c *http.Client, url string, body []byte) error {
	res, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxRead))
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", res.StatusCode)
	}
	return nil
}

// runConcurrently runs fn(0..n-1) on benchConcurrency workers and returns
// the wall time and each call's latency.
func runConcurrently(n int, fn func(int) error) (time.Duration, []time.Duration, error) {
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for range benchConcurrency {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				t0 := time.Now()
				if err := fn(i); err != nil {
					once.Do(func() { firstErr = err })
				}
				lat[i] = time.Since(t0)
			}
		})
	}
	wg.Wait()
	return time.Since(start), lat, firstErr
}

func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}
