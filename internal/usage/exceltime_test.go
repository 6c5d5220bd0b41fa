package usage

import (
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// TestExcelTime_AsExcelize compares the serial-date conversion with
// excelize's, which the parser used before, across the dates and times of
// the serials usage files carry.
func TestExcelTime_AsExcelize(t *testing.T) {
	serials := []float64{61, 62, 366.25, 25569, 43831.5, 46327, 46327.000011574, 46327.99998, 46327.4166666667, 46357.75, 73050.123456}
	for _, s := range serials {
		want, err := excelize.ExcelDateToTime(s, false)
		if err != nil {
			t.Fatal(err)
		}
		if got := excelTime(s); !got.Equal(want.UTC().Round(time.Second)) {
			t.Errorf("excelTime(%v) = %s, excelize %s", s, got, want.UTC().Round(time.Second))
		}
	}
	if got, want := excelTime(46327.5), time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("excelTime(46327.5) = %s, want %s", got, want)
	}
}
