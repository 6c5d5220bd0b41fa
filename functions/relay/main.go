// Command relay is the DynamoDB stream function that publishes committed
// outbox events to their SQS queues.
package main

import (
	"github.com/mercato-dev/mercato/internal/app/function"
	"github.com/mercato-dev/mercato/internal/app/relayfn"
)

func main() { function.Start("relay", relayfn.Lambda) }
