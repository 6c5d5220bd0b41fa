// Command admin runs the runbook's steps that take more than one AWS call
// (README, "Runbook"), with the platform's own code:
//
//	admin revoke-token                   revoke the token whose value is on stdin (a leaked one)
//	admin disable-account -account ID    revoke every token of an account
//	admin issue-token -account ID -name  give an account a new token (enable it again)
//
// Against AWS it takes TABLE_NAME (the stack's TableName output) and the
// usual AWS credentials from the environment; with -env-file (what
// `make run` writes) it works on the local stack.
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

	"github.com/mercato-dev/mercato/infra/localenv"
	"github.com/mercato-dev/mercato/infra/moto"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/config"
	"github.com/mercato-dev/mercato/internal/logging"
)

const usage = `usage: admin [-env-file FILE] <command> [flags]
  revoke-token                        revoke the token whose value is read from stdin
  disable-account -account ID         revoke every token of the account
  issue-token -account ID [-name N]   issue the account a new token (shown once)`

func main() {
	envFile := flag.String("env-file", "", "the local stack's environment (bin/local.env, written by make run); empty: the process environment and AWS")
	flag.Usage = func() { fmt.Fprintln(os.Stderr, usage) }
	flag.Parse()
	ctx := context.Background()
	a, err := boot(ctx, *envFile)
	if err == nil {
		err = run(ctx, a, flag.Args(), os.Stdin, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "admin:", err)
		os.Exit(1)
	}
}

// boot builds the app from the local stack's file, or from the environment
// as a function would.
func boot(ctx context.Context, envFile string) (*app.App, error) {
	getenv := os.Getenv
	var awsCfg aws.Config
	var err error
	if envFile != "" {
		vars, err := localenv.Read(envFile)
		if err != nil {
			return nil, err
		}
		getenv = func(k string) string { return vars[k] }
		awsCfg, err = moto.AWSConfig(ctx, vars["AWS_ENDPOINT_URL"])
		if err != nil {
			return nil, err
		}
	} else if awsCfg, err = awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRetryer(app.Retryer)); err != nil {
		return nil, err
	}
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return nil, err
	}
	return app.New(cfg, awsCfg, logging.New(os.Stderr, slog.LevelWarn), app.Options{}), nil
}

// run runs one command; what it did is written to out as JSON.
func run(ctx context.Context, a *app.App, args []string, in io.Reader, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
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
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(result)
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
