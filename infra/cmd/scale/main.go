// Command scale is `make scale`: the scale model. It starts moto_server
// (unless AWS_ENDPOINT_URL names an emulator), deploys template.yaml to it
// as `make run` does, runs one vendor's orders and approvals through the
// real handlers with every DynamoDB call recorded and charged as DynamoDB
// charges it, prints the load per operation and per key shape and the
// modelled one-vendor ceiling; then seeds the tenant to H and 10·H and
// prints what list pages and jobs cost at each size and at the stated
// limits. It exits 1 when a target is missed (unless -report-only).
//
// The model's reconciliation export writes parts of scale.ExportPart
// bytes, below S3's 5 MB minimum: the moto_server it starts accepts them
// (S3_UPLOAD_PART_MIN_SIZE), and an emulator named by AWS_ENDPOINT_URL
// must be started so too.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/mercato-dev/mercato/infra/moto"
	"github.com/mercato-dev/mercato/infra/scale"
	"github.com/mercato-dev/mercato/infra/stack"
	"github.com/mercato-dev/mercato/internal/config"
	"github.com/mercato-dev/mercato/internal/ident"
	"github.com/mercato-dev/mercato/internal/logging"
)

type options struct {
	template   string
	reportOnly bool
	// writeReportOnly holds the read path's targets only: the write
	// path's ceiling sits close to its target from run to run.
	writeReportOnly bool
	top             int
	explain         int
	run             scale.Config
	targets         scale.Targets
}

func main() {
	o := options{targets: scale.DefaultTargets}
	flag.StringVar(&o.template, "template", "template.yaml", "SAM template to deploy")
	flag.BoolVar(&o.reportOnly, "report-only", false, "print the model and exit 0 even when the targets are missed")
	flag.BoolVar(&o.writeReportOnly, "write-report-only", false, "exit 1 only when a read-path target is missed (the write path's are printed)")
	flag.IntVar(&o.top, "top", 0, "print only the hottest N key shapes (0: all)")
	flag.IntVar(&o.explain, "explain", 3, "break the load of the N hottest key shapes down by operation and DynamoDB call")
	flag.IntVar(&o.run.Orders, "orders", scale.DefaultOrders, "orders placed while recording")
	flag.IntVar(&o.run.Lines, "lines", 2, "lines per order (1 or 2)")
	flag.IntVar(&o.run.Customers, "customers", scale.DefaultCustomers, "the hub's customers, ordered for in turn (a hub orders for many: a customer's own keys take its orders only)")
	flag.IntVar(&o.run.Concurrency, "concurrency", scale.DefaultConcurrency, "orders in flight")
	flag.IntVar(&o.run.Warm, "warm", 0, "how many of the last orders and approves count as warm (0: a quarter of -orders)")
	flag.DurationVar(&o.run.Quiet, "quiet", 3*time.Second, "the pipeline has drained when no function called DynamoDB for this long")
	flag.IntVar(&o.run.ReadsH, "reads", scale.DefaultReadsH, "the read-path model's H: seed the tenant to H and 10·H orders (and usage files) and hold what list pages and jobs cost at each, and at the stated limits, to the targets (0: skip it)")
	flag.IntVar(&o.run.CatalogH, "catalog-h", scale.DefaultCatalogH, "the catalog units (marketplace, product, listing request, listing) behind the catalog lists at H (0: -reads)")
	flag.IntVar(&o.run.RecoveryH, "recovery-h", scale.DefaultRecoveryH, "the failed deliveries behind the recovered webhook at H (0: -reads)")
	flag.IntVar(&o.run.RenewalH, "renewal-h", scale.DefaultRenewalH, "the seeded orders whose subscriptions come due for renewal in the renewal run's window at H (0: none)")
	flag.Float64Var(&o.run.Rules.TxIndexFactor, "tx-index-factor", 1, "multiplier of the index writes of a transactional write (1: DynamoDB's documented rule, see README)")
	flag.Float64Var(&o.targets.Ceiling, "target-ceiling", o.targets.Ceiling, "orders/s the ceiling must reach")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(2)
	}
	rep.Print(os.Stdout, o.top, o.explain)
	if rep.Reads != nil {
		rep.Reads.Print(os.Stdout)
		fmt.Println()
		fmt.Println(rep.Reads.Summary())
	}
	fmt.Println(rep.Summary(o.targets))
	misses := rep.Misses(o.targets)
	if o.writeReportOnly {
		misses = nil
		if rep.Reads != nil {
			misses = rep.Reads.Misses(o.targets)
		}
	}
	if len(misses) > 0 && !o.reportOnly {
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) (scale.Report, error) {
	start := time.Now()
	endpoint := os.Getenv("AWS_ENDPOINT_URL")
	if endpoint == "" {
		srv, err := moto.Start(ctx, moto.Options{LogWriter: io.Discard, Env: []string{"S3_UPLOAD_PART_MIN_SIZE=" + strconv.Itoa(scale.ExportPart)}})
		if err != nil {
			return scale.Report{}, fmt.Errorf("start moto_server: %w", err)
		}
		defer func() {
			if err := srv.Stop(); err != nil {
				fmt.Fprintln(os.Stderr, "scale: stop moto_server:", err)
			}
		}()
		endpoint = srv.Endpoint()
	}
	awsCfg, err := moto.AWSConfig(ctx, endpoint)
	if err != nil {
		return scale.Report{}, err
	}
	tpl, err := stack.ParseTemplateFile(o.template)
	if err != nil {
		return scale.Report{}, err
	}
	// Retries a second apart: a delivery that fails is retried within the
	// run, as it would be within minutes in AWS.
	st, err := stack.Deploy(ctx, awsCfg, tpl, fmt.Sprintf("mercato-scale-%x", ident.Bytes(4)), map[string]string{"WebhookRetrySchedule": "1s,2s,4s"})
	if err != nil {
		return scale.Report{}, fmt.Errorf("deploy %s to the emulator: %w", o.template, err)
	}
	env, err := st.FunctionEnv(ctx, "ApiFunction")
	if err != nil {
		return scale.Report{}, err
	}
	env["MERCATO_ENV"], env["MERCATO_ALLOW_HTTP_LOOPBACK"] = "local", "true"
	// Parts and pages the model's tenant fills at H: its units are full at
	// both sizes, and the limits table scales them to the production ones.
	env["MERCATO_EXPORT_PART_BYTES"] = strconv.Itoa(scale.ExportPart)
	env["MERCATO_RENEWAL_PAGE"], env["MERCATO_RECOVERY_PAGE"] = strconv.Itoa(scale.RenewalPage), strconv.Itoa(scale.RecoveryPage)
	cfg, err := config.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		return scale.Report{}, err
	}
	o.run.AWS, o.run.Stack, o.run.App = awsCfg, st, cfg
	o.run.Log = logging.New(os.Stderr, slog.LevelError)
	o.run.Progress = os.Stderr
	rep, err := scale.Run(ctx, o.run)
	if err == nil {
		fmt.Fprintf(os.Stderr, "scale: run took %s\n", time.Since(start).Round(time.Second))
	}
	return rep, err
}
