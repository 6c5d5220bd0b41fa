// Command fulfillment is the fulfillment worker: it consumes request, asset
// and order events from its SQS queue, and runs the daily renewal schedule.
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
		fmt.Fprintln(os.Stderr, "fulfillment:", err)
		os.Exit(1)
	}
	lambda.Start(app.SQSOrSchedule(a.Fulfillment().Handle, a.Schedule("fulfillment")))
}
