// Package stacktest gives integration tests a fresh copy of the platform's
// resources: it deploys template.yaml itself to the test emulator (moto
// started by the test binary, or AWS_ENDPOINT_URL) under a stack name of its
// own, once per test package, and builds the App on it exactly as a Lambda
// would from its environment.
package stacktest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/mercato-dev/mercato/infra/localrun"
	"github.com/mercato-dev/mercato/infra/moto/mototest"
	"github.com/mercato-dev/mercato/infra/stack"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/config"
	"github.com/mercato-dev/mercato/internal/ident"
	"github.com/mercato-dev/mercato/internal/logging"
)

// Harness deploys the stack on first use. Most tests use the package's
// shared one (Main and Shared); a test that needs a stack of its own
// creates a Harness and calls Stop when it ends.
type Harness struct {
	emu  *mototest.Emulator
	once sync.Once
	env  *Env
	err  error
}

// Env is a deployed stack.
type Env struct {
	AWS    aws.Config
	Stack  *stack.Stack
	Config config.Config
}

// New returns a harness that starts nothing until a test asks for it.
func New() *Harness { return &Harness{emu: mototest.New()} }

// Stop ends the emulator the harness started, if any.
func (h *Harness) Stop() error { return h.emu.Stop() }

// Env deploys template.yaml on first call and returns the stack. It skips or
// fails the test as mototest does when no emulator can be had.
func (h *Harness) Env(t testing.TB) *Env {
	t.Helper()
	awsCfg := h.emu.Config(t)
	h.once.Do(func() { h.env, h.err = deploy(awsCfg) })
	if h.err != nil {
		t.Fatalf("deploy template.yaml to the emulator: %v", h.err)
	}
	return h.env
}

func deploy(awsCfg aws.Config) (*Env, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	path, err := TemplatePath()
	if err != nil {
		return nil, err
	}
	tpl, err := stack.ParseTemplateFile(path)
	if err != nil {
		return nil, err
	}
	// Stack names end up in bucket names, which must be lowercase.
	name := fmt.Sprintf("mercato-test-%x", ident.Bytes(4))
	st, err := stack.Deploy(ctx, awsCfg, tpl, name, nil)
	if err != nil {
		return nil, err
	}
	env, err := st.FunctionEnv(ctx, "ApiFunction")
	if err != nil {
		return nil, err
	}
	env["MERCATO_ENV"] = "test"
	env["MERCATO_ALLOW_HTTP_LOOPBACK"] = "true"
	cfg, err := config.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		return nil, err
	}
	return &Env{AWS: awsCfg, Stack: st, Config: cfg}, nil
}

// App builds the application on the stack, with opts (a call counter, a
// clock). Logs go to the test's output only when -v is given.
func (e *Env) App(t testing.TB, opts app.Options) *app.App {
	t.Helper()
	return app.New(e.Config, e.AWS, Logger(t), opts)
}

// Logger returns a JSON logger that writes to the test log under -v, and
// discards otherwise.
func Logger(t testing.TB) *slog.Logger {
	t.Helper()
	if testing.Verbose() {
		return logging.New(tWriter{t}, slog.LevelDebug)
	}
	return logging.New(io.Discard, slog.LevelInfo)
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TemplatePath finds template.yaml at the module root above the working
// directory.
func TemplatePath() (string, error) {
	root, err := Root()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "template.yaml"), nil
}

// Root is the directory of go.mod above the working directory: where a
// test finds the checkout's files, whichever package it runs in.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("stacktest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Run drives the stack's event sources with h under infra/localrun, as
// `make run` does, until the test ends. opts adjust the runtime's config
// (compressed redelivery, say).
func (e *Env) Run(t testing.TB, h app.Handlers, opts ...func(*localrun.Config)) {
	t.Helper()
	cfg := localrun.Config{AWS: e.AWS, Stack: e.Stack, Handlers: h, Logger: Logger(t), PollWait: 200 * time.Millisecond}
	for _, o := range opts {
		o(&cfg)
	}
	rt, err := localrun.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rt.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("runtime: %v", err)
		}
	})
}

// RunApp drives the stack's event sources with a's handlers.
func (e *Env) RunApp(t testing.TB, a *app.App, opts ...func(*localrun.Config)) {
	t.Helper()
	hs, err := a.Handlers()
	if err != nil {
		t.Fatal(err)
	}
	e.Run(t, hs, opts...)
}

// shared is the test binary's harness. Go builds one binary per test
// package, so the tests of a package share one stack.
var shared = New()

// Main runs a test package's tests, then the after functions (what the
// tests started on the shared stack), then stops the emulator, and exits
// with the tests' status. Call it from TestMain:
//
//	func TestMain(m *testing.M) { stacktest.Main(m) }
func Main(m *testing.M, after ...func()) { os.Exit(shared.emu.Main(m, after...)) }

// Shared returns the package's stack, deployed on first call (see
// Harness.Env). Only a package whose TestMain calls Main may use it.
func Shared(t testing.TB) *Env {
	t.Helper()
	return shared.Env(t)
}
