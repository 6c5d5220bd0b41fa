// Command demo is `make demo`: it plays the seed documents' story through
// the public API of a running `make run` stack, as the vendor and the
// provider hub would, and checks every step. It prints one line per step
// with the ids involved and a summary with timings, and exits non-zero at
// the first step that deviates.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/mercato-dev/mercato/infra/apiclient"
	"github.com/mercato-dev/mercato/infra/localenv"
	"github.com/mercato-dev/mercato/infra/stackproc"
)

type options struct {
	envFile  string
	startBin string // mercato-local, started when no stack answers
	template string
}

func main() {
	var o options
	flag.StringVar(&o.envFile, "env-file", localenv.DefaultPath, "the stack's environment, written by `make run`")
	flag.StringVar(&o.startBin, "start", "", "path of the mercato-local binary to start a stack with when none is running")
	flag.StringVar(&o.template, "template", "template.yaml", "the template a started stack deploys")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// stack finds the running stack, or starts one when o.startBin is set.
func stack(ctx context.Context, o options, out io.Writer) (map[string]string, func(), error) {
	vars, err := localenv.Read(o.envFile)
	if err == nil {
		c := &client{apiclient.Client{Base: vars["MERCATO_API_URL"], HTTP: &http.Client{Timeout: 2 * time.Second}}}
		if c.call(ctx, http.MethodGet, "/healthz", "", nil, http.StatusOK, nil) == nil {
			return vars, func() {}, nil
		}
	}
	if o.startBin == "" {
		return nil, nil, fmt.Errorf("no stack answers at %s (start it with make run): %v", o.envFile, err)
	}
	dir, err := os.MkdirTemp("", "mercato-demo-")
	if err != nil {
		return nil, nil, err
	}
	p, err := stackproc.Start(ctx, o.startBin, o.template, dir, 90*time.Second)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(out, "started a stack of its own at %s (ready in %s)\n", p.APIURL, p.Ready.Round(time.Millisecond))
	return p.Vars, func() { _ = p.Stop(); _ = os.RemoveAll(dir) }, nil
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// story holds what the steps share.
type story struct {
	c        *client
	vendor   string
	provider string
	mp       string
	hooks    *receiver
	out      io.Writer

	product  string
	users    item
	minutes  item
	param    string
	template string
	customer string
	order    string
	subUsers string
	subPPU   string
	invoice  string
}

type item struct {
	ID      string `json:"id"`
	LocalID string `json:"local_id"`
	MPN     string `json:"mpn"`
}

type step struct {
	name string
	run  func(context.Context, *story) (string, error)
}

func run(ctx context.Context, o options, out io.Writer) error {
	vars, stop, err := stack(ctx, o, out)
	if err != nil {
		return err
	}
	defer stop()
	hooks, err := startReceiver()
	if err != nil {
		return err
	}
	defer hooks.close()
	s := &story{c: &client{apiclient.Client{Base: vars["MERCATO_API_URL"], HTTP: &http.Client{Timeout: 30 * time.Second}}},
		vendor: vars["MERCATO_VENDOR_TOKEN"], provider: vars["MERCATO_PROVIDER_TOKEN"], mp: vars["MERCATO_MARKETPLACE_ID"],
		hooks: hooks, out: out}
	if err := s.c.call(ctx, http.MethodGet, "/healthz", "", nil, http.StatusOK, nil); err != nil {
		return fmt.Errorf("the stack at %s is not up (start it with make run): %w", s.c.Base, err)
	}
	steps := []step{
		{"vendor builds, publishes and lists Connect Web Conference Software", buildProduct},
		{"vendor registers a webhook", registerWebhook},
		{"provider creates a customer and orders (Partner Center)", placeOrder},
		{"vendor works the request: inquire, pend, fill the parameter, approve", fulfill},
		{"provider sees the order completed, the subscription active, the activation link", checkActive},
		{"usage is uploaded, accepted and billed", billUsage},
		{"subscription is suspended and resumed", suspendResume},
		{"every webhook delivery verified", checkWebhooks},
	}
	total := time.Now()
	timings := make([]time.Duration, 0, len(steps))
	for i, st := range steps {
		start := time.Now()
		detail, err := st.run(ctx, s)
		took := time.Since(start)
		if err != nil {
			fmt.Fprintf(out, "✗ %d. %s (%s)\n", i+1, st.name, took.Round(time.Millisecond))
			return fmt.Errorf("step %d, %s: %w", i+1, st.name, err)
		}
		timings = append(timings, took)
		fmt.Fprintf(out, "✓ %d. %s: %s (%s)\n", i+1, st.name, detail, took.Round(time.Millisecond))
	}
	fmt.Fprintf(out, "demo passed: %d steps in %s (", len(steps), time.Since(total).Round(time.Millisecond))
	for i, d := range timings {
		if i > 0 {
			fmt.Fprint(out, ", ")
		}
		fmt.Fprintf(out, "%d: %s", i+1, d.Round(time.Millisecond))
	}
	fmt.Fprintln(out, ")")
	return nil
}
