// Package billing rates what providers owe and closes it into invoices:
// accepted usage records at their pay-per-use price, and reservation
// subscriptions per billing period at price × quantity, prorated by day.
// The rating rules are plain Go over an asset's timeline and a file's
// records; the billing function runs them per provider and period, on its
// schedule and when a usage file is accepted, and writes one invoice per
// provider, period and currency, the same however often it runs.
package billing

import (
	"fmt"
	"time"
)

// Period is a billing period: a calendar month in UTC, [Start, End).
type Period struct {
	Start time.Time
	End   time.Time
}

// PeriodOf returns the period that contains t.
func PeriodOf(t time.Time) Period {
	t = t.UTC()
	start := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	return Period{Start: start, End: start.AddDate(0, 1, 0)}
}

// ParsePeriod reads a period key, "2026-11".
func ParsePeriod(key string) (Period, error) {
	t, err := time.Parse("2006-01", key)
	if err != nil {
		return Period{}, fmt.Errorf("billing: period %q is not YYYY-MM", key)
	}
	return PeriodOf(t), nil
}

// Key is the period's name, "2026-11".
func (p Period) Key() string { return p.Start.Format("2006-01") }

// Next is the period after p.
func (p Period) Next() Period { return PeriodOf(p.End) }

// Prev is the period before p.
func (p Period) Prev() Period { return PeriodOf(p.Start.Add(-time.Hour)) }

// Days is the number of days of the period.
func (p Period) Days() int { return daysBetween(p.Start, p.End) }

// Before reports whether p ends no later than q starts.
func (p Period) Before(q Period) bool { return !p.End.After(q.Start) }

// day truncates t to its UTC day.
func day(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func daysBetween(a, b time.Time) int {
	return int(day(b).Sub(day(a)).Hours()+12) / 24
}

// yearDays is the number of days of t's calendar year.
func yearDays(t time.Time) int {
	y := t.UTC().Year()
	return daysBetween(time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC))
}
