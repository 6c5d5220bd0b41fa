package coldstart

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"testing"
	"time"
)

// events are inputs that each function handles without calling AWS, so the
// figure is the function's own start-up plus one cheap invocation.
var events = map[string]string{
	"api":         `{"version":"2.0","rawPath":"/openapi.yaml","requestContext":{"http":{"method":"GET","path":"/openapi.yaml"},"requestId":"cs"},"headers":{}}`,
	"relay":       `{"Records":[]}`,
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

// coldStart runs bin once and returns the time from exec to its answer.
func coldStart(tb testing.TB, bin, event string) time.Duration {
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
	if _, err := api.Result(); err != nil {
		tb.Fatalf("%s: %v", filepath.Base(bin), err)
	}
	return elapsed
}

// median of n cold starts.
func median(tb testing.TB, n int, bin, event string) time.Duration {
	tb.Helper()
	ds := make([]time.Duration, n)
	for i := range ds {
		ds[i] = coldStart(tb, bin, event)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[n/2]
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
// short; the benchmark runs all six.
func TestColdStart_RuntimeAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a function")
	}
	bin := filepath.Join(t.TempDir(), "api")
	build(t, "../../functions/api", bin)
	if d := coldStart(t, bin, events["api"]); d <= 0 {
		t.Fatalf("cold start took %s", d)
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
				fnTime += median(b, 5, bin, events[fn])
				baseTime += median(b, 5, hello, `{}`)
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
