package billing

import (
	"github.com/shopspring/decimal"
	"golang.org/x/text/currency"
)

// scale is how many decimal places an amount in code keeps: ISO 4217's
// minor units (2 for USD, 0 for JPY), 2 for a code it does not know.
func scale(code string) int32 {
	unit, err := currency.ParseISO(code)
	if err != nil {
		return 2
	}
	s, _ := currency.Standard.Rounding(unit)
	return int32(s)
}

// round rounds an amount half away from zero to the currency's minor unit.
// Each line is rounded once and totals add rounded lines, so an invoice
// always equals the sum of its lines.
func round(d decimal.Decimal, code string) decimal.Decimal { return d.Round(scale(code)) }

// Fixed renders an amount with exactly the currency's decimals.
func Fixed(d interface{ StringFixed(int32) string }, code string) string {
	return d.StringFixed(scale(code))
}

// Zero is no money.
var Zero = decimal.Zero
