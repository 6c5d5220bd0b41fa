// Command relay is the DynamoDB stream function that publishes committed
// outbox events to their SQS queues.
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
		fmt.Fprintln(os.Stderr, "relay:", err)
		os.Exit(1)
	}
	rl, err := a.Relay()
	if err != nil {
		fmt.Fprintln(os.Stderr, "relay:", err)
		os.Exit(1)
	}
	lambda.Start(rl.Handle)
}
