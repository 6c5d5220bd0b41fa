package fulfillment

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/internal/fault"
)

// TestNext_EveryStatusAndAction walks the whole table: the moves of
// DESIGN.md succeed, and every other pair is an illegal transition that
// names the current status.
func TestNext_EveryStatusAndAction(t *testing.T) {
	legal := map[string]string{
		"pending/inquire":      StatusInquiring,
		"inquiring/pend":       StatusPending,
		"pending/approve":      StatusApproved,
		"inquiring/approve":    StatusApproved,
		"pending/fail":         StatusFailed,
		"inquiring/fail":       StatusFailed,
		"pending/answer":       StatusPending,
		"inquiring/answer":     StatusPending,
		"draft/assign":         StatusDraft,
		"tiers_setup/assign":   StatusTiersSetup,
		"pending/assign":       StatusPending,
		"inquiring/assign":     StatusInquiring,
		"draft/unassign":       StatusDraft,
		"tiers_setup/unassign": StatusTiersSetup,
		"pending/unassign":     StatusPending,
		"inquiring/unassign":   StatusInquiring,
		"draft/update":         StatusDraft,
		"tiers_setup/update":   StatusTiersSetup,
		"pending/update":       StatusPending,
		"inquiring/update":     StatusInquiring,
	}
	illegal := 0
	for _, status := range Statuses {
		for _, a := range Actions {
			name := fmt.Sprintf("%s/%s", status, a)
			t.Run(name, func(t *testing.T) {
				got, err := Next(status, a)
				want, ok := legal[name]
				if ok {
					if err != nil || got != want {
						t.Fatalf("Next(%s, %s) = %q, %v; want %q", status, a, got, err, want)
					}
					return
				}
				illegal++
				if !fault.Is(err, fault.Transition) {
					t.Fatalf("Next(%s, %s) = %q, %v; want an illegal transition", status, a, got, err)
				}
				if !strings.Contains(err.Error(), "it is "+status) {
					t.Errorf("error %q does not name the current status %s", err, status)
				}
			})
		}
	}
	if want := len(Statuses)*len(Actions) - len(legal); illegal != want {
		t.Errorf("%d illegal pairs checked, want %d", illegal, want)
	}
}

func TestNext_TerminalStatusesSaySo(t *testing.T) {
	for _, status := range []string{StatusApproved, StatusFailed} {
		for _, a := range Actions {
			t.Run(status+"/"+string(a), func(t *testing.T) {
				_, err := Next(status, a)
				if err == nil || !strings.Contains(err.Error(), status+" is a final status") {
					t.Errorf("Next(%s, %s) = %v, want it to say the status is final", status, a, err)
				}
			})
		}
	}
}

func TestNext_UnknownAction(t *testing.T) {
	_, err := Next(StatusPending, Action("schedule"))
	if diff := cmp.Diff(fault.Invalid, fault.KindOf(err)); diff != "" {
		t.Errorf("kind (-want +got):\n%s", diff)
	}
}
