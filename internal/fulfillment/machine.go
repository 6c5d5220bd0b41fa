package fulfillment

import (
	"slices"
	"strings"

	"github.com/mercato-dev/mercato/internal/fault"
)

// Action is something the vendor (or the provider, or the worker) does to
// a request.
type Action string

// The actions of the request state machine. Update is PUT /requests/{id};
// Answer is the provider's PUT, which answers an inquiry.
const (
	ActInquire  Action = "inquire"
	ActPend     Action = "pend"
	ActApprove  Action = "approve"
	ActFail     Action = "fail"
	ActAssign   Action = "assign"
	ActUnassign Action = "unassign"
	ActUpdate   Action = "update"
	ActAnswer   Action = "answer"
)

// Statuses lists every request status, in the order Connect shows them.
var Statuses = []string{StatusDraft, StatusTiersSetup, StatusPending, StatusInquiring, StatusApproved, StatusFailed}

// Actions lists every action.
var Actions = []Action{ActInquire, ActPend, ActApprove, ActFail, ActAssign, ActUnassign, ActUpdate, ActAnswer}

// move is where an action may start and where it leads; an empty to keeps
// the status.
type move struct {
	from []string
	to   string
}

// transitions is the state machine of DESIGN.md: approved and failed are
// terminal, so nothing starts from them.
var transitions = map[Action]move{
	ActInquire:  {from: []string{StatusPending}, to: StatusInquiring},
	ActPend:     {from: []string{StatusInquiring}, to: StatusPending},
	ActApprove:  {from: []string{StatusPending, StatusInquiring}, to: StatusApproved},
	ActFail:     {from: []string{StatusPending, StatusInquiring}, to: StatusFailed},
	ActAssign:   {from: []string{StatusDraft, StatusTiersSetup, StatusPending, StatusInquiring}},
	ActUnassign: {from: []string{StatusDraft, StatusTiersSetup, StatusPending, StatusInquiring}},
	ActUpdate:   {from: []string{StatusDraft, StatusTiersSetup, StatusPending, StatusInquiring}},
	// The provider's answer to an inquiry returns the request to the queue.
	ActAnswer: {from: []string{StatusPending, StatusInquiring}, to: StatusPending},
}

// Next returns the status a request in status moves to by a, or an
// illegal-transition error that names the current status and what a would
// need.
func Next(status string, a Action) (string, error) {
	m, ok := transitions[a]
	if !ok {
		return "", fault.Invalidf("unknown action %q", a)
	}
	if !slices.Contains(m.from, status) {
		return "", illegal(status, a, m.from)
	}
	if m.to == "" {
		return status, nil
	}
	return m.to, nil
}

func illegal(status string, a Action, from []string) error {
	why := "it can only be done to a request that is " + strings.Join(from, " or ")
	if Terminal(status) {
		why = status + " is a final status"
	}
	verb := string(a)
	switch a {
	case ActUpdate:
		verb = "change"
	case ActAnswer:
		verb = "answer"
	}
	return fault.Transitionf("cannot %s the request: it is %s, and %s", verb, status, why)
}
