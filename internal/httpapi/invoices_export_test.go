package httpapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/billing"
)

// TestServer_ReconciliationExport: an export over the inline limit is
// answered 202 with Retry-After while its file is written, then 303 to
// the file's presigned link. (The inline answer and the units are tested
// on the emulator: TestBilling, billing's TestExport_S3.)
func TestServer_ReconciliationExport(t *testing.T) {
	tests := []struct {
		name     string
		ans      billing.ExportAnswer
		status   int
		location string
		retry    string
	}{
		{"being written", billing.ExportAnswer{}, http.StatusAccepted, "", "10"},
		{"written", billing.ExportAnswer{URL: "https://bucket.example/exports/IN-1.csv?X-Amz-Signature=x"}, http.StatusSeeOther,
			"https://bucket.example/exports/IN-1.csv?X-Amz-Signature=x", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMockAPI(t)
			m.invoices.ExportFn = func(_ context.Context, _ account.Principal, id string) (billing.Invoice, billing.ExportAnswer, error) {
				return billing.Invoice{ID: id}, tt.ans, nil
			}
			got, rec := m.do(t, http.MethodGet, "/v1/invoices/IN-1/reconciliation.csv", "provider", "")
			if got.status != tt.status || rec.Header().Get("Location") != tt.location || got.retryAfter != tt.retry {
				t.Errorf("= %d, Location %q, Retry-After %q; want %d, %q, %q", got.status, rec.Header().Get("Location"), got.retryAfter,
					tt.status, tt.location, tt.retry)
			}
		})
	}
}
