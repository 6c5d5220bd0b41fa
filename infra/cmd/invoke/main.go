// Command invoke is `make invoke`: it runs one function's handler on a
// sample event against the local stack, the way `sam local invoke` does,
// and prints the handler's response. The stack is the one `make run` wrote
// to .mercato/local.env.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/mercato-dev/mercato/infra/localenv"
	"github.com/mercato-dev/mercato/infra/moto"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/config"
	"github.com/mercato-dev/mercato/internal/ident"
	"github.com/mercato-dev/mercato/internal/logging"
)

func main() {
	fn := flag.String("fn", "", "function: "+strings.Join(app.Functions(), ", "))
	eventPath := flag.String("event", "", "sample event file, such as events/relay.json")
	envFile := flag.String("env-file", localenv.DefaultPath, "the local stack's environment, written by `make run`")
	flag.Parse()
	if err := run(context.Background(), *fn, *eventPath, *envFile, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "invoke:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, fn, eventPath, envFile string, out io.Writer) error {
	raw, err := os.ReadFile(eventPath)
	if err != nil {
		return err
	}
	if !json.Valid(raw) {
		return fmt.Errorf("%s is not JSON", eventPath)
	}
	vars, err := localenv.Read(envFile)
	if err != nil {
		return err
	}
	cfg, err := config.FromEnv(func(k string) string { return vars[k] })
	if err != nil {
		return err
	}
	awsCfg, err := moto.AWSConfig(ctx, vars["AWS_ENDPOINT_URL"])
	if err != nil {
		return err
	}
	a := app.New(cfg, awsCfg, logging.New(os.Stderr, cfg.LogLevel), app.Options{})
	h, err := a.LambdaHandler(fn)
	if err != nil {
		return err
	}
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       "invoke-" + ident.Secret(8),
		InvokedFunctionArn: "arn:aws:lambda:" + awsCfg.Region + ":123456789012:function:" + app.LogicalID(fn),
	})
	resp, err := h(ctx, raw)
	if err != nil {
		return fmt.Errorf("%s returned an error: %w", fn, err)
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(resp)
}
