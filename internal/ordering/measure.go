package ordering

import (
	"context"
	"errors"
	"strconv"

	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/metrics"
)

// countPlaced counts the outcome of one way of placing orders: n orders
// placed, or one refused under the error's code. The codes are the API's
// documented error codes, a closed set; an error without one is "internal".
func (s *Service) countPlaced(ctx context.Context, n int, err error) {
	if err == nil {
		s.metrics.Count(ctx, metrics.OrdersPlaced, n)
		return
	}
	s.countRefused(ctx, refusalCode(err))
}

func (s *Service) countRefused(ctx context.Context, code string) {
	s.metrics.Count(ctx, metrics.OrdersRefused, 1, metrics.Dimension{Name: "Code", Value: code})
}

func refusalCode(err error) string {
	var fe *fault.Error
	switch {
	case !errors.As(err, &fe):
		return "internal"
	case fe.Code != "":
		return fe.Code
	case fe.PartnerCode != 0:
		return strconv.Itoa(fe.PartnerCode)
	}
	return "kind-" + strconv.Itoa(int(fe.Kind)) // fault.Kind's value, for errors without a code
}
