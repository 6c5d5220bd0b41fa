// Package mototest gives integration tests one shared AWS emulator per test
// binary: the one named by AWS_ENDPOINT_URL, or else a moto_server started on
// first use. A test that needs it calls Emulator.Endpoint or Emulator.Config;
// when moto is not installed the test is skipped, or fails when CI=true so a
// CI run cannot pass without exercising the emulator. Under -short (make
// test-unit) such a test is skipped before anything starts, except with
// CI=true, which never skips one.
package mototest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/mercato-dev/mercato/infra/moto"
)

// Emulator is a lazily started emulator shared by the tests of one package.
// Create it with New and run the package from TestMain with Main.
type Emulator struct {
	once     sync.Once
	srv      *moto.Server
	endpoint string
	err      error
}

// New returns an Emulator that starts nothing until a test asks for it.
func New() *Emulator { return &Emulator{} }

func (e *Emulator) start() {
	if ep := os.Getenv("AWS_ENDPOINT_URL"); ep != "" {
		e.endpoint = ep
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	opts := moto.Options{}
	if path := os.Getenv("MERCATO_MOTO_LOG"); path != "" {
		// The emulator's own request log, for a test that hangs on it.
		f, err := os.Create(path)
		if err != nil {
			e.err = fmt.Errorf("MERCATO_MOTO_LOG: %w", err)
			return
		}
		opts.LogWriter = f
	}
	e.srv, e.err = moto.Start(ctx, opts)
	if e.err == nil {
		e.endpoint = e.srv.Endpoint()
	}
}

// Endpoint returns the emulator's URL, starting moto on first use. It skips
// the test under -short, and when moto is not installed; with CI=true it
// does neither: it runs the test, or fails it when no emulator can be had.
func (e *Emulator) Endpoint(t testing.TB) string {
	t.Helper()
	ci := os.Getenv("CI") == "true"
	if testing.Short() && !ci {
		t.Skip("skipping integration test in -short mode (it needs the AWS emulator)")
	}
	e.once.Do(e.start)
	if e.err == nil {
		return e.endpoint
	}
	if errors.Is(e.err, moto.ErrNotInstalled) && !ci {
		t.Skipf("skipping integration test: %v (or set AWS_ENDPOINT_URL to an emulator)", e.err)
	}
	if ci {
		t.Fatalf("CI=true: integration tests must run against an AWS emulator, and none is available: %v (or set AWS_ENDPOINT_URL)", e.err)
	}
	t.Fatalf("AWS emulator unavailable: %v", e.err)
	return ""
}

// Config returns an aws.Config for the emulator (see moto.AWSConfig).
func (e *Emulator) Config(t testing.TB) aws.Config {
	t.Helper()
	cfg, err := moto.AWSConfig(context.Background(), e.Endpoint(t))
	if err != nil {
		t.Fatalf("emulator config: %v", err)
	}
	return cfg
}

// Stop ends the emulator if this Emulator started one.
func (e *Emulator) Stop() error {
	if e.srv == nil {
		return nil
	}
	return e.srv.Stop()
}

// Main runs a test package's tests, then the after functions (what the
// tests started on the emulator), then stops the emulator; a failure to
// stop fails the run. Use it as os.Exit(e.Main(m)).
func (e *Emulator) Main(m *testing.M, after ...func()) int {
	code := m.Run()
	for _, f := range after {
		f()
	}
	if err := e.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stop the emulator:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Startable is for a test that starts the platform with its own emulator:
// it skips the test when moto_server cannot be started, or fails it when
// CI=true, as Endpoint does.
func Startable(t testing.TB) {
	t.Helper()
	srv, err := moto.Start(context.Background(), moto.Options{})
	if err == nil {
		_ = srv.Stop()
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("moto_server unavailable: %v", err)
	}
	t.Skipf("moto_server unavailable: %v", err)
}
