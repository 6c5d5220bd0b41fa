// Command bootstrap creates the first admin account of a deployed stack and
// prints a token for it, once. Run it with AWS credentials that may write
// the table: go run ./infra/cmd/bootstrap -table <TableName output>.
// Running it again reuses the admin and mints a new token.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/config"
	"github.com/mercato-dev/mercato/internal/logging"
)

func main() {
	table := flag.String("table", os.Getenv("TABLE_NAME"), "the stack's DynamoDB table (the TableName output)")
	name := flag.String("name", "Mercato Admin", "the admin account's name")
	flag.Parse()
	if err := run(context.Background(), *table, *name); err != nil {
		fmt.Fprintln(os.Stderr, "bootstrap:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, table, name string) error {
	if table == "" {
		return fmt.Errorf("-table is required")
	}
	cfg, err := config.FromEnv(func(k string) string {
		if k == "TABLE_NAME" {
			return table
		}
		return os.Getenv(k)
	})
	if err != nil {
		return err
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	a := app.New(cfg, awsCfg, logging.New(os.Stderr, cfg.LogLevel), app.Options{Now: time.Now})
	c, err := a.Accounts.Ensure(ctx, "admin", account.CreateAccountInput{Type: account.Admin, Name: name})
	if err != nil {
		return err
	}
	fmt.Printf("admin %s (%s)\ntoken %s\n(shown once: store it in your secret manager)\n", c.ID, c.Name, c.Token.Value)
	return nil
}
