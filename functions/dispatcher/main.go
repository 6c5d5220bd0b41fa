// Command dispatcher consumes the webhook queue and delivers signed events
// to the endpoints accounts registered.
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
		fmt.Fprintln(os.Stderr, "dispatcher:", err)
		os.Exit(1)
	}
	lambda.Start(a.Dispatcher().Handle)
}
