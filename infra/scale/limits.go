package scale

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"
)

// callLatency is what a DynamoDB call is assumed to take in AWS, in the
// function's region: the latencies the README's usage model assumes (a
// BatchWriteItem of 25 items 20 ms, a BatchGetItem of 100 keys 15 ms),
// and 10 ms for any other call, twice DynamoDB's typical single-item
// latency. The emulator's own time is no guide: about 7-10 ms a call on
// this machine, plus the recorder's reads around every write.
func callLatency(name string) time.Duration {
	switch name {
	case "BatchWriteItem", "TransactWriteItems":
		return 20 * time.Millisecond
	case "BatchGetItem", "TransactGetItems":
		return 15 * time.Millisecond
	}
	return 10 * time.Millisecond
}

// tableQuota is the table's on-demand throughput, per second, for reads
// and for writes (template.yaml warms the table to it; README "Usage at
// its stated limits").
const tableQuota = 40000

// maxAnswer is Lambda's limit on a synchronous answer: 6 MB.
const maxAnswer = 6 << 20

// growth is b over a: 1 when both are 0, +Inf when only a is.
func growth(a, b float64) float64 {
	switch {
	case a == 0 && b == 0:
		return 1
	case a == 0:
		return math.Inf(1)
	}
	return b / a
}

func ratio(a, b float64) string {
	if r := growth(a, b); !math.IsInf(r, 1) {
		return fmt.Sprintf("%.2f", r)
	}
	return "∞"
}

// answerAtMax is the largest answer of the list's page at its largest
// page size: its bytes a row, measured on the real answer at 10·H (at H
// when 10·H's page was empty), times the page; 0 when no page had a row.
func (m Measure) answerAtMax() float64 {
	for _, i := range []int{1, 0} {
		if m.Rows[i] > 0 {
			return float64(m.Bytes[i]) / float64(m.Rows[i]) * float64(max(m.MaxPage, m.Rows[i]))
		}
	}
	return 0
}

// atLimit is the job's largest invocation at the stated limits: the one
// measured at 10·H times Scale, its calls at DynamoDB's latencies with
// InFlight at a time, and no faster than the table's quota lets its
// units through.
func (m Measure) atLimit() time.Duration {
	scale := max(m.Scale, 1)
	t := time.Duration(float64(m.AWS[1]) * scale / float64(max(m.InFlight, 1)))
	quota := time.Duration(max(m.RCU[1], m.WCU[1]) * scale / tableQuota * float64(time.Second))
	return max(t, quota)
}

// endpoint is a list page's name without its query: the list whose
// answer the limit table sizes.
func endpoint(name string) string {
	e, _, _ := strings.Cut(name, "?")
	return e
}

// answers are the lists' largest answers at their largest page, by
// endpoint, in the order measured.
func (rr *ReadsReport) answers() (names []string, bytes map[string]float64) {
	bytes = map[string]float64{}
	for _, m := range rr.Lists {
		e := endpoint(m.Name)
		if _, ok := bytes[e]; !ok {
			names = append(names, e)
		}
		bytes[e] = max(bytes[e], m.answerAtMax())
	}
	return names, bytes
}

// Misses lists the read path's targets missed (issue: Scale II): a list
// page's read units or a job's largest invocation's calls or items more
// than t.Ratio times at 10·H what they are at H; at the stated limits, an
// answer over 6 MB or an invocation over t.TimeoutShare of its function's
// timeout.
func (rr *ReadsReport) Misses(t Targets) []string {
	var m []string
	for _, l := range rr.Lists {
		if r := growth(l.RCU[0], l.RCU[1]); r > t.Ratio && l.Grows == "" {
			m = append(m, fmt.Sprintf("%s: read units %.1f → %.1f (%s)", l.Name, l.RCU[0], l.RCU[1], ratio(l.RCU[0], l.RCU[1])))
		}
	}
	for _, j := range rr.Jobs {
		switch {
		case !j.Seen[0] || !j.Seen[1]:
			m = append(m, fmt.Sprintf("%s: ran at one size only (H %v, 10·H %v)", j.Name, j.Seen[0], j.Seen[1]))
			continue
		case j.Grows != "":
		case growth(float64(j.Calls[0]), float64(j.Calls[1])) > t.Ratio:
			m = append(m, fmt.Sprintf("%s: calls %d → %d (%s)", j.Name, j.Calls[0], j.Calls[1], ratio(float64(j.Calls[0]), float64(j.Calls[1]))))
		case growth(float64(j.Items[0]), float64(j.Items[1])) > t.Ratio:
			m = append(m, fmt.Sprintf("%s: items %d → %d (%s)", j.Name, j.Items[0], j.Items[1], ratio(float64(j.Items[0]), float64(j.Items[1]))))
		}
		limit, ok := rr.Timeouts[j.Function]
		if !ok {
			m = append(m, fmt.Sprintf("%s: no timeout known for function %q", j.Name, j.Function))
			continue
		}
		if share := time.Duration(float64(limit) * t.TimeoutShare); j.atLimit() > share {
			m = append(m, fmt.Sprintf("%s: %s at the stated limits > %s of %s", j.Name, j.atLimit().Round(100*time.Millisecond), share, j.Function))
		}
	}
	names, bytes := rr.answers()
	for _, e := range names {
		switch b := bytes[e]; {
		case b == 0:
			m = append(m, fmt.Sprintf("%s: no row to size its answer by", e))
		case b > t.MaxAnswer:
			m = append(m, fmt.Sprintf("%s: %.1f MB at its largest page > %.0f MB", e, b/(1<<20), t.MaxAnswer/(1<<20)))
		}
	}
	return m
}

// Print writes the read-path tables: at the two sizes, then at the stated
// limits.
func (rr *ReadsReport) Print(w io.Writer) {
	fmt.Fprintf(w, "\nread path: the tenant at H and at 10·H, seeded by copying real items with fresh ids\n")
	for _, s := range rr.Sizes {
		fmt.Fprintf(w, "  %s\n", s)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "list page\tRCU at H\tRCU at 10·H\tratio\titems read\tround trips\t")
	for _, m := range rr.Lists {
		name := m.Name
		if m.Grows != "" {
			name += " (not held: " + m.Grows + ")"
		}
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%s\t%d → %d\t%d → %d\t\n", name, m.RCU[0], m.RCU[1], ratio(m.RCU[0], m.RCU[1]), m.Items[0], m.Items[1], m.Calls[0], m.Calls[1])
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "job: largest invocation\tDynamoDB calls\tratio\titems\tratio\tduration (emulator)\tRCU\tWCU\t")
	for _, m := range rr.Jobs {
		held := ""
		if m.Grows != "" {
			held = " (not held: " + m.Grows + ")"
		}
		fmt.Fprintf(tw, "%s%s\t%d → %d\t%s\t%d → %d\t%s\t%s → %s\t%.1f → %.1f\t%.1f → %.1f\t\n", m.Name, held, m.Calls[0], m.Calls[1],
			ratio(float64(m.Calls[0]), float64(m.Calls[1])), m.Items[0], m.Items[1], ratio(float64(m.Items[0]), float64(m.Items[1])),
			m.Took[0].Round(time.Millisecond), m.Took[1].Round(time.Millisecond), m.RCU[0], m.RCU[1], m.WCU[0], m.WCU[1])
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "list at its largest page\tpage\tbytes a row\tlargest answer\tof 6 MB\t")
	names, bytes := rr.answers()
	for _, e := range names {
		page, per := 0, 0.0
		for _, m := range rr.Lists {
			if endpoint(m.Name) == e && m.answerAtMax() == bytes[e] {
				page, per = m.MaxPage, bytes[e]/float64(max(m.MaxPage, 1))
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.2f MB\t%.0f %%\t\n", e, page, per, bytes[e]/(1<<20), 100*bytes[e]/maxAnswer)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "job at the stated limits\tbound\tDynamoDB calls\tmodelled\ttimeout\tof its quarter\t")
	for _, m := range rr.Jobs {
		limit := rr.Timeouts[m.Function]
		bound := m.Bound
		if bound == "" {
			bound = "its unit, as measured at 10·H"
		}
		share := 0.0
		if limit > 0 {
			share = 100 * float64(m.atLimit()) / float64(limit/4)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%s\t%s %s\t%.0f %%\t\n", m.Name, bound, float64(m.Calls[1])*max(m.Scale, 1), m.atLimit().Round(10*time.Millisecond),
			m.Function, limit, share)
	}
	tw.Flush()
}

// Summary is the read path's line: its worst ratio, its largest answer and
// its slowest invocation at the stated limits.
func (rr *ReadsReport) Summary() string {
	worst, what := 0.0, ""
	for _, l := range rr.Lists {
		if r := growth(l.RCU[0], l.RCU[1]); r > worst && l.Grows == "" {
			worst, what = r, l.Name
		}
	}
	for _, j := range rr.Jobs {
		if j.Grows != "" {
			continue
		}
		for _, r := range []float64{growth(float64(j.Calls[0]), float64(j.Calls[1])), growth(float64(j.Items[0]), float64(j.Items[1]))} {
			if r > worst {
				worst, what = r, j.Name
			}
		}
	}
	names, bytes := rr.answers()
	answer, list := 0.0, ""
	for _, e := range names {
		if bytes[e] > answer {
			answer, list = bytes[e], e
		}
	}
	share, job := 0.0, ""
	for _, j := range rr.Jobs {
		if limit := rr.Timeouts[j.Function]; limit > 0 && float64(j.atLimit())/float64(limit) > share {
			share, job = float64(j.atLimit())/float64(limit), j.Name
		}
	}
	return fmt.Sprintf("scale: read path at H = %d and 10·H = %d orders: %d list pages, %d jobs; worst ratio %.2f (%s) · largest answer %.2f MB (%s) · slowest invocation at the limits %.0f %% of its timeout (%s)",
		rr.H, 10*rr.H, len(rr.Lists), len(rr.Jobs), worst, what, answer/(1<<20), list, 100*share, job)
}
