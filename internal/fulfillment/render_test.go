package fulfillment

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRenderTemplate_BuiltinsAndParams(t *testing.T) {
	v := labVersion()
	r := labRequest(map[string]string{"param_admin_email": "admin@contoso.example"})
	tpl, _ := v.Template("TL-1")
	got := renderTemplate(tpl, r)
	want := "Admin **admin@contoso.example** of AS-1000-2000-3000 (Contoso) by PR-1000-2000-3000-001"
	if got != want {
		t.Errorf("render = %q, want %q", got, want)
	}
}

func TestPurchaseStatusMail_TheFieldsOf000(t *testing.T) {
	r := Request{ID: "PR-1416-4159-6557-001", Type: TypePurchase, Status: StatusApproved,
		Created: time.Date(2020, 6, 25, 8, 3, 0, 0, time.UTC), Updated: time.Date(2020, 6, 26, 18, 1, 0, 0, time.UTC),
		Asset: Asset{ID: "AS-1416-4159-6557", Vendor: Ref{ID: "VA-1", Name: "Front Street Inc."},
			Product: Ref{ID: "PRD-013-767-828", Name: "Apollo Pulse"}}}
	got := purchaseStatusMail(r, "hub@apollo.example", "http://127.0.0.1:8080/public/v1/requests/PR-1416-4159-6557-001")
	want := Mail{To: []string{"hub@apollo.example"}, Subject: "PurchaseStatus: Approved PR-1416-4159-6557-001", Text: `PurchaseStatus: Approved
ID: PR-1416-4159-6557-001
Asset ID: AS-1416-4159-6557
Vendor: Front Street Inc.
Product: Apollo Pulse (PRD-013-767-828)
Created: 6/25/20, 8:03 AM UTC
Completed: 6/26/20, 6:01 PM UTC

View the request: http://127.0.0.1:8080/public/v1/requests/PR-1416-4159-6557-001
`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mail (-want +got):\n%s", diff)
	}
	r.Status, r.Reason = StatusFailed, "out of licences"
	failed := purchaseStatusMail(r, "hub@apollo.example", "")
	if !strings.HasPrefix(failed.Text, "PurchaseStatus: Failed\n") || !strings.Contains(failed.Text, "Reason: out of licences\n") || strings.Contains(failed.Text, "View") {
		t.Errorf("failed mail = %q", failed.Text)
	}
}
