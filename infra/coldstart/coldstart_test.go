package coldstart

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// events are inputs that each function handles without calling AWS, so the
// figure is the function's own start-up plus one cheap invocation. The API's
// and the render and files functions' are requests without a token, which go through
// the adapter, the middleware, the route table and authentication and are
// answered 401.
// (GET /openapi.yaml, its event until 2026-12-06, spent about 1.5 ms of the
// start JSON-encoding the 154 KB document into Lambda's response.)
var events = map[string]string{
	"api":         `{"version":"2.0","rawPath":"/public/v1/accounts","requestContext":{"http":{"method":"GET","path":"/public/v1/accounts"},"requestId":"cs"},"headers":{}}`,
	"relay":       `{"Records":[]}`,
	"render":      `{"version":"2.0","rawPath":"/public/v1/assets/AS-0000-0000-0000/render","requestContext":{"http":{"method":"GET","path":"/public/v1/assets/AS-0000-0000-0000/render"},"requestId":"cs"},"headers":{}}`,
	"files":       `{"version":"2.0","rawPath":"/public/v1/usage/files","requestContext":{"http":{"method":"GET","path":"/public/v1/usage/files"},"requestId":"cs"},"headers":{}}`,
	"fulfillment": `{"Records":[]}`,
	"dispatcher":  `{"Records":[]}`,
	"usage":       `{"Records":[]}`,
	"billing":     `{"Records":[]}`,
}

// env is what template.yaml gives every function; nothing is reached.
var env = []string{
	"TABLE_NAME=coldstart", "FULFILLMENT_QUEUE_URL=http://127.0.0.1:1/q", "WEBHOOK_QUEUE_URL=http://127.0.0.1:1/q",
	"BILLING_QUEUE_URL=http://127.0.0.1:1/q", "USAGE_QUEUE_URL=http://127.0.0.1:1/q", "USAGE_BUCKET=coldstart", "LOG_LEVEL=warn",
	"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=x", "AWS_ENDPOINT_URL=http://127.0.0.1:1",
}

// build compiles a main package the way the Makefile's build targets do
// (CGO_ENABLED=0, -tags lambda.norpc, -trimpath, -s -w), for this machine's
// architecture so that it can be run here.
func build(tb testing.TB, pkg, out string) {
	tb.Helper()
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w -buildid=", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("build %s: %v\n%s", pkg, err, b)
	}
}

// coldStart runs bin once and returns the time from exec to its answer,
// and the answer.
func coldStart(tb testing.TB, bin, event string) (time.Duration, []byte) {
	tb.Helper()
	api, err := Start([]byte(event))
	if err != nil {
		tb.Fatal(err)
	}
	defer api.Close()
	cmd := exec.Command(bin)
	cmd.Env = append(env, "AWS_LAMBDA_RUNTIME_API="+api.Addr(), "AWS_LAMBDA_FUNCTION_NAME=coldstart",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256", "AWS_LAMBDA_FUNCTION_VERSION=$LATEST")
	start := time.Now()
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	select {
	case <-api.Done():
	case <-time.After(20 * time.Second):
		tb.Fatalf("%s did not answer within 20 s", filepath.Base(bin))
	}
	elapsed := time.Since(start)
	answer, err := api.Result()
	if err != nil {
		tb.Fatalf("%s: %v", filepath.Base(bin), err)
	}
	return elapsed, answer
}

// pairedMedians starts bin and hello n times each, in turns, so that both
// see the same load on a shared machine, and returns the median start of
// each.
func pairedMedians(tb testing.TB, n int, bin, event, hello string) (fn, base time.Duration) {
	tb.Helper()
	fns, hellos := make([]time.Duration, n), make([]time.Duration, n)
	for i := range n {
		fns[i], _ = coldStart(tb, bin, event)
		hellos[i], _ = coldStart(tb, hello, `{}`)
	}
	return median(fns), median(hellos)
}

func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}

func size(tb testing.TB, path string) int64 {
	tb.Helper()
	st, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return st.Size()
}

// TestColdStart_RuntimeAPI proves that a real function binary starts
// under this Runtime API and answers its event, so the benchmark measures
// what it claims. It builds one function (the API) to keep make test
// short; the benchmark runs all eight.
func TestColdStart_RuntimeAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a function")
	}
	bin := filepath.Join(t.TempDir(), "api")
	build(t, "../../functions/api", bin)
	d, answer := coldStart(t, bin, events["api"])
	if d <= 0 {
		t.Fatalf("cold start took %s", d)
	}
	if !strings.Contains(string(answer), `"statusCode":401`) {
		t.Fatalf("answer %s, want the 401 of a request without a token", answer)
	}
}

// BenchmarkColdStart reports, per function, the binary size and the median
// time from exec to the first answered event, each against a hello-world
// aws-lambda-go binary built the same way in the same run.
func BenchmarkColdStart(b *testing.B) {
	dir := b.TempDir()
	hello := filepath.Join(dir, "hello")
	build(b, "./testdata/hello", hello)
	helloSize := size(b, hello)
	fns := make([]string, 0, len(events))
	for fn := range events {
		fns = append(fns, fn)
	}
	sort.Strings(fns)
	for _, fn := range fns {
		bin := filepath.Join(dir, fn)
		build(b, "../../functions/"+fn, bin)
		b.Run(fn, func(b *testing.B) {
			var fnTime, baseTime time.Duration
			for range b.N {
				f, h := pairedMedians(b, 5, bin, events[fn], hello)
				fnTime += f
				baseTime += h
			}
			n := time.Duration(b.N)
			b.ReportMetric(float64((fnTime/n).Microseconds())/1000, "ms/start")
			b.ReportMetric(float64((baseTime/n).Microseconds())/1000, "hello-ms/start")
			b.ReportMetric(float64(fnTime)/float64(baseTime), "x-hello-time")
			b.ReportMetric(float64(size(b, bin))/(1<<20), "MiB")
			b.ReportMetric(float64(size(b, bin))/float64(helloSize), "x-hello-size")
		})
	}
}
