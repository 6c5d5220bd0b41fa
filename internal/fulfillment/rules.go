package fulfillment

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/fault"
)

// ApproveInput is the body of POST /requests/{id}/approve.
type ApproveInput struct {
	TemplateID string `json:"template_id"`
}

// InquireInput is the optional body of POST /requests/{id}/inquire.
type InquireInput struct {
	TemplateID string `json:"template_id"`
}

// FailInput is the body of POST /requests/{id}/fail.
type FailInput struct {
	Reason string `json:"reason"`
}

// AssignInput is the optional body of POST /requests/{id}/assign: who
// works the request. Without it the request is assigned to the caller.
type AssignInput struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Limits of free text on requests.
const (
	maxReason     = 4000
	maxNote       = 4000
	maxValue      = 4000
	maxValueError = 1000
	maxAssignee   = 200
)

// cancellationWindow is how long after a renewal the subscription may be
// cancelled or reduced: Partner Center's seven days, as at purchase.
const cancellationWindow = 7 * 24 * time.Hour

// approvable checks what approving r with template templateID needs: a
// fulfillment template of the asset's product version, and a valid value in
// every required fulfillment parameter. Every problem is named at once.
func approvable(v catalog.Version, r Request, templateID string) (catalog.Template, error) {
	t, err := templateOf(v, templateID, catalog.TemplateFulfillment, "approve")
	if err != nil {
		return catalog.Template{}, err
	}
	var missing, msgs []string
	for _, p := range v.Parameters {
		if p.Scope != catalog.ScopeAsset {
			continue
		}
		val := paramValue(r.Asset, p.Name)
		if val == "" && p.Constraints.Required && p.Phase == catalog.PhaseFulfillment {
			missing = append(missing, fmt.Sprintf("%s (%s)", p.Name, p.Title))
			continue
		}
		if err := ValidValue(p, val); err != nil {
			msgs = append(msgs, err.Error())
		}
	}
	if len(missing) > 0 {
		msgs = append([]string{"required fulfillment parameters have no value: " + strings.Join(missing, ", ") +
			"; set them with PUT /public/v1/requests/" + r.ID}, msgs...)
	}
	if len(msgs) > 0 {
		return catalog.Template{}, fault.InvalidList(msgs...)
	}
	return t, nil
}

// templateOf finds a template of type typ in the version, for action.
func templateOf(v catalog.Version, id, typ, action string) (catalog.Template, error) {
	if strings.TrimSpace(id) == "" {
		return catalog.Template{}, fault.Invalidf("template_id is required to %s: the id of a %s template of product %s", action, typ, v.Product.ID)
	}
	t, ok := v.Template(id)
	if !ok {
		return catalog.Template{}, fault.Invalidf("template %s is not a template of product %s (version %d)", id, v.Product.ID, v.Version)
	}
	if t.Type != typ || (t.Scope != "" && t.Scope != catalog.ScopeAsset) {
		return catalog.Template{}, fault.Invalidf("template %s is a %s %s template; %s needs an asset %s template", id, t.Scope, t.Type, action, typ)
	}
	return t, nil
}

// inquirable checks that the vendor said what is wrong before asking the
// provider: a value_error on at least one parameter.
func inquirable(r Request) error {
	for _, p := range r.Asset.Params {
		if p.ValueError != "" {
			return nil
		}
	}
	return fault.Invalidf("inquire needs a value_error on at least one parameter, telling the provider what to fix; set it with PUT /public/v1/requests/%s", r.ID)
}

// failable checks the reason of a failure, which the provider is shown.
func failable(in FailInput) (string, error) {
	reason := strings.TrimSpace(in.Reason)
	switch {
	case reason == "":
		return "", fault.Invalidf("reason is required: tell the provider why the request failed")
	case len(reason) > maxReason:
		return "", fault.Invalidf("reason must be at most %d characters", maxReason)
	}
	return reason, nil
}

func paramValue(a Asset, name string) string {
	if p, ok := a.Param(name); ok {
		return p.Value
	}
	return ""
}

// settle applies the end of request r (approved or failed) to its asset,
// as the table says, and frees the asset for its next request.
func settle(r Request, a StoredAsset, now time.Time) StoredAsset {
	if r.Status == StatusApproved {
		a.Asset = approvedEffect(r, a.Asset, now)
		a.LastApproved = r.ID
	} else {
		a.Asset = failedEffect(r, a.Asset)
	}
	if a.PendingRequest != nil && a.PendingRequest.ID == r.ID {
		a.PendingRequest = nil
	}
	a.Updated = now
	return a
}

// approvedEffect is what an approved request does to its asset. The
// parameters the vendor filled during fulfillment become the asset's.
func approvedEffect(r Request, a Asset, now time.Time) Asset {
	a.Params = slices.Clone(r.Asset.Params)
	switch r.Type {
	case TypePurchase:
		a.Status = AssetActive
		a.ActivatedAt = &now
		a.Items = settledItems(r.Asset.Items)
	case TypeChange:
		a.Items = settledItems(r.Asset.Items)
	case TypeSuspend:
		a.Status = AssetSuspended
	case TypeResume:
		a.Status = AssetActive
	case TypeCancel:
		a.Status = AssetTerminated
	case TypeRenew:
		a.Subscription = renewed(a.Subscription, now)
	}
	if r.Template != nil {
		a.Template = r.Template
	}
	return a
}

// failedEffect is what a failed request does to its asset: a failed
// purchase ends the asset that never started; a refused renewal lets the
// subscription expire at the end of its term instead of asking again.
func failedEffect(r Request, a Asset) Asset {
	switch r.Type {
	case TypePurchase:
		a.Status = AssetTerminated
	case TypeRenew:
		a.Subscription.AutoRenew = false
	}
	return a
}

// settledItems drops the previous quantities a change request showed.
func settledItems(items []AssetItem) []AssetItem {
	out := slices.Clone(items)
	for i := range out {
		out[i].OldQuantity = ""
	}
	return out
}

// renewed extends the commitment by one term and reopens the
// cancellation window.
func renewed(s Subscription, now time.Time) Subscription {
	s.CommitmentEnd = addTerm(s.CommitmentEnd, s.TermDuration)
	s.CancellationAllowedUntil = now.Add(cancellationWindow)
	return s
}

// addTerm adds an ISO 8601 term (P1M, P1Y) to t.
func addTerm(t time.Time, term string) time.Time {
	switch term {
	case catalog.TermYear:
		return t.AddDate(1, 0, 0)
	case catalog.TermMonth:
		return t.AddDate(0, 1, 0)
	}
	return t
}
