package scale

import (
	"encoding/json"
	"slices"
	"strings"
)

// Message is what one SQS message asks its function to do: an event (a
// job unit, a command, anything the outbox relays), a task, or a bucket
// notification.
type Message struct {
	// Kind is the event's type (job.billing, webhook.recovery_requested),
	// the task's kind (webhook.attempt), or s3:<event name> for a bucket
	// notification; "" when the body is none of those.
	Kind string
	// Run and Step name a unit of a chained job (a billing run's step),
	// when its data carries them.
	Run  string
	Step int
	// Lane marks a unit of one of a run's parallel lanes (its data carries
	// the run's fan-out step): its Step counts the lane's own chain, so it
	// is never the run's last step, however long the lane.
	Lane bool
}

// messageOf reads what an SQS message's body is. It knows the envelopes,
// not the jobs: a new job.* type is measured without a change here.
func messageOf(body string) Message {
	var m struct {
		Type    string          `json:"type"`
		Kind    string          `json:"kind"`
		Data    json.RawMessage `json:"data"`
		Records []struct {
			Source string `json:"eventSource"`
			Name   string `json:"eventName"`
		} `json:"Records"`
	}
	if json.Unmarshal([]byte(body), &m) != nil {
		return Message{}
	}
	switch {
	case m.Type != "":
		var unit struct {
			Run  string `json:"run"`
			Step int    `json:"step"`
			Fan  int    `json:"fan"`
		}
		_ = json.Unmarshal(m.Data, &unit) // data that is no unit names no run
		return Message{Kind: m.Type, Run: unit.Run, Step: unit.Step, Lane: unit.Fan != 0}
	case m.Kind != "":
		return Message{Kind: m.Kind}
	case len(m.Records) > 0 && m.Records[0].Source == "aws:s3":
		return Message{Kind: "s3:" + m.Records[0].Name}
	}
	return Message{}
}

// jobRank orders the kinds of message that are a job's work: a job unit
// (job.*), a command that plans one (*_requested), a task one queued
// (webhook.attempt), an uploaded file. A batch is named by its
// highest-ranked kind; an ordinary event (what the relay and the
// dispatcher carry for every order) is no job's (-1).
func jobRank(kind string) int {
	switch {
	case strings.HasPrefix(kind, "job."):
		return 0
	case strings.HasSuffix(kind, "_requested"):
		return 1
	case strings.HasSuffix(kind, ".attempt"):
		return 2
	case strings.HasPrefix(kind, "s3:"):
		return 3
	}
	return -1
}

// lastSteps is the highest step seen of every run: a chained job's last
// unit (a billing run's invoice step, which closes the period).
func lastSteps(invs map[int64]Invocation) map[string]int {
	last := map[string]int{}
	for _, inv := range invs {
		for _, m := range inv.Messages {
			if m.Run != "" && !m.Lane {
				last[m.Run] = max(last[m.Run], m.Step)
			}
		}
	}
	return last
}

// jobOf names the job an invocation ran: a schedule's op ("billing
// schedule"), or the function's op with the job kinds of its batch
// ("billing batch · job.billing"), marked when it holds a run's last
// step; "" for an invocation that ran no job (an API request, a relay
// batch, a delivery of an ordinary event).
func jobOf(inv Invocation, last map[string]int) string {
	if strings.HasSuffix(inv.Op, " schedule") {
		return inv.Op
	}
	best := -1
	for _, m := range inv.Messages {
		if r := jobRank(m.Kind); r >= 0 && (best < 0 || r < best) {
			best = r
		}
	}
	if best < 0 {
		return ""
	}
	var kinds []string
	closing := false
	for _, m := range inv.Messages {
		if jobRank(m.Kind) != best {
			continue
		}
		if !slices.Contains(kinds, m.Kind) {
			kinds = append(kinds, m.Kind)
		}
		closing = closing || (m.Run != "" && !m.Lane && m.Step == last[m.Run])
	}
	slices.Sort(kinds)
	name := inv.Op + " · " + strings.Join(kinds, "+")
	if closing {
		name += " (a run's last step)"
	}
	return name
}

// jobSet keeps, for every job, its largest single invocation at each
// size: the one with the most DynamoDB calls, then the most items.
type jobSet struct {
	by map[string]*Measure
}

// observe takes the invocations recorded at size i (0 for H, 1 for 10·H).
func (js *jobSet) observe(i int, calls []Call, invs map[int64]Invocation) {
	if js.by == nil {
		js.by = map[string]*Measure{}
	}
	last := lastSteps(invs)
	by := map[int64][]Call{}
	for _, c := range calls {
		by[c.Inv] = append(by[c.Inv], c)
	}
	for id, inv := range invs {
		name := jobOf(inv, last)
		if name == "" {
			continue
		}
		m := js.by[name]
		if m == nil {
			m = &Measure{Name: name, Function: inv.Function}
			js.by[name] = m
		}
		var n Measure
		n.set(0, by[id], inv.Took)
		// The most calls any invocation made, with its units and
		// durations, and the most items any invocation read or wrote:
		// the two need not be one invocation's (a billing step that ends
		// its lane's shards makes a Query more on fewer assets), and
		// holding the items of the one with the most calls made the
		// items' ratio a draw between steps of 208 and 209 calls.
		first := !m.Seen[i]
		if first || n.Calls[0] > m.Calls[i] {
			m.Calls[i], m.RCU[i], m.WCU[i], m.AWS[i], m.Took[i], m.Seen[i] = n.Calls[0], n.RCU[0], n.WCU[0], n.AWS[0], n.Took[0], true
		}
		if first || n.Items[0] > m.Items[i] {
			m.Items[i] = n.Items[0]
		}
	}
}

// measures are the jobs observed, by name.
func (js *jobSet) measures() []Measure {
	var out []Measure
	for _, m := range js.by {
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b Measure) int { return strings.Compare(a.Name, b.Name) })
	return out
}
