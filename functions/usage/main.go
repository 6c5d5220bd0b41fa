// Command usage consumes the S3 notifications of uploaded usage files and
// validates the files.
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
		fmt.Fprintln(os.Stderr, "usage:", err)
		os.Exit(1)
	}
	lambda.Start(a.Usage())
}
