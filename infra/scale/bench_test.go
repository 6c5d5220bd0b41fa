package scale_test

import (
	"context"
	"testing"
	"time"

	"github.com/mercato-dev/mercato/infra/scale"
	"github.com/mercato-dev/mercato/infra/stacktest"
)

// BenchmarkScale_Model runs the scale model as `make scale` does (12
// two-line orders) and reports its figures for `make bench`, each with
// the target it is held to as its baseline.
func BenchmarkScale_Model(b *testing.B) {
	env := stacktest.Shared(b)
	var rep scale.Report
	for b.Loop() {
		var err error
		rep, err = scale.Run(context.Background(), scale.Config{AWS: env.AWS, Stack: env.Stack, App: env.Config, Log: stacktest.Logger(b),
			Orders: scale.DefaultOrders, Lines: 2, Customers: scale.DefaultCustomers, Concurrency: scale.DefaultConcurrency, Quiet: 3 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
	}
	t := scale.DefaultTargets
	b.ReportMetric(rep.Ceiling, "ceiling-orders/s")
	b.ReportMetric(t.Ceiling, "target-orders/s")
	b.ReportMetric(rep.WarmOrder.Median, "warm-order-round-trips")
	b.ReportMetric(t.WarmOrder, "target-order-round-trips")
	b.ReportMetric(rep.WarmApprove.Median, "warm-approve-round-trips")
	b.ReportMetric(t.WarmApprove, "target-approve-round-trips")
	b.ReportMetric(rep.TotalWCU/float64(rep.Orders), "WCU/order")
}
