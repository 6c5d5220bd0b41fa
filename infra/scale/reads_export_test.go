package scale

import (
	"testing"

	"github.com/mercato-dev/mercato/internal/billing"
)

// TestExportModel_Bound: an export whose file at H is larger than the
// model's part has full units at both sizes, held to the ratio and scaled
// to a 5 MB part by the parts' sizes; one that fits a part at H grows with
// the invoice and is reported, not held.
func TestExportModel_Bound(t *testing.T) {
	tests := []struct {
		name      string
		part, atH int
		wantScale float64
		wantHeld  bool
	}{
		{"several parts at H", ExportPart, 500 * 290, float64(billing.DefaultExportPartBytes) / ExportPart, true},
		{"one part at H", 0, 500 * 290, (float64(billing.DefaultExportPartBytes) / 290) / 5000, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := &exportModel{part: tt.part, lines: 5000, rowBytes: 290, bytes: [2]int{tt.atH, 5000 * 290}}
			jobs := []Measure{flat("billing batch · job.billing_export", "BillingFunction", 4), flat("billing schedule", "BillingFunction", 2)}
			ex.bound(jobs)
			if got := jobs[0].Scale; got != tt.wantScale {
				t.Errorf("scale = %g, want %g", got, tt.wantScale)
			}
			if held := jobs[0].Grows == ""; held != tt.wantHeld || jobs[0].Bound == "" {
				t.Errorf("held = %v (%q), want %v; bound %q", held, jobs[0].Grows, tt.wantHeld, jobs[0].Bound)
			}
			if jobs[1].Scale != 0 || jobs[1].Bound != "" {
				t.Errorf("another job was bound: %+v", jobs[1])
			}
		})
	}
}
