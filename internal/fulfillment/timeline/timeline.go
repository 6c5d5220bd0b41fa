// Package timeline rebuilds what an asset was over time from its approved
// requests: when it was active, suspended or terminated, and which item
// quantities it had. Usage validation asks it whether an asset was active
// during a record's interval; rating asks it for the quantities to charge
// day by day. It sits under fulfillment, which owns the requests it is
// built from, so that usage and billing both import it and neither imports
// the other for it.
package timeline

import (
	"slices"
	"time"

	"github.com/mercato-dev/mercato/internal/fulfillment"
)

// State is what an asset was from At until the next state.
type State struct {
	At     time.Time
	Status string // fulfillment.AssetActive, AssetSuspended or AssetTerminated
	Items  []fulfillment.AssetItem
	// Source is the approved request that made this state ("" when the
	// asset row is the only witness), and Type that request's type.
	Source string
	Type   string
}

// Timeline is an asset's states in time order. It is empty for an asset
// that was never activated.
type Timeline []State

// Of rebuilds the timeline of asset a from its requests. An approved
// request takes effect when it was approved (its Updated time, which does
// not change once it is final). The purchase's items are the first
// quantities; change requests carry the new ones. Where the asset row shows
// a status no request explains (an expiry, a test fixture), the row's
// Updated time is taken as when it happened.
func Of(a fulfillment.Asset, reqs []fulfillment.Request) Timeline {
	if a.ActivatedAt == nil {
		return nil
	}
	approved := slices.DeleteFunc(slices.Clone(reqs), func(r fulfillment.Request) bool {
		return r.Status != fulfillment.StatusApproved
	})
	slices.SortStableFunc(approved, func(x, y fulfillment.Request) int { return x.Updated.Compare(y.Updated) })
	first := State{At: a.ActivatedAt.UTC(), Status: fulfillment.AssetActive, Items: a.Items, Type: fulfillment.TypePurchase}
	for _, r := range approved {
		if r.Type == fulfillment.TypePurchase {
			first.Items, first.Source = r.Asset.Items, r.ID
		}
	}
	if first.Source == "" && hasChange(approved) {
		first.Items = oldItems(approved)
	}
	tl := Timeline{first}
	for _, r := range approved {
		if next, ok := tl.apply(r); ok {
			tl = append(tl, next)
		}
	}
	return tl.settle(a)
}

func hasChange(reqs []fulfillment.Request) bool {
	return slices.ContainsFunc(reqs, func(r fulfillment.Request) bool { return r.Type == fulfillment.TypeChange })
}

// oldItems are the quantities before the first change, which the change
// request shows as old_quantity, for an asset whose purchase is not among
// its requests.
func oldItems(reqs []fulfillment.Request) []fulfillment.AssetItem {
	for _, r := range reqs {
		if r.Type != fulfillment.TypeChange {
			continue
		}
		items := slices.Clone(r.Asset.Items)
		for i := range items {
			if items[i].OldQuantity != "" {
				items[i].Quantity = items[i].OldQuantity
			}
		}
		return items
	}
	return nil
}

// apply returns the state request r starts, if it changes anything.
func (tl Timeline) apply(r fulfillment.Request) (State, bool) {
	last := tl[len(tl)-1]
	if last.Status == fulfillment.AssetTerminated {
		return State{}, false
	}
	next := State{At: r.Updated.UTC(), Status: last.Status, Items: last.Items, Source: r.ID, Type: r.Type}
	if next.At.Before(last.At) {
		next.At = last.At
	}
	switch r.Type {
	case fulfillment.TypeChange:
		next.Items = r.Asset.Items
	case fulfillment.TypeSuspend:
		next.Status = fulfillment.AssetSuspended
	case fulfillment.TypeResume:
		next.Status = fulfillment.AssetActive
	case fulfillment.TypeCancel:
		next.Status = fulfillment.AssetTerminated
	default:
		return State{}, false
	}
	return next, true
}

// settle appends the asset row's current status when no request explains
// it.
func (tl Timeline) settle(a fulfillment.Asset) Timeline {
	last := tl[len(tl)-1]
	switch a.Status {
	case fulfillment.AssetSuspended, fulfillment.AssetTerminated:
		if last.Status != a.Status && !a.Updated.Before(last.At) {
			tl = append(tl, State{At: a.Updated.UTC(), Status: a.Status, Items: last.Items, Type: a.Status})
		}
	}
	return tl
}

// ActiveThrough reports whether the asset was active for the whole of
// [from, to): activated by from, and neither suspended nor terminated
// before to. Quantity changes in between do not matter.
func (tl Timeline) ActiveThrough(from, to time.Time) bool {
	covering := -1
	for i, s := range tl {
		if !s.At.After(from) {
			covering = i
		}
	}
	if covering < 0 {
		return false
	}
	for _, s := range tl[covering:] {
		if s.At.Before(to) && s.Status != fulfillment.AssetActive {
			return false
		}
	}
	return true
}

// End is when state i ends: the next state's start, or the zero time for
// the last one.
func (tl Timeline) End(i int) time.Time {
	if i+1 < len(tl) {
		return tl[i+1].At
	}
	return time.Time{}
}
