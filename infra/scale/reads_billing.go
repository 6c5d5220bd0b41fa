package scale

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/dynamo"
)

// billingRunTimeout bounds how long the model waits for the billing runs
// its schedule started: a 10·H provider is tens of units in a row.
const billingRunTimeout = 30 * time.Minute

// settleBilling waits until no provider's billing run is in progress, then
// until the pipeline is quiet. A run is a chain of units, and between two
// of them the pipeline can be idle longer than drain's quiet period while
// the next unit's event crosses the stream, the relay and the queue; so
// drain alone would stop in the middle of the chain and measure part of it
// (or, at 10·H, find the pipeline never quiet for its Drain while units
// follow each other, and fail).
func settleBilling(ctx context.Context, a *app.App, rec *Recorder, cfg Config) error {
	type acct struct {
		ID string `dynamodbav:"id"`
	}
	providers, err := dynamo.QueryAll[acct](ctx, a.Table, dynamo.Partition{Index: dynamo.GSI1, PK: "ACCOUNTS#provider"})
	if err != nil {
		return fmt.Errorf("scale: list providers: %w", err)
	}
	deadline := time.Now().Add(billingRunTimeout)
	for _, p := range providers {
		for {
			busy, err := a.Biller().Store().RunInProgress(ctx, p.ID)
			if err != nil {
				return err
			}
			if !busy {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("scale: the billing run of %s did not end within %s", p.ID, billingRunTimeout)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Second):
			}
		}
	}
	return settle(ctx, rec, cfg)
}

// boundBillingClose sets what bounds a billing run's last step, its
// invoice step: it writes the period's invoices from the totals the lanes
// added to the run item, one item whatever the number of lanes (one per
// two pages of the provider's assets, more at 10·H than at H), so its
// ratio is held like any unit's.
func boundBillingClose(jobs []Measure) {
	for k := range jobs {
		if strings.Contains(jobs[k].Name, "job.billing (a run's last step)") {
			jobs[k].Bound = "the run item and an invoice a currency, whatever its lanes"
		}
	}
}
