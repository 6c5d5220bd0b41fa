package usage

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// FuzzParseQuantity checks the row parser's fast quantity path against
// shopspring/decimal: whatever it accepts is a non-negative decimal of the
// same value within the precision, and whatever such decimal it refuses is
// refused for a stated reason.
func FuzzParseQuantity(f *testing.F) {
	for _, s := range []string{"12.5", "0", "007", ".5", "5.", "1e3", "-1", "99999999999999999999", "1.234", "1.50", "+2", " 1"} {
		f.Add(s, uint8(2))
	}
	f.Fuzz(func(t *testing.T, s string, prec uint8) {
		d := int(prec % 9)
		q, err := parseQuantity(s, d)
		ref, rerr := decimal.NewFromString(s)
		if strings.HasPrefix(s, "-") {
			// A signed quantity is refused, even -0: usage is never
			// negative, and a sign means the file was made wrong.
			if err == nil {
				t.Fatalf("parseQuantity(%q, %d) accepted a signed quantity", s, d)
			}
			return
		}
		if err != nil {
			if rerr == nil && ref.Sign() >= 0 && ref.Equal(ref.Round(int32(d))) {
				t.Fatalf("parseQuantity(%q, %d) refused a valid quantity: %v", s, d, err)
			}
			return
		}
		if rerr != nil {
			t.Fatalf("parseQuantity(%q, %d) accepted what decimal refuses: %v", s, d, rerr)
		}
		got, perr := decimal.NewFromString(q.String())
		if perr != nil || !got.Equal(ref) || ref.Sign() < 0 {
			t.Fatalf("parseQuantity(%q, %d) = %s, want %s", s, d, q.String(), ref)
		}
	})
}

// FuzzFastTime checks the fast time path against time.Parse: every time it
// accepts, time.Parse accepts too, as the same instant.
func FuzzFastTime(f *testing.F) {
	for _, s := range []string{"2026-11-01", "2026-11-01 10:00:00", "2026-11-01T10:00:00Z", "2026-02-30", "2024-02-29T23:59:59", "0000-01-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := fastTime(s)
		if !ok {
			return
		}
		layout, v := "2006-01-02T15:04:05", strings.Replace(strings.TrimSuffix(s, "Z"), " ", "T", 1)
		if len(v) == 10 {
			layout = time.DateOnly
		}
		want, err := time.Parse(layout, v)
		if err != nil || !want.Equal(got) {
			t.Fatalf("fastTime(%q) = %v, time.Parse says %v, %v", s, got, want, err)
		}
	})
}
