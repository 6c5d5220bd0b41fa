// Command billing rates usage and subscriptions and closes billing periods into
// invoices, on accepted usage files from its queue and on a daily schedule.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/mercato-dev/mercato/internal/app"
)

func main() {
	a, err := app.Boot(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "billing:", err)
		os.Exit(1)
	}
	lambda.Start(app.SQSOrSchedule(a.Billing().Handle, a.Schedule("billing")))
}
