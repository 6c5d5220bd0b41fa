package scale

import (
	"fmt"
	"strings"
	"time"

	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/layout"
)

// renewals makes some of the seeded orders' subscriptions come due within
// the renewal schedule's window, at both sizes in the same proportion, so
// that the schedule's plan emits units and the units renew: every every-th
// copy of the seed order has its commitment end moved from the seed's day
// (end, a term after the write path placed it) to due, a few days ahead,
// in its subscriptions and in its renewal index items alike. A copy keeps
// the seed's index shard (its key holds no id), so the due copies share
// one partition of the index per subscription of the order, and their
// units follow each other.
type renewals struct {
	end, due string // days, yyyy-mm-dd
	every    int
	// most is the seed's subscriptions in one partition of the index:
	// what a due copy adds to the fullest.
	most int
}

// renewalDueIn is how far ahead the due copies' commitments end: within
// the notice the run gives (fulfillment.RenewalNoticeDays), so each is
// asked to renew.
const renewalDueIn = 3 * 24 * time.Hour

// dueRenewals finds the seed's commitment end in its renewal index items
// and sizes every so that about orders of copies copies come due. ok is
// false when the seed has no subscription with a term (nothing to renew)
// or orders is 0.
func dueRenewals(c *Cloner, copies, orders int, now time.Time) (r renewals, ok bool) {
	if orders <= 0 {
		return renewals{}, false
	}
	for _, placed := range []time.Time{now, now.AddDate(0, 0, -1)} {
		end := placed.AddDate(0, 1, 0)
		prefix := layout.RenewalDay(end).Prefix + "#"
		perPartition := map[string]int{}
		for _, it := range c.family {
			walkStrings(c.Schema.Key(it), func(s string) {
				if strings.HasPrefix(s, prefix) {
					perPartition[s]++
				}
			})
		}
		most := 0
		for _, n := range perPartition {
			most = max(most, n)
		}
		if most == 0 {
			continue
		}
		return renewals{end: end.UTC().Format(time.DateOnly), due: now.Add(renewalDueIn).UTC().Format(time.DateOnly),
			every: max(1, copies/orders), most: most}, true
	}
	return renewals{}, false
}

// vary is the Cloner's Vary: every every-th copy comes due.
func (r renewals) vary(k int, fresh func() []string) []string {
	p := fresh()
	if k%r.every == 0 {
		p = append(p, r.end, r.due)
	}
	return p
}

// dueOf is how many of n copies come due.
func (r renewals) dueOf(n int) int { return (n + r.every - 1) / r.every }

// RenewalPage is a renewal unit's page in the model
// (config.Config.RenewalPage): a renewal costs the emulator about 0.8 s,
// so the model's due subscriptions are few, 13 in the fullest shard at
// the default H, short of fulfillment.RenewalPage. At 10 the largest unit
// reads a full page at both sizes, and the limits table scales it to
// fulfillment.RenewalPage.
const RenewalPage = 10

// boundRenewal sets what bounds a renewal unit at the stated limits: a
// page of the index (fulfillment.RenewalPage), whatever the tenant. The
// model's units read pages of page subscriptions: when the fullest
// partition holds more at H (atH), the largest unit is a full page at both
// sizes, and a production page is that unit times RenewalPage ÷ page (its
// calls with it, an upper bound: a page is one Query and one BatchGetItem
// whatever its size). While the partition holds fewer, the largest unit
// grows with the tenant up to that page: its ratio is reported, not held;
// at 10·H it holds at10H.
func boundRenewal(jobs []Measure, page, atH, at10H int) {
	if page <= 0 {
		page = fulfillment.RenewalPage
	}
	for k := range jobs {
		j := &jobs[k]
		if !strings.Contains(j.Name, "job.renewal") {
			continue
		}
		read := max(min(at10H, page), 1)
		j.Scale = float64(fulfillment.RenewalPage) / float64(read)
		j.Bound = fmt.Sprintf("a page of %d subscriptions (%d measured)", fulfillment.RenewalPage, read)
		if atH <= page {
			j.Grows = fmt.Sprintf("a unit renews up to %d subscriptions of its day's shard, and the shard held %d at H", page, atH)
		}
	}
}
