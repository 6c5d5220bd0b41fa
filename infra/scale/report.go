package scale

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
)

// Targets are what the model holds the layout to (issues: Scale I, the
// write path; Scale II, the read path).
type Targets struct {
	Ceiling          float64 // orders/s, at least
	WarmOrder        float64 // round trips of a warm order, at most
	WarmApprove      float64 // round trips of a warm approve, at most
	MaxConsistentRCU float64 // consistent-read RCU per order on any one key, at most
	// Ratio bounds 10·H over H of a list page's read units and of a job's
	// largest invocation's calls and items.
	Ratio float64
	// MaxAnswer bounds a list's answer at its largest page, in bytes.
	MaxAnswer float64
	// TimeoutShare bounds a job's invocation at the stated limits, as a
	// share of its function's timeout.
	TimeoutShare float64
}

// DefaultTargets are the issues' targets.
var DefaultTargets = Targets{Ceiling: 2000, WarmOrder: 1, WarmApprove: 2, MaxConsistentRCU: 1, Ratio: 1.1, MaxAnswer: maxAnswer, TimeoutShare: 0.25}

// Partition limits of one partition key, per second.
const (
	KeyWCULimit = 1000
	KeyRCULimit = 3000
)

// Report is what a run measured.
type Report struct {
	Orders, Lines, Customers, Approves int
	Ops                                []OpRow
	Keys                               []KeyRow // by shape, hottest first
	// Ceiling is the modelled one-vendor ceiling, orders/s, and the
	// concrete key (shaped) that sets it.
	Ceiling    float64
	CeilingKey string
	// Warm round trips: the median and max over the last orders and
	// approves of the run.
	WarmOrder, WarmApprove Spread
	MaxConsistentRCU       float64
	MaxConsistentKey       string
	TotalWCU, TotalRCU     float64
	// Reads is the read-path model, when it ran.
	Reads *ReadsReport
}

// OpRow is one operation's totals.
type OpRow struct {
	Op                 string
	Invocations, Calls int
	Records            int
	WCU, RCU           float64
}

// KeyRow is one key shape: the largest per-order load over the concrete
// keys of that shape.
type KeyRow struct {
	Shape                   string // "<index or table> <shaped partition key>"
	Keys                    int    // concrete keys of that shape
	WCU, RCU, ConsistentRCU float64
	// PerEntity marks a shape whose every order (or more) writes keys of
	// its own (ASSET#<id>, EVENT#<id>): a concrete key's load comes from
	// one entity's life, not from the order rate, so it does not bound the
	// ceiling. Life is the largest WCU one such key took over the run.
	PerEntity bool
	Life      float64
	// Causes split the hottest concrete key's load per order by
	// operation and DynamoDB call.
	Causes []Cause
}

// Cause is what one operation's calls of one kind put on a key, per order.
type Cause struct {
	What     string
	WCU, RCU float64
}

// Spread is a median and a maximum.
type Spread struct {
	Median, Max float64
	N           int
}

// boolOrder sorts false before true.
func boolOrder(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// perEntity reports whether a key shape is one whose keys belong to single
// entities: it has at least as many concrete keys as the run placed orders,
// and is not a shard of a list (<n>). Such a key
// takes one entity's writes over that entity's life (an asset's order,
// approval and roll-ups), however fast orders come, so the per-order load
// that bounds the ceiling does not apply to it; the report shows its
// largest lifetime load instead.
func perEntity(shape string, keys, orders int) bool {
	if keys < orders {
		return false
	}
	return !strings.Contains(shape, "<n>")
}

// Build aggregates recorded calls. warm is how many of the last orders
// and approves count as warm.
func Build(calls []Call, invs map[int64]Invocation, sh Shaper, orders, warm int) Report {
	rep := Report{Orders: orders}
	ops := map[string]*OpRow{}
	perInv := map[int64]int{}
	type load struct {
		wcu, rcu, crcu float64
		by             map[string]*Cause
	}
	keys := map[string]*load{}
	for _, inv := range invs {
		o := opRow(ops, inv.Op)
		o.Invocations++
		o.Records += inv.Records
	}
	for _, c := range calls {
		o := opRow(ops, c.Op)
		o.Calls++
		perInv[c.Inv]++
		for _, u := range c.Units {
			o.WCU += u.WCU
			o.RCU += u.RCU
			rep.TotalWCU += u.WCU
			rep.TotalRCU += u.RCU
			name := cmp.Or(u.Index, "table") + " " + u.PK
			l := keys[name]
			if l == nil {
				l = &load{}
				keys[name] = l
			}
			l.wcu += u.WCU
			l.rcu += u.RCU
			l.crcu += u.ConsistentRCU
			if l.by == nil {
				l.by = map[string]*Cause{}
			}
			why := c.Op + " · " + c.Name
			if l.by[why] == nil {
				l.by[why] = &Cause{What: why}
			}
			l.by[why].WCU += u.WCU
			l.by[why].RCU += u.RCU
		}
	}
	for _, o := range ops {
		rep.Ops = append(rep.Ops, *o)
	}
	slices.SortFunc(rep.Ops, func(a, b OpRow) int {
		return cmp.Or(cmp.Compare(b.WCU+b.RCU, a.WCU+a.RCU), strings.Compare(a.Op, b.Op))
	})

	n := float64(max(orders, 1))
	shapes := map[string]*KeyRow{}
	shapeOf := map[string]string{}
	for name := range keys {
		where, pk, _ := strings.Cut(name, " ")
		shape := where + " " + sh.Shape(pk)
		shapeOf[name] = shape
		if shapes[shape] == nil {
			shapes[shape] = &KeyRow{Shape: shape}
		}
		shapes[shape].Keys++
	}
	for _, k := range shapes {
		k.PerEntity = perEntity(k.Shape, k.Keys, orders)
	}
	rep.Ceiling = math.Inf(1)
	for name, l := range keys {
		shape := shapeOf[name]
		k := shapes[shape]
		w, r, c := l.wcu/n, l.rcu/n, l.crcu/n
		if limitOf(w, r) < limitOf(k.WCU, k.RCU) {
			k.Causes = k.Causes[:0]
			for _, cs := range l.by {
				k.Causes = append(k.Causes, Cause{What: cs.What, WCU: cs.WCU / n, RCU: cs.RCU / n})
			}
			slices.SortFunc(k.Causes, func(a, b Cause) int {
				return cmp.Or(cmp.Compare(b.WCU+b.RCU, a.WCU+a.RCU), strings.Compare(a.What, b.What))
			})
		}
		k.WCU, k.RCU, k.ConsistentRCU = max(k.WCU, w), max(k.RCU, r), max(k.ConsistentRCU, c)
		k.Life = max(k.Life, l.wcu)
		if k.PerEntity {
			continue
		}
		if lim := limitOf(w, r); lim < rep.Ceiling {
			rep.Ceiling, rep.CeilingKey = lim, shape
		}
		if c > rep.MaxConsistentRCU {
			rep.MaxConsistentRCU, rep.MaxConsistentKey = c, shape
		}
	}
	for _, k := range shapes {
		rep.Keys = append(rep.Keys, *k)
	}
	slices.SortFunc(rep.Keys, func(a, b KeyRow) int {
		return cmp.Or(boolOrder(a.PerEntity, b.PerEntity), cmp.Compare(limitOf(a.WCU, a.RCU), limitOf(b.WCU, b.RCU)), strings.Compare(a.Shape, b.Shape))
	})
	rep.WarmOrder = warmSpread(invs, perInv, "order", warm)
	rep.WarmApprove = warmSpread(invs, perInv, "approve", warm)
	for _, inv := range invs {
		if inv.Op == "approve" {
			rep.Approves++
		}
	}
	return rep
}

func opRow(ops map[string]*OpRow, op string) *OpRow {
	o := ops[op]
	if o == nil {
		o = &OpRow{Op: op}
		ops[op] = o
	}
	return o
}

// limitOf is the orders/s at which one key reaches its partition limit.
func limitOf(wcuPerOrder, rcuPerOrder float64) float64 {
	lim := math.Inf(1)
	if wcuPerOrder > 0 {
		lim = KeyWCULimit / wcuPerOrder
	}
	if rcuPerOrder > 0 {
		lim = math.Min(lim, KeyRCULimit/rcuPerOrder)
	}
	return lim
}

// warmSpread is the round trips of the last warm invocations of op.
func warmSpread(invs map[int64]Invocation, perInv map[int64]int, op string, warm int) Spread {
	var ids []int64
	for id, inv := range invs {
		if inv.Op == op {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	if len(ids) > warm {
		ids = ids[len(ids)-warm:]
	}
	if len(ids) == 0 {
		return Spread{}
	}
	rt := make([]float64, len(ids))
	for i, id := range ids {
		rt[i] = float64(perInv[id])
	}
	slices.Sort(rt)
	return Spread{Median: rt[len(rt)/2], Max: rt[len(rt)-1], N: len(rt)}
}

// Misses lists the targets the report misses.
func (r Report) Misses(t Targets) []string {
	var m []string
	if r.Ceiling < t.Ceiling {
		m = append(m, fmt.Sprintf("ceiling %.0f orders/s < %.0f (%s)", r.Ceiling, t.Ceiling, r.CeilingKey))
	}
	if r.WarmOrder.N == 0 || r.WarmOrder.Median > t.WarmOrder {
		m = append(m, fmt.Sprintf("warm order %g round trips > %g", r.WarmOrder.Median, t.WarmOrder))
	}
	if r.WarmApprove.N == 0 || r.WarmApprove.Median > t.WarmApprove {
		m = append(m, fmt.Sprintf("warm approve %g round trips > %g", r.WarmApprove.Median, t.WarmApprove))
	}
	if r.MaxConsistentRCU > t.MaxConsistentRCU {
		m = append(m, fmt.Sprintf("%s read %.2f RCU per order by consistent reads > %g", r.MaxConsistentKey, r.MaxConsistentRCU, t.MaxConsistentRCU))
	}
	if r.Reads != nil {
		m = append(m, r.Reads.Misses(t)...)
	}
	return m
}

// Print writes the report's tables; top bounds the key table (0: all);
// explain breaks the load of that many of the hottest shapes down by cause.
func (r Report) Print(w io.Writer, top, explain int) {
	n := float64(max(r.Orders, 1))
	fmt.Fprintf(w, "workload: %d orders of %d lines from one provider hub for %d customers (a hub orders for many), %d approves by one vendor; relay, fulfillment worker and webhook dispatcher delivering to a local receiver (a webhook on each account)\n\n",
		r.Orders, r.Lines, r.Customers, r.Approves)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\tinvocations\trecords\tround trips\tround trips/inv\tWCU\tRCU\tWCU/order\tRCU/order\t")
	for _, o := range r.Ops {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.2f\t%.1f\t%.1f\t%.2f\t%.2f\t\n", o.Op, o.Invocations, o.Records, o.Calls,
			float64(o.Calls)/float64(max(o.Invocations, 1)), o.WCU, o.RCU, o.WCU/n, o.RCU/n)
	}
	fmt.Fprintf(tw, "total\t\t\t\t\t%.1f\t%.1f\t%.2f\t%.2f\t\n", r.TotalWCU, r.TotalRCU, r.TotalWCU/n, r.TotalRCU/n)
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "key shape (largest concrete key)\tkeys\tWCU/order\tRCU/order\tconsistent RCU/order\tceiling orders/s\tWCU/s at 1,000 orders/s\tRCU/s at 1,000 orders/s\t")
	for i, k := range r.Keys {
		if top > 0 && i == top {
			fmt.Fprintf(tw, "… %d more shapes\t\t\t\t\t\t\t\t\n", len(r.Keys)-top)
			break
		}
		if k.PerEntity {
			fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.2f\t%.2f\tper entity (%.0f WCU in one key's life)\t—\t—\t\n", k.Shape, k.Keys, k.WCU, k.RCU, k.ConsistentRCU, k.Life)
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.2f\t%.2f\t%s\t%.0f\t%.0f\t\n", k.Shape, k.Keys, k.WCU, k.RCU, k.ConsistentRCU, ceiling(limitOf(k.WCU, k.RCU)), 1000*k.WCU, 1000*k.RCU)
	}
	tw.Flush()
	fmt.Fprintln(w)
	for i, k := range r.Keys[:min(explain, len(r.Keys))] {
		if i == 0 {
			fmt.Fprintln(w, "where the hottest keys' load comes from (per order, by operation · DynamoDB call):")
		}
		fmt.Fprintf(w, "  %s\n", k.Shape)
		for _, c := range k.Causes {
			fmt.Fprintf(w, "    %-48s %7.2f WCU %7.2f RCU\n", c.What, c.WCU, c.RCU)
		}
	}
	if explain > 0 {
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "warm order: %g round trips (median of the last %d; max %g) · warm approve: %g (median of the last %d; max %g)\n",
		r.WarmOrder.Median, r.WarmOrder.N, r.WarmOrder.Max, r.WarmApprove.Median, r.WarmApprove.N, r.WarmApprove.Max)
}

// Summary is the one line a run ends with.
func (r Report) Summary(t Targets) string {
	verdict := "targets met"
	if m := r.Misses(t); len(m) > 0 {
		verdict = "targets missed: " + strings.Join(m, "; ")
	}
	return fmt.Sprintf("scale: one-vendor ceiling %s orders/s (hottest: %s) · %.1f WCU + %.1f RCU per order · warm order %g round trips, warm approve %g · max consistent RCU/order on one key %.2f · %s",
		ceiling(r.Ceiling), r.CeilingKey, r.TotalWCU/float64(max(r.Orders, 1)), r.TotalRCU/float64(max(r.Orders, 1)),
		r.WarmOrder.Median, r.WarmApprove.Median, r.MaxConsistentRCU, verdict)
}

func ceiling(v float64) string {
	if math.IsInf(v, 1) {
		return "∞"
	}
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}
