// Command billing rates usage and subscriptions and closes billing periods into
// invoices, on accepted usage files from its queue and on a daily schedule.
package main

import (
	"github.com/mercato-dev/mercato/internal/app/billingfn"
	"github.com/mercato-dev/mercato/internal/app/function"
)

func main() { function.Start("billing", billingfn.Lambda) }
