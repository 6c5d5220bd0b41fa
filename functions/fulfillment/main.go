// Command fulfillment is the fulfillment worker: it consumes request, asset
// and order events from its SQS queue, and runs the daily renewal schedule.
package main

import "github.com/mercato-dev/mercato/internal/app"

func main() { app.Start(app.FulfillmentFunction) }
