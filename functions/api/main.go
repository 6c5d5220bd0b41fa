// Command api is the API Gateway HTTP API function: the platform's HTTP
// handler behind aws-lambda-go-api-proxy.
package main

import (
	"github.com/mercato-dev/mercato/internal/app/apifn"
	"github.com/mercato-dev/mercato/internal/app/function"
)

func main() { function.Start("api", apifn.Lambda) }
