// Command fulfillment is the fulfillment worker: it consumes request, asset
// and order events from its SQS queue, and runs the daily renewal schedule.
package main

import (
	"github.com/mercato-dev/mercato/internal/app/fulfillmentfn"
	"github.com/mercato-dev/mercato/internal/app/function"
)

func main() { function.Start("fulfillment", fulfillmentfn.Lambda) }
