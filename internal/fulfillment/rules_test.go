package fulfillment

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/fault"
)

// labVersion is a published product like the Connect lab's: an ordering
// parameter, a required email and an optional dropdown filled during
// fulfillment, and fulfillment and inquire templates.
func labVersion() catalog.Version {
	return catalog.Version{
		Version: 1,
		Product: catalog.Product{ID: "PRD-111-222-333", Name: "Web Conference"},
		Parameters: []catalog.Parameter{
			{ID: "PRM-1", Name: "param_tenant", Title: "Tenant", Type: catalog.ParamSubdomain, Scope: catalog.ScopeAsset, Phase: catalog.PhaseOrdering, Constraints: catalog.Constraints{Required: true}},
			{ID: "PRM-2", Name: "param_admin_email", Title: "Administrator email", Type: catalog.ParamEmail, Scope: catalog.ScopeAsset, Phase: catalog.PhaseFulfillment, Constraints: catalog.Constraints{Required: true}},
			{ID: "PRM-3", Name: "param_region", Title: "Region", Type: catalog.ParamDropdown, Scope: catalog.ScopeAsset, Phase: catalog.PhaseFulfillment,
				Constraints: catalog.Constraints{Choices: []catalog.Choice{{Value: "eu"}, {Value: "us"}}}},
			{ID: "PRM-4", Name: "param_t1", Title: "Reseller id", Type: catalog.ParamText, Scope: catalog.ScopeTier1, Phase: catalog.PhaseFulfillment, Constraints: catalog.Constraints{Required: true}},
		},
		Templates: []catalog.Template{
			{ID: "TL-1", Scope: catalog.ScopeAsset, Type: catalog.TemplateFulfillment, Title: "Activation", Body: "Admin **{{ param_admin_email }}** of {{ asset.id }} ({{ customer.name }}) by {{ request.id }}"},
			{ID: "TL-2", Scope: catalog.ScopeAsset, Type: catalog.TemplateInquire, Title: "Need info", Body: "Fix {{ param_tenant }}"},
			{ID: "TL-3", Scope: catalog.ScopeTier1, Type: catalog.TemplateFulfillment, Title: "Tier", Body: "t1"},
		},
	}
}

func labRequest(values map[string]string) Request {
	a := Asset{ID: "AS-1000-2000-3000", Status: AssetProcessing, Product: Ref{ID: "PRD-111-222-333", Name: "Web Conference"},
		Tiers: Tiers{Customer: TierAccount{Name: "Contoso"}}}
	for _, p := range labVersion().Parameters {
		if p.Scope == catalog.ScopeAsset {
			a.Params = append(a.Params, AssetParam{ID: p.ID, Name: p.Name, Type: p.Type, Phase: p.Phase, Value: values[p.Name]})
		}
	}
	return Request{ID: RequestID(a.ID, 1), Type: TypePurchase, Status: StatusPending, Asset: a}
}

func messages(err error) string {
	if fe, ok := fault.As(err); ok {
		return strings.Join(fe.Messages, " | ")
	}
	return ""
}

func TestApprovable_Preconditions(t *testing.T) {
	complete := map[string]string{"param_tenant": "contoso", "param_admin_email": "admin@contoso.example"}
	tests := []struct {
		name     string
		values   map[string]string
		template string
		wantErr  []string // fragments; none means approvable
	}{
		{name: "complete", values: complete, template: "TL-1"},
		{name: "no template", values: complete, template: "", wantErr: []string{"template_id is required"}},
		{name: "unknown template", values: complete, template: "TL-999", wantErr: []string{"TL-999 is not a template of product PRD-111-222-333"}},
		{name: "inquire template", values: complete, template: "TL-2", wantErr: []string{"needs an asset fulfillment template"}},
		{name: "tier template", values: complete, template: "TL-3", wantErr: []string{"tier1 fulfillment template"}},
		{name: "missing required fulfillment value", values: map[string]string{"param_tenant": "contoso"}, template: "TL-1",
			wantErr: []string{"required fulfillment parameters have no value: param_admin_email (Administrator email)"}},
		{name: "invalid email", values: map[string]string{"param_tenant": "contoso", "param_admin_email": "not-an-email"}, template: "TL-1",
			wantErr: []string{`parameter param_admin_email: "not-an-email" is not an email address`}},
		{name: "dropdown not a choice", values: map[string]string{"param_tenant": "contoso", "param_admin_email": "a@b.co", "param_region": "mars"}, template: "TL-1",
			wantErr: []string{`"mars" is not one of the parameter's choices`}},
		{name: "all problems at once", values: map[string]string{"param_tenant": "Not A Label", "param_region": "mars"}, template: "TL-1",
			wantErr: []string{"param_admin_email (Administrator email)", "not a subdomain label", "not one of the parameter's choices"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := approvable(labVersion(), labRequest(tt.values), tt.template)
			if len(tt.wantErr) == 0 {
				if err != nil || got.ID != tt.template {
					t.Fatalf("approvable = %v, %v; want template %s", got.ID, err, tt.template)
				}
				return
			}
			if !fault.Is(err, fault.Invalid) {
				t.Fatalf("approvable error = %v, want a 400 rule error", err)
			}
			for _, frag := range tt.wantErr {
				if !strings.Contains(messages(err), frag) {
					t.Errorf("errors %q lack %q", messages(err), frag)
				}
			}
		})
	}
}

func TestInquirable_NeedsAValueError(t *testing.T) {
	r := labRequest(nil)
	if err := inquirable(r); !fault.Is(err, fault.Invalid) || !strings.Contains(err.Error(), "value_error on at least one parameter") {
		t.Errorf("inquirable without value_error = %v", err)
	}
	r.Asset.Params[0].ValueError = "tenant taken"
	if err := inquirable(r); err != nil {
		t.Errorf("inquirable with a value_error = %v", err)
	}
}

func TestFailable_Reason(t *testing.T) {
	tests := []struct {
		name, reason, want, wantErr string
	}{
		{name: "given", reason: "  out of stock ", want: "out of stock"},
		{name: "empty", reason: "", wantErr: "reason is required"},
		{name: "blank", reason: " \n", wantErr: "reason is required"},
		{name: "too long", reason: strings.Repeat("x", maxReason+1), wantErr: "at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := failable(FailInput{Reason: tt.reason})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("failable = %q, %v; want %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("failable = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestSettle_AssetEffects is the table: what each request type
// does to its asset when it is approved or failed.
func TestSettle_AssetEffects(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	end := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	base := StoredAsset{Asset: Asset{ID: "AS-1", Status: AssetActive,
		Items:        []AssetItem{{ID: "I-1", Quantity: "5"}},
		Params:       []AssetParam{{Name: "p", Value: "old"}},
		Subscription: Subscription{TermDuration: catalog.TermMonth, AutoRenew: true, CommitmentEnd: end}}, Rev: 3}
	type outcome struct {
		Status      string
		Quantity    string
		Param       string
		Activated   bool
		AutoRenew   bool
		End         time.Time
		LastApprove string
	}
	tests := []struct {
		typ, status string
		start       string
		want        outcome
	}{
		{TypePurchase, StatusApproved, AssetProcessing, outcome{AssetActive, "7", "new", true, true, end, "PR-1-002"}},
		{TypePurchase, StatusFailed, AssetProcessing, outcome{AssetTerminated, "5", "old", false, true, end, ""}},
		{TypeChange, StatusApproved, AssetActive, outcome{AssetActive, "7", "new", false, true, end, "PR-1-002"}},
		{TypeChange, StatusFailed, AssetActive, outcome{AssetActive, "5", "old", false, true, end, ""}},
		{TypeSuspend, StatusApproved, AssetActive, outcome{AssetSuspended, "5", "new", false, true, end, "PR-1-002"}},
		{TypeSuspend, StatusFailed, AssetActive, outcome{AssetActive, "5", "old", false, true, end, ""}},
		{TypeResume, StatusApproved, AssetSuspended, outcome{AssetActive, "5", "new", false, true, end, "PR-1-002"}},
		{TypeResume, StatusFailed, AssetSuspended, outcome{AssetSuspended, "5", "old", false, true, end, ""}},
		{TypeCancel, StatusApproved, AssetActive, outcome{AssetTerminated, "5", "new", false, true, end, "PR-1-002"}},
		{TypeCancel, StatusFailed, AssetActive, outcome{AssetActive, "5", "old", false, true, end, ""}},
		{TypeRenew, StatusApproved, AssetActive, outcome{AssetActive, "5", "new", false, true, end.AddDate(0, 1, 0), "PR-1-002"}},
		{TypeRenew, StatusFailed, AssetActive, outcome{AssetActive, "5", "old", false, false, end, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.typ+"/"+tt.status, func(t *testing.T) {
			a := base
			a.Status = tt.start
			a.PendingRequest = &Ref{ID: "PR-1-002", Name: tt.typ}
			r := Request{ID: "PR-1-002", Type: tt.typ, Status: tt.status, Asset: a.Asset}
			r.Asset.Params = []AssetParam{{Name: "p", Value: "new"}}
			if tt.typ == TypeChange || tt.typ == TypePurchase {
				r.Asset.Items = []AssetItem{{ID: "I-1", Quantity: "7", OldQuantity: "5"}}
			}
			got := settle(r, a, now)
			out := outcome{got.Status, got.Items[0].Quantity, got.Params[0].Value, got.ActivatedAt != nil,
				got.Subscription.AutoRenew, got.Subscription.CommitmentEnd, got.LastApproved}
			if diff := cmp.Diff(tt.want, out); diff != "" {
				t.Errorf("asset after %s %s (-want +got):\n%s", tt.typ, tt.status, diff)
			}
			if got.PendingRequest != nil || got.Items[0].OldQuantity != "" || !got.Updated.Equal(now) {
				t.Errorf("pending %v, old quantity %q, updated %v: the request must be closed on the asset", got.PendingRequest, got.Items[0].OldQuantity, got.Updated)
			}
			if got.Rev != base.Rev {
				t.Errorf("rev = %d: settle must not bump it (the write does)", got.Rev)
			}
		})
	}
}

func TestRenewed_Terms(t *testing.T) {
	now := time.Date(2026, 1, 25, 0, 0, 0, 0, time.UTC)
	end := time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		term string
		want time.Time
	}{
		{catalog.TermMonth, time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)}, // Go's AddDate normalises Feb 31
		{catalog.TermYear, time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)},
		{"", end},
	}
	for _, tt := range tests {
		t.Run("term "+tt.term, func(t *testing.T) {
			got := renewed(Subscription{TermDuration: tt.term, CommitmentEnd: end}, now)
			if !got.CommitmentEnd.Equal(tt.want) || !got.CancellationAllowedUntil.Equal(now.Add(7*24*time.Hour)) {
				t.Errorf("renewed = end %v, cancel until %v; want end %v", got.CommitmentEnd, got.CancellationAllowedUntil, tt.want)
			}
		})
	}
}

func TestApplyUpdate_VendorAndProvider(t *testing.T) {
	tests := []struct {
		name       string
		in         UpdateInput
		byProvider bool
		wantErr    []string
		check      func(t *testing.T, r Request)
	}{
		{name: "vendor sets note, value and value_error", in: UpdateInput{Note: ptr("checked"), Params: []ParamInput{
			{ID: "param_admin_email", Value: ptr("a@b.co")}, {ID: "PRM-1", ValueError: ptr("tenant taken")}}},
			check: func(t *testing.T, r Request) {
				if r.Note != "checked" || paramValue(r.Asset, "param_admin_email") != "a@b.co" || r.Asset.Params[0].ValueError != "tenant taken" {
					t.Errorf("request = %+v", r)
				}
			}},
		{name: "vendor value of the wrong type", in: UpdateInput{Params: []ParamInput{{ID: "param_admin_email", Value: ptr("nope")}}},
			wantErr: []string{"not an email address"}},
		{name: "unknown parameter", in: UpdateInput{Params: []ParamInput{{ID: "param_nope", Value: ptr("x")}}},
			wantErr: []string{`has no parameter "param_nope"`}},
		{name: "neither value nor value_error", in: UpdateInput{Params: []ParamInput{{ID: "param_tenant"}}},
			wantErr: []string{"give value or value_error"}},
		{name: "required ordering value emptied", in: UpdateInput{Params: []ParamInput{{ID: "param_tenant", Value: ptr("")}}},
			wantErr: []string{"param_tenant is required and cannot be emptied"}},
		{name: "provider answers an ordering parameter", byProvider: true, in: UpdateInput{Params: []ParamInput{{ID: "param_tenant", Value: ptr("fabrikam")}}},
			check: func(t *testing.T, r Request) {
				if p, _ := r.Asset.Param("param_tenant"); p.Value != "fabrikam" || p.ValueError != "" {
					t.Errorf("tenant = %+v, want the answer with its value_error cleared", p)
				}
			}},
		{name: "provider may not touch the rest", byProvider: true, in: UpdateInput{Note: ptr("hi"), Params: []ParamInput{
			{ID: "param_admin_email", Value: ptr("a@b.co")}, {ID: "param_tenant", ValueError: ptr("x")}}},
			wantErr: []string{"note is the vendor's", "param_admin_email is a fulfillment parameter", "value_error is the vendor's"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := labRequest(map[string]string{"param_tenant": "contoso"})
			r.Asset.Params[0].ValueError = "taken"
			got, err := applyUpdate(labVersion(), r, tt.in, tt.byProvider)
			if len(tt.wantErr) > 0 {
				for _, frag := range tt.wantErr {
					if !strings.Contains(messages(err), frag) {
						t.Errorf("errors %q lack %q", messages(err), frag)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("applyUpdate: %v", err)
			}
			tt.check(t, got)
			if r.Asset.Params[0].Value != "contoso" {
				t.Error("applyUpdate changed the request it was given")
			}
		})
	}
}

func ptr(s string) *string { return &s }
