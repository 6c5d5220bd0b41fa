// Command hello is the baseline of the cold-start benchmark: the smallest
// aws-lambda-go function, built exactly like the platform's functions.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context, json.RawMessage) (string, error) { return "hello", nil })
}
