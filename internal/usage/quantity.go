package usage

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// quantity is a non-negative decimal with at most decimals places, held as
// an integer count of 10^-decimals when it fits (the common case, which
// costs no allocation), or as a decimal when it does not.
type quantity struct {
	scaled   int64
	decimals int
	big      *decimal.Decimal
}

var errPrecision = errors.New("has more decimals than the item's precision")

// parseQuantity reads a quantity with at most decimals decimal places.
// Trailing zeros past the precision are fine (1.50 for decimal(1)).
func parseQuantity(s string, decimals int) (quantity, error) {
	if q, ok, err := fastQuantity(s, decimals); ok || err != nil {
		return q, err
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return quantity{}, fmt.Errorf("%q is not a decimal number", s)
	}
	if d.Sign() < 0 || strings.HasPrefix(s, "-") {
		// -0 too: the fast path refuses every signed quantity, and the
		// slow path must agree (found by FuzzParseQuantity).
		return quantity{}, fmt.Errorf("%s is negative", s)
	}
	if !d.Equal(d.Round(int32(decimals))) {
		return quantity{}, errPrecision
	}
	shifted := d.Shift(int32(decimals))
	if shifted.LessThan(decimal.NewFromInt(math.MaxInt64 / 2)) {
		return quantity{scaled: shifted.IntPart(), decimals: decimals}, nil
	}
	return quantity{decimals: decimals, big: &d}, nil
}

// fastQuantity handles plain digits with an optional fraction, which is
// what every template produces. ok is false when s needs the slow path
// (an exponent, a sign, very many digits).
func fastQuantity(s string, decimals int) (quantity, bool, error) {
	intPart, frac, hasDot := strings.Cut(s, ".")
	if len(intPart)+decimals > 17 || (intPart == "" && frac == "") || (hasDot && frac == "" && intPart == "") {
		return quantity{}, false, nil
	}
	var v int64
	for i := 0; i < len(intPart); i++ {
		c := intPart[i]
		if c < '0' || c > '9' {
			if c == '-' && i == 0 {
				return quantity{}, true, fmt.Errorf("%s is negative", s)
			}
			return quantity{}, false, nil
		}
		v = v*10 + int64(c-'0')
	}
	// Only plain digits take the fast path: ".1E1" is 1, and judging its
	// precision digit by digit would refuse it (found by FuzzParseQuantity).
	if strings.IndexFunc(frac, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return quantity{}, false, nil
	}
	for i := 0; i < len(frac); i++ {
		c := frac[i]
		if i >= decimals {
			if c != '0' {
				return quantity{}, true, errPrecision
			}
			continue
		}
		v = v*10 + int64(c-'0')
	}
	for i := len(frac); i < decimals; i++ {
		v *= 10
	}
	return quantity{scaled: v, decimals: decimals}, true, nil
}

// String is the canonical text of q: no trailing zeros.
func (q quantity) String() string {
	if q.big != nil {
		return q.big.String()
	}
	return formatScaled(q.scaled, q.decimals)
}

// formatScaled renders v × 10^-decimals without trailing zeros.
func formatScaled(v int64, decimals int) string {
	s := strconv.FormatInt(v, 10)
	if decimals == 0 {
		return s
	}
	if len(s) <= decimals {
		s = strings.Repeat("0", decimals-len(s)+1) + s
	}
	whole, frac := s[:len(s)-decimals], strings.TrimRight(s[len(s)-decimals:], "0")
	if frac == "" {
		return whole
	}
	return whole + "." + frac
}

// quantitySum adds quantities of one item without allocating until the
// integer sum would overflow.
type quantitySum struct {
	scaled int64
	big    decimal.Decimal
}

func (s *quantitySum) add(q quantity) {
	if q.big != nil {
		s.big = s.big.Add(*q.big)
		return
	}
	if s.scaled > math.MaxInt64-q.scaled {
		s.big = s.big.Add(decimal.New(s.scaled, -int32(q.decimals)))
		s.scaled = 0
	}
	s.scaled += q.scaled
}

// String is the total with decimals places at most.
func (s quantitySum) String(decimals int) string {
	return s.big.Add(decimal.New(s.scaled, -int32(decimals))).String()
}

// parseTime reads a UTC time: 2026-11-01 10:00:00, 2026-11-01T10:00:00Z,
// an RFC 3339 time with an offset, or a date. serials also accepts an
// Excel date serial number (an XLSX date cell read raw).
func parseTime(s string, serials bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("is required, as 2026-11-01 10:00:00 (UTC)")
	}
	if t, ok := fastTime(s); ok {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02 15:04:05.999999999", s); err == nil {
		return t, nil
	}
	if serials {
		if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 {
			return excelTime(f), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time such as 2026-11-01 10:00:00 (UTC) or 2026-11-01T10:00:00Z", s)
}

// fastTime parses YYYY-MM-DD, YYYY-MM-DD hh:mm:ss and YYYY-MM-DDThh:mm:ss
// with an optional Z, without the cost of time.Parse.
func fastTime(s string) (time.Time, bool) {
	s = strings.TrimSuffix(s, "Z")
	if len(s) != 10 && len(s) != 19 {
		return time.Time{}, false
	}
	if s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	y, ok1 := digits(s[0:4])
	mo, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 {
		return time.Time{}, false
	}
	var h, mi, sec int
	if len(s) == 19 {
		var ok4, ok5, ok6 bool
		if (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':' {
			return time.Time{}, false
		}
		h, ok4 = digits(s[11:13])
		mi, ok5 = digits(s[14:16])
		sec, ok6 = digits(s[17:19])
		if !ok4 || !ok5 || !ok6 || h > 23 || mi > 59 || sec > 59 {
			return time.Time{}, false
		}
	}
	if mo < 1 || mo > 12 || d < 1 || d > monthDays(y, mo) {
		return time.Time{}, false // 2026-02-30 and the like
	}
	return time.Unix(unixDays(y, mo, d)*86400+int64(h*3600+mi*60+sec), 0).UTC(), true
}

func monthDays(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// unixDays is the number of days from 1970-01-01 to y-m-d (Howard
// Hinnant's days_from_civil), which time.Date computes more slowly.
func unixDays(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 {
		// Floor division: January and February of year 0 count from
		// year -1, which truncation would put in the wrong era (found by
		// FuzzFastTime).
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era*146097 + doe - 719468)
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// excel1900 is day 0 of Excel's 1900 date system, counted so that serials
// from 61 (1900-03-01) on are right: Excel counts a 1900-02-29 that never
// was (serial 60).
var excel1900 = time.Date(1899, time.December, 30, 0, 0, 0, 0, time.UTC)

// excelTime converts a serial date of Excel's 1900 date system (days, with
// the time of day as the fraction) to UTC, to the second.
func excelTime(serial float64) time.Time {
	days := math.Floor(serial)
	epoch := excel1900
	if days < 61 {
		epoch = epoch.AddDate(0, 0, 1)
	}
	frac := time.Duration((serial - days) * float64(24*time.Hour))
	return epoch.AddDate(0, 0, int(days)).Add(frac).Round(time.Second)
}
