// Command api is the API Gateway HTTP API function: the platform's HTTP
// handler behind aws-lambda-go-api-proxy.
package main

import "github.com/mercato-dev/mercato/internal/app"

func main() { app.Start(app.APIFunction) }
