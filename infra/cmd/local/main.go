// Command local is `make run`: it brings the whole platform up on this
// machine. It starts moto_server (unless AWS_ENDPOINT_URL names an emulator
// already), deploys template.yaml to it, seeds demo accounts, serves the API
// handler on 127.0.0.1:8080, and drives every event source of the template
// against the same handlers the Lambdas run. Ctrl-C stops all of it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/mercato-dev/mercato/infra/localenv"
	"github.com/mercato-dev/mercato/infra/localrun"
	"github.com/mercato-dev/mercato/infra/moto"
	"github.com/mercato-dev/mercato/infra/stack"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/config"
	"github.com/mercato-dev/mercato/internal/logging"
	"github.com/mercato-dev/mercato/internal/tracing"
)

type options struct {
	addr             string
	stackName        string
	template         string
	envFile          string
	logLevel         string
	webhookRetries   string
	sessionTTL       time.Duration
	failedVisibility time.Duration
	metrics          string
	spans            string
}

func main() {
	var o options
	flag.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address the API listens on")
	flag.StringVar(&o.stackName, "stack", "mercato-local", "CloudFormation stack name in the emulator")
	flag.StringVar(&o.template, "template", "template.yaml", "SAM template to deploy")
	flag.StringVar(&o.envFile, "env-file", localenv.DefaultPath, "where to write the demo tokens and resource names")
	flag.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	flag.StringVar(&o.webhookRetries, "webhook-retries", "1s,5s,15s,30s,1m,2m,5m", "webhook retry schedule; compressed locally so that retries can be watched")
	flag.DurationVar(&o.sessionTTL, "portal-session-ttl", 0, "how long a portal sign-in lasts (0: the default, 8h)")
	flag.DurationVar(&o.failedVisibility, "failed-visibility", 0, "redeliver failed SQS messages after this long instead of the queue's visibility timeout (0 keeps Lambda's semantics)")
	flag.StringVar(&o.metrics, "metrics", "", "file the functions' EMF metric lines go to, as in their CloudWatch logs ('-' for stderr; empty: none)")
	flag.StringVar(&o.spans, "spans", "", "file the functions' spans go to as X-Ray segment documents, one a line ('-' for stderr; empty: no tracing)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	dieWithParent()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "mercato:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options, out io.Writer) error {
	start := time.Now()
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	log := logging.New(os.Stderr, level)

	// Listen first: a busy port should fail in a second, not after the
	// emulator is up.
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another `make run` up? use -addr)", o.addr, err)
	}
	defer ln.Close()
	apiURL := "http://" + ln.Addr().String()

	endpoint, stopEmulator, err := emulator(ctx, filepath.Join(filepath.Dir(o.envFile), "moto.log"))
	if err != nil {
		return err
	}
	defer stopEmulator()
	awsCfg, err := moto.AWSConfig(ctx, endpoint)
	if err != nil {
		return err
	}
	st, env, err := deploy(ctx, awsCfg, o)
	if err != nil {
		return err
	}
	env["MERCATO_PUBLIC_BASE_URL"] = apiURL
	cfg, err := config.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		return err
	}
	metrics, closeMetrics, err := sink(o.metrics)
	if err != nil {
		return fmt.Errorf("-metrics: %w", err)
	}
	defer closeMetrics()
	opts := app.Options{Metrics: metrics}
	spans, closeSpans, err := sink(o.spans)
	if err != nil {
		return fmt.Errorf("-spans: %w", err)
	}
	defer closeSpans()
	if spans != nil {
		tp := tracing.NewProvider(tracing.NewFileExporter(spans))
		defer func() { _ = tp.Shutdown(context.Background()) }()
		opts.Tracer = tp
	}
	a := app.New(cfg, awsCfg, log, opts)
	demo, err := seed(ctx, a)
	if err != nil {
		return fmt.Errorf("seed demo accounts: %w", err)
	}
	verifySender(ctx, awsCfg, cfg.EmailFrom, log)
	rt, err := runtime(a, st, awsCfg, log, o)
	if err != nil {
		return err
	}
	vars := demo.vars(apiURL)
	for k, v := range env {
		vars[k] = v
	}
	vars["AWS_ENDPOINT_URL"], vars["AWS_REGION"], vars["AWS_DEFAULT_REGION"] = endpoint, awsCfg.Region, awsCfg.Region
	vars["AWS_ACCESS_KEY_ID"], vars["AWS_SECRET_ACCESS_KEY"] = "test", "test"
	vars["MERCATO_STACK"] = st.Name
	// For `make admin ARGS=replay-stream-failures ENV_FILE=…`.
	if vars["RELAY_FAILURE_QUEUE_URL"], err = st.QueueURL(ctx, "RelayFailureQueue"); err != nil {
		return err
	}
	if err := localenv.Write(o.envFile, vars); err != nil {
		return err
	}
	return serve(ctx, ln, a, rt, func() {
		demo.print(out, o.envFile)
		fmt.Fprintf(out, "portal    %s/portal/  (sign in with a token above)\n", apiURL)
		fmt.Fprintf(out, "mercato ready in %.1fs: API %s · emulator %s · stack %s · %d event sources · Ctrl-C stops everything\n",
			time.Since(start).Seconds(), apiURL, endpoint, st.Name, len(rt.Sources()))
	})
}

// emulator returns the emulator to use: AWS_ENDPOINT_URL when set (say a
// LocalStack), or a moto_server started here and stopped on return.
func emulator(ctx context.Context, logPath string) (string, func(), error) {
	if ep := os.Getenv("AWS_ENDPOINT_URL"); ep != "" {
		return ep, func() {}, nil
	}
	if err := os.MkdirAll(filepath.Dir(logPath), 0o700); err != nil {
		return "", nil, err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return "", nil, err
	}
	srv, err := moto.Start(ctx, moto.Options{LogWriter: logFile})
	if err != nil {
		logFile.Close()
		return "", nil, fmt.Errorf("start moto_server: %w", err)
	}
	return srv.Endpoint(), func() {
		if err := srv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "mercato: stop moto_server:", err)
		}
		logFile.Close()
	}, nil
}

// deploy creates the template's resources and returns the environment the
// functions get from it, adjusted for the local stack.
func deploy(ctx context.Context, awsCfg aws.Config, o options) (*stack.Stack, map[string]string, error) {
	tpl, err := stack.ParseTemplateFile(o.template)
	if err != nil {
		return nil, nil, err
	}
	st, err := stack.Deploy(ctx, awsCfg, tpl, o.stackName, map[string]string{"WebhookRetrySchedule": o.webhookRetries})
	if err != nil {
		return nil, nil, fmt.Errorf("deploy %s to the emulator: %w", o.template, err)
	}
	env, err := st.FunctionEnv(ctx, "ApiFunction")
	if err != nil {
		return nil, nil, err
	}
	env["MERCATO_ENV"] = "local"
	env["LOG_LEVEL"] = o.logLevel
	// Only the local stack lets webhooks target http://127.0.0.1, so that a
	// receiver on this machine can be tried without TLS.
	env["MERCATO_ALLOW_HTTP_LOOPBACK"] = "true"
	if o.sessionTTL > 0 {
		env["MERCATO_PORTAL_SESSION_TTL"] = o.sessionTTL.String()
	}
	return st, env, nil
}

func runtime(a *app.App, st *stack.Stack, awsCfg aws.Config, log *slog.Logger, o options) (*localrun.Runtime, error) {
	hs, err := a.Handlers()
	if err != nil {
		return nil, err
	}
	h := hs
	return localrun.New(localrun.Config{AWS: awsCfg, Stack: st, Handlers: h, Logger: log, FailedVisibility: o.failedVisibility})
}

// serve runs the API and the event sources until ctx is cancelled, then
// shuts both down.
func serve(ctx context.Context, ln net.Listener, a *app.App, rt *localrun.Runtime, ready func()) error {
	srv := &http.Server{Handler: drainBody(a.API()), ReadHeaderTimeout: 10 * time.Second}
	errs := make(chan error, 2)
	go func() { errs <- srv.Serve(ln) }()
	rtCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { errs <- rt.Run(rtCtx) }()
	ready()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errs:
	}
	cancel()
	shutCtx, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	if serr := srv.Shutdown(shutCtx); serr != nil && err == nil {
		err = serr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	fmt.Fprintln(os.Stderr, "mercato: stopped")
	return err
}

// sink opens where a -metrics style flag points: nothing for "", stderr for
// "-", else the file (appended to, so that runs add up).
func sink(path string) (io.Writer, func(), error) {
	switch path {
	case "":
		return nil, func() {}, nil
	case "-":
		return os.Stderr, func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { _ = f.Close() }, nil
}
