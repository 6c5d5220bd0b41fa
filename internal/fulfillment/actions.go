package fulfillment

import (
	"context"
	"fmt"
	"strings"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/fault"
)

// load reads a request and its asset for a transition by actor, who must
// be the request's vendor (or, with provider, its provider).
func (s *Service) load(ctx context.Context, actor account.Principal, id string, provider bool) (StoredRequest, StoredAsset, error) {
	r, a, err := s.store.Pair(ctx, id)
	if err == nil {
		mine := actor.AccountID == r.Asset.Vendor.ID || (provider && actor.AccountID == r.Asset.Provider.ID)
		if !mine {
			err = ErrNotFound
		}
	}
	return r, a, NotFound(err, "request", id)
}

// loadFor loads a request its vendor acts on with act, and the status act
// leads to from the request's.
func (s *Service) loadFor(ctx context.Context, actor account.Principal, id string, act Action) (StoredRequest, StoredAsset, string, error) {
	r, a, err := s.load(ctx, actor, id, false)
	if err != nil {
		return StoredRequest{}, StoredAsset{}, "", err
	}
	status, err := Next(r.Status, act)
	return r, a, status, err
}

// saveRequest commits a transition that changes only the request.
func (s *Service) saveRequest(ctx context.Context, old StoredRequest, next Request) (Request, error) {
	next.Updated = s.now().UTC()
	return s.commit(ctx, old, next, nil)
}

// commit saves next over old, conditional on old's revision, with what
// more adds to the transaction (the asset, a dedupe mark), as one.
func (s *Service) commit(ctx context.Context, old StoredRequest, next Request, more func(*dynamo.Tx) error) (Request, error) {
	tx := s.store.table.Tx()
	if err := s.store.SaveRequest(tx, StoredRequest{Request: next, Rev: old.Rev}, next.Updated); err != nil {
		return Request{}, err
	}
	if more != nil {
		if err := more(tx); err != nil {
			return Request{}, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return Request{}, conflict(err, old.ID)
	}
	return next, nil
}

// Approve approves a pending or inquiring request with a fulfillment
// template: the request, its asset and their events are one transaction,
// conditional on both revisions, so two concurrent approvals cannot both
// win.
func (s *Service) Approve(ctx context.Context, actor account.Principal, id string, in ApproveInput) (Request, error) {
	r, a, _, err := s.loadFor(ctx, actor, id, ActApprove)
	if err != nil {
		return Request{}, err
	}
	v, err := s.versions.VersionOf(ctx, a.Product.ID, a.Version)
	if err != nil {
		return Request{}, err
	}
	return s.approve(ctx, r, a, v, in.TemplateID, nil)
}

// approve checks the preconditions, renders the activation template and
// ends the request; extra adds items to the transaction (a dedupe mark).
func (s *Service) approve(ctx context.Context, r StoredRequest, a StoredAsset, v catalog.Version, templateID string, extra func(*dynamo.Tx)) (Request, error) {
	if _, err := Next(r.Status, ActApprove); err != nil {
		return Request{}, err
	}
	t, err := approvable(v, r.Request, templateID)
	if err != nil {
		return Request{}, err
	}
	next := r.Request
	next.Status = StatusApproved
	next.Template = &Ref{ID: t.ID, Name: t.Title}
	next.ActivationKey = renderTemplate(t, r.Request)
	return s.end(ctx, r, next, a, extra)
}

// Fail fails a pending or inquiring request with a reason for the provider.
func (s *Service) Fail(ctx context.Context, actor account.Principal, id string, in FailInput) (Request, error) {
	r, a, _, err := s.loadFor(ctx, actor, id, ActFail)
	if err != nil {
		return Request{}, err
	}
	reason, err := failable(in)
	if err != nil {
		return Request{}, err
	}
	next := r.Request
	next.Status = StatusFailed
	next.Reason = reason
	return s.end(ctx, r, next, a, nil)
}

// end commits a request's final status with its effect on the asset.
func (s *Service) end(ctx context.Context, old StoredRequest, next Request, a StoredAsset, extra func(*dynamo.Tx)) (Request, error) {
	now := s.now().UTC()
	next.Updated = now
	if next.PreviousApprovedRequest == nil && a.LastApproved != "" && a.LastApproved != next.ID {
		next.PreviousApprovedRequest = &Ref{ID: a.LastApproved}
	}
	settled := settle(next, a, now)
	next.Asset.Status, next.Asset.ActivatedAt, next.Asset.PendingRequest = settled.Status, settled.ActivatedAt, nil
	return s.commit(ctx, old, next, func(tx *dynamo.Tx) error {
		if err := s.store.SaveAsset(tx, a.Asset, settled, now); err != nil {
			return err
		}
		if extra != nil {
			extra(tx)
		}
		return nil
	})
}

// Inquire asks the provider for information: the request must be pending
// and say, in a value_error, what is wrong. An inquire template is
// optional.
func (s *Service) Inquire(ctx context.Context, actor account.Principal, id string, in InquireInput) (Request, error) {
	r, a, status, err := s.loadFor(ctx, actor, id, ActInquire)
	if err != nil {
		return Request{}, err
	}
	if err := inquirable(r.Request); err != nil {
		return Request{}, err
	}
	next := r.Request
	next.Status = status
	if in.TemplateID != "" {
		v, err := s.versions.VersionOf(ctx, a.Product.ID, a.Version)
		if err != nil {
			return Request{}, err
		}
		t, err := templateOf(v, in.TemplateID, catalog.TemplateInquire, "inquire")
		if err != nil {
			return Request{}, err
		}
		next.Template = &Ref{ID: t.ID, Name: t.Title}
	}
	return s.saveRequest(ctx, r, next)
}

// Pend returns an inquiring request to the queue.
func (s *Service) Pend(ctx context.Context, actor account.Principal, id string) (Request, error) {
	r, _, status, err := s.loadFor(ctx, actor, id, ActPend)
	if err != nil {
		return Request{}, err
	}
	next := r.Request
	next.Status = status
	return s.saveRequest(ctx, r, next)
}

// Assign sets who works the request: the given assignee, or the caller.
func (s *Service) Assign(ctx context.Context, actor account.Principal, id string, in AssignInput) (Request, error) {
	who := Ref{ID: strings.TrimSpace(in.ID), Name: strings.TrimSpace(in.Name)}
	if who.ID == "" && who.Name != "" {
		return Request{}, fault.Invalidf("assignee id is required with a name")
	}
	if who.ID == "" {
		who = Ref{ID: actor.AccountID, Name: actor.AccountName}
	}
	if len(who.ID) > maxAssignee || len(who.Name) > maxAssignee {
		return Request{}, fault.Invalidf("assignee id and name must be at most %d characters", maxAssignee)
	}
	r, _, _, err := s.loadFor(ctx, actor, id, ActAssign)
	if err != nil {
		return Request{}, err
	}
	next := r.Request
	next.Assignee = &who
	return s.saveRequest(ctx, r, next)
}

// Unassign clears the assignee; a request with none is left as it is.
func (s *Service) Unassign(ctx context.Context, actor account.Principal, id string) (Request, error) {
	r, _, _, err := s.loadFor(ctx, actor, id, ActUnassign)
	if err != nil {
		return Request{}, err
	}
	if r.Assignee == nil {
		return r.Request, nil
	}
	next := r.Request
	next.Assignee = nil
	return s.saveRequest(ctx, r, next)
}

// UpdateInput is what PUT /requests/{id} may change: the note and the
// asset parameters' value and value_error.
type UpdateInput struct {
	Note   *string
	Params []ParamInput
}

// ParamInput is one parameter of an update, by id or name.
type ParamInput struct {
	ID         string
	Value      *string
	ValueError *string
}

// Update applies PUT /requests/{id}. The vendor may change the note and
// any parameter's value and value_error while the request is open. The
// provider answers an inquiry: it may change only ordering parameters'
// values, which clears their value_error and returns the request to
// pending.
func (s *Service) Update(ctx context.Context, actor account.Principal, id string, in UpdateInput) (Request, error) {
	if in.Note == nil && len(in.Params) == 0 {
		return Request{}, fault.Invalidf("nothing to change: send note or asset.params with value or value_error")
	}
	r, a, err := s.load(ctx, actor, id, true)
	if err != nil {
		return Request{}, err
	}
	byProvider := actor.AccountID != r.Asset.Vendor.ID
	action := ActUpdate
	if byProvider {
		action = ActAnswer
	}
	status, err := Next(r.Status, action)
	if err != nil {
		return Request{}, err
	}
	v, err := s.versions.VersionOf(ctx, a.Product.ID, a.Version)
	if err != nil {
		return Request{}, err
	}
	next, err := applyUpdate(v, r.Request, in, byProvider)
	if err != nil {
		return Request{}, err
	}
	next.Status = status
	return s.saveRequest(ctx, r, next)
}

// applyUpdate changes a copy of r as in says, naming every refused change.
func applyUpdate(v catalog.Version, r Request, in UpdateInput, byProvider bool) (Request, error) {
	var msgs []string
	if in.Note != nil {
		switch {
		case byProvider:
			msgs = append(msgs, "note is the vendor's; a provider changes only ordering parameters' values")
		case len(*in.Note) > maxNote:
			msgs = append(msgs, fmt.Sprintf("note must be at most %d characters", maxNote))
		default:
			r.Note = *in.Note
		}
	}
	r.Asset.Params = append([]AssetParam(nil), r.Asset.Params...)
	for _, p := range in.Params {
		msgs = append(msgs, applyParam(v, &r, p, byProvider)...)
	}
	if len(msgs) > 0 {
		return Request{}, fault.InvalidList(msgs...)
	}
	return r, nil
}

// applyParam sets one parameter, or says why it cannot be set.
func applyParam(v catalog.Version, r *Request, in ParamInput, byProvider bool) []string {
	ap, ok := r.Asset.Param(in.ID)
	def, known := paramDef(v, in.ID)
	if !ok || !known {
		return []string{fmt.Sprintf("request %s has no parameter %q", r.ID, in.ID)}
	}
	if in.Value == nil && in.ValueError == nil {
		return []string{fmt.Sprintf("parameter %s: give value or value_error", ap.Name)}
	}
	var msgs []string
	if byProvider && def.Phase != catalog.PhaseOrdering {
		msgs = append(msgs, fmt.Sprintf("parameter %s is a %s parameter, which the vendor sets; a provider changes only ordering parameters", ap.Name, def.Phase))
	}
	if byProvider && in.ValueError != nil {
		msgs = append(msgs, fmt.Sprintf("parameter %s: value_error is the vendor's note on a value; a provider sends the value", ap.Name))
	}
	if in.ValueError != nil && len(*in.ValueError) > maxValueError {
		msgs = append(msgs, fmt.Sprintf("parameter %s: value_error must be at most %d characters", ap.Name, maxValueError))
	}
	if in.Value != nil {
		msgs = append(msgs, checkValue(def, *in.Value)...)
	}
	if len(msgs) > 0 {
		return msgs
	}
	if in.Value != nil {
		ap.Value = *in.Value
		if byProvider {
			// The answer replaces the value the vendor objected to.
			ap.ValueError = ""
		}
	}
	if in.ValueError != nil {
		ap.ValueError = *in.ValueError
	}
	return nil
}

func checkValue(p catalog.Parameter, val string) []string {
	switch {
	case len(val) > maxValue:
		return []string{fmt.Sprintf("parameter %s: value must be at most %d characters", p.Name, maxValue)}
	case val == "" && p.Constraints.Required && p.Phase == catalog.PhaseOrdering:
		return []string{fmt.Sprintf("parameter %s is required and cannot be emptied", p.Name)}
	}
	if err := ValidValue(p, val); err != nil {
		return []string{err.Error()}
	}
	return nil
}

// paramDef finds an asset parameter of the version by name or id.
func paramDef(v catalog.Version, key string) (catalog.Parameter, bool) {
	for _, p := range v.Parameters {
		if p.Scope == catalog.ScopeAsset && (p.Name == key || p.ID == key) {
			return p, true
		}
	}
	return catalog.Parameter{}, false
}
