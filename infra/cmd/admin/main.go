// Command admin runs the runbook's steps that take more than one AWS call
// (README, "Runbook"), with the platform's own code:
//
//	admin revoke-token                   revoke the token whose value is on stdin (a leaked one)
//	admin disable-account -account ID    revoke every token of an account
//	admin issue-token -account ID -name  give an account a new token (enable it again)
//	admin replay-stream-failures         hand the stream ranges the relay gave up on to the relay again
//	admin backfill-counts                recompute the list count items from the rows
//
// Against AWS it takes the stack's outputs with -stack NAME (or TABLE_NAME
// and the queue URLs from the environment) and the usual AWS credentials;
// with -env-file (what `make run` writes) it works on the local stack.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/mercato-dev/mercato/infra/localenv"
	"github.com/mercato-dev/mercato/infra/moto"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/config"
	"github.com/mercato-dev/mercato/internal/logging"
)

const usage = `usage: admin [-env-file FILE | -stack NAME] <command> [flags]
  revoke-token                        revoke the token whose value is read from stdin
  disable-account -account ID         revoke every token of the account
  issue-token -account ID [-name N]   issue the account a new token (shown once)
  replay-stream-failures [-queue URL] [-max N] [-dry-run]
                                      replay the stream ranges in the relay's failure queue through the relay
  backfill-counts [-cursor C] [-page N] [-pages N] [-settle D] [-dry-run]
                                      set the catalog's and the usage files' list counts to what the rows hold`

func main() {
	envFile := flag.String("env-file", "", "the local stack's environment (.mercato/local.env, written by make run); empty: AWS")
	stackName := flag.String("stack", "", "the deployed stack whose outputs (TableName, the queue URLs) configure the command; empty: the process environment")
	flag.Usage = func() { fmt.Fprintln(os.Stderr, usage) }
	flag.Parse()
	ctx := context.Background()
	a, getenv, err := boot(ctx, *envFile, *stackName)
	if err == nil {
		err = run(ctx, a, getenv, flag.Args(), os.Stdin, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "admin:", err)
		os.Exit(1)
	}
}

// boot builds the app from the local stack's file, from a deployed stack's
// outputs, or from the environment as a function would. The returned
// getenv reads the same source.
func boot(ctx context.Context, envFile, stackName string) (*app.App, func(string) string, error) {
	getenv := os.Getenv
	var awsCfg aws.Config
	var err error
	if envFile != "" {
		vars, err := localenv.Read(envFile)
		if err != nil {
			return nil, nil, err
		}
		getenv = func(k string) string { return vars[k] }
		awsCfg, err = moto.AWSConfig(ctx, vars["AWS_ENDPOINT_URL"])
		if err != nil {
			return nil, nil, err
		}
	} else if awsCfg, err = awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRetryer(app.Retryer)); err != nil {
		return nil, nil, err
	}
	if stackName != "" {
		vars, err := stackEnv(ctx, cloudformation.NewFromConfig(awsCfg), stackName)
		if err != nil {
			return nil, nil, err
		}
		getenv = overlay(vars, getenv)
	}
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return nil, nil, err
	}
	return app.New(cfg, awsCfg, logging.New(os.Stderr, slog.LevelWarn), app.Options{}), getenv, nil
}

// outputEnv maps the stack's outputs to the environment variables the
// functions (and the replay's -queue) read.
var outputEnv = map[string]string{
	"TableName":            "TABLE_NAME",
	"FulfillmentQueueUrl":  "FULFILLMENT_QUEUE_URL",
	"WebhookQueueUrl":      "WEBHOOK_QUEUE_URL",
	"BillingQueueUrl":      "BILLING_QUEUE_URL",
	"UsageBucketName":      "USAGE_BUCKET",
	"RelayFailureQueueUrl": "RELAY_FAILURE_QUEUE_URL",
}

// stackEnv reads a deployed stack's outputs, with one DescribeStacks, as
// the environment variables of outputEnv.
func stackEnv(ctx context.Context, cfn *cloudformation.Client, name string) (map[string]string, error) {
	out, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("stack %s: %w", name, err)
	}
	if len(out.Stacks) == 0 {
		return nil, fmt.Errorf("stack %s: not found", name)
	}
	vars := map[string]string{}
	for _, o := range out.Stacks[0].Outputs {
		if k := outputEnv[aws.ToString(o.OutputKey)]; k != "" {
			vars[k] = aws.ToString(o.OutputValue)
		}
	}
	return vars, nil
}

// overlay reads vars first, then getenv.
func overlay(vars map[string]string, getenv func(string) string) func(string) string {
	return func(k string) string {
		if v, ok := vars[k]; ok {
			return v
		}
		return getenv(k)
	}
}

// run runs one command; what it did is written to out as JSON. getenv
// gives the defaults of flags that name the stack's resources.
func run(ctx context.Context, a *app.App, getenv func(string) string, args []string, in io.Reader, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "replay-stream-failures":
		report, err := replayStreamFailures(ctx, a, getenv, args[1:])
		if err == nil {
			err = printJSON(out, report)
		}
		if err == nil && report.Left > 0 {
			err = fmt.Errorf("%d of the messages were left in the failure queue (see \"error\" above)", report.Left)
		}
		return err
	case "backfill-counts":
		return backfillCounts(ctx, a, args[1:], out)
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	id := fs.String("account", "", "account id")
	name := fs.String("name", "issued by an administrator", "name of the new token")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	var result any
	var err error
	switch args[0] {
	case "revoke-token":
		// The value comes on stdin, never as an argument: arguments end up
		// in shell history and process lists.
		var value string
		if value, err = firstLine(in); err == nil {
			result, err = a.Accounts.RevokeValue(ctx, value)
		}
	case "disable-account":
		if *id == "" {
			return errors.New("disable-account needs -account")
		}
		result, err = a.Accounts.RevokeAll(ctx, *id)
	case "issue-token":
		if *id == "" {
			return errors.New("issue-token needs -account")
		}
		result, err = a.Accounts.IssueToken(ctx, *id, *name)
	default:
		return fmt.Errorf("unknown command %q\n%s", args[0], usage)
	}
	if err != nil {
		return err
	}
	return printJSON(out, result)
}

func printJSON(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func firstLine(in io.Reader) (string, error) {
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	value := strings.TrimSpace(line)
	if value == "" {
		return "", errors.New("no token value on stdin")
	}
	return value, nil
}
