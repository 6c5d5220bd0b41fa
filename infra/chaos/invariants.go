package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/webhook"
)

// DLQs are the template's dead-letter queues and the relay's on-failure
// destination, by logical id.
var DLQs = []string{"FulfillmentDLQ", "WebhookDLQ", "UsageDLQ", "BillingDLQ", "RelayFailureQueue"}

// Expect is what a scenario meant to happen, so that Check tells a planned
// outcome from a loss.
type Expect struct {
	// Accepted are the ids of the orders the clients were answered 201 (or
	// a replay of it) for. Each must exist; no other order may.
	Accepted []string
	// Settled means every request was worked to the end, so a request still
	// pending, or an order not rolled up, is stuck.
	Settled bool
	// DLQ is how many messages each DLQ was meant to receive; the rest must
	// be empty.
	DLQ map[string]int
}

// Sources are where Check reads.
type Sources struct {
	DynamoDB *dynamodb.Client
	Table    string
	SQS      *sqs.Client
	// Queues maps the DLQ logical ids to their URLs.
	Queues map[string]string
	// Received, when set, is how many times the webhook receiver verified
	// a delivery id: a delivery recorded as succeeded must have arrived.
	Received func(deliveryID string) int
	// ReceiverURL, when set, limits the webhooks checked to those that
	// point at it: a test package's tests share the stack, and an earlier
	// test's webhooks point at a receiver that is gone.
	ReceiverURL string
	// Since limits the orders checked to those created after it, so that
	// earlier scenarios' orders do not count against Expect.Accepted.
	Since time.Time
}

// Report counts what Check saw and lists every broken invariant.
type Report struct {
	Orders, Assets, Requests, Events, Deliveries int
	Violations                                   []string
}

func (r *Report) violate(format string, args ...any) {
	r.Violations = append(r.Violations, fmt.Sprintf(format, args...))
}

// String is a one-line summary.
func (r Report) String() string {
	return fmt.Sprintf("%d orders, %d assets, %d requests, %d events, %d deliveries; %d violations",
		r.Orders, r.Assets, r.Requests, r.Events, r.Deliveries, len(r.Violations))
}

// item is the union of the stored attributes Check reads.
type item struct {
	PK        string   `dynamodbav:"pk"`
	SK        string   `dynamodbav:"sk"`
	Entity    string   `dynamodbav:"entity"`
	Doc       string   `dynamodbav:"doc"`
	ID        string   `dynamodbav:"id"`
	Type      string   `dynamodbav:"type"`
	Account   string   `dynamodbav:"account"`
	Created   string   `dynamodbav:"created"`
	Data      string   `dynamodbav:"data"`
	Relayed   []string `dynamodbav:"relayed,stringset,omitempty"`
	WebhookID string   `dynamodbav:"webhook_id"`
	EventID   string   `dynamodbav:"event_id"`
	Status    string   `dynamodbav:"status"`
	Events    []string `dynamodbav:"events"`
	Products  []string `dynamodbav:"products"`
	Active    bool     `dynamodbav:"active"`
	URL       string   `dynamodbav:"url"`
}

type order struct {
	ID         string    `json:"id"`
	Status     string    `json:"status"`
	ProviderID string    `json:"providerId"`
	Created    time.Time `json:"creationDate"`
	LineItems  []struct {
		SubscriptionID string `json:"subscriptionId"`
		RequestID      string `json:"requestId"`
	} `json:"lineItems"`
}

type request struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Status string `json:"status"`
	Asset  struct {
		ID     string `json:"id"`
		Vendor struct {
			ID string `json:"id"`
		} `json:"vendor"`
	} `json:"asset"`
}

// snapshot is the table, sorted into what Check compares.
type snapshot struct {
	orders     []order
	assets     map[string]bool
	requests   map[string]request
	purchases  map[string]int // asset id → purchase requests
	events     []item
	relayed    map[string][]string // event id → the routes its relay mark names
	webhooks   []item
	deliveries map[[2]string]int // (webhook, event) → delivery records
	delStatus  map[[2]string]string
	delID      map[[2]string]string
	files      []item
}

// Check reads the whole table and the DLQs and reports every invariant
// that does not hold. It is meant for a quiet platform: call it through
// Settle, which retries while the asynchronous parts catch up.
func Check(ctx context.Context, src Sources, exp Expect) (Report, error) {
	snap, err := scan(ctx, src)
	if err != nil {
		return Report{}, err
	}
	var r Report
	r.Assets, r.Requests, r.Events = len(snap.assets), len(snap.requests), len(snap.events)
	checkOrders(&r, snap, exp, src.Since)
	checkEvents(&r, snap)
	checkDeliveries(&r, snap, src.Received, src.ReceiverURL)
	checkFiles(&r, snap)
	if err := checkDLQs(ctx, &r, src, exp); err != nil {
		return Report{}, err
	}
	return r, nil
}

func scan(ctx context.Context, src Sources) (*snapshot, error) {
	s := &snapshot{assets: map[string]bool{}, requests: map[string]request{}, purchases: map[string]int{}, relayed: map[string][]string{},
		deliveries: map[[2]string]int{}, delStatus: map[[2]string]string{}, delID: map[[2]string]string{}}
	p := dynamodb.NewScanPaginator(src.DynamoDB, &dynamodb.ScanInput{TableName: aws.String(src.Table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("chaos: scan %s: %w", src.Table, err)
		}
		var items []item
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &items); err != nil {
			return nil, fmt.Errorf("chaos: decode scan page: %w", err)
		}
		for _, it := range items {
			if err := s.add(it); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

func (s *snapshot) add(it item) error {
	switch {
	case it.Entity == "order":
		var o order
		if err := json.Unmarshal([]byte(it.Doc), &o); err != nil {
			return fmt.Errorf("chaos: order %s: %w", it.SK, err)
		}
		s.orders = append(s.orders, o)
	case it.Entity == "asset":
		s.assets[strings.TrimPrefix(it.PK, "ASSET#")] = true
	case it.Entity == "request":
		var rq request
		if err := json.Unmarshal([]byte(it.Doc), &rq); err != nil {
			return fmt.Errorf("chaos: request %s: %w", it.SK, err)
		}
		s.requests[rq.ID] = rq
		if rq.Type == "purchase" {
			s.purchases[rq.Asset.ID]++
		}
	case strings.HasPrefix(it.PK, "EVENT#") && it.SK == "RELAYED":
		s.relayed[it.ID] = it.Relayed
	case strings.HasPrefix(it.PK, "EVENT#"):
		s.events = append(s.events, it)
	case it.Entity == "webhook":
		s.webhooks = append(s.webhooks, it)
	case it.Entity == "webhook_delivery":
		k := [2]string{it.WebhookID, it.EventID}
		s.deliveries[k]++
		s.delStatus[k] = it.Status
		s.delID[k] = it.ID
	case it.Entity == "usage_file":
		s.files = append(s.files, it)
	}
	return nil
}

// checkOrders: every accepted order exists with its assets, purchase
// requests and events, nothing else was created, and nothing is stuck.
func checkOrders(r *Report, s *snapshot, exp Expect, since time.Time) {
	accepted := map[string]bool{}
	for _, id := range exp.Accepted {
		accepted[id] = true
	}
	created := eventsOf(s.events, event.OrderCreated)
	reqCreated := eventsOf(s.events, event.RequestCreated)
	found := map[string]bool{}
	for _, o := range s.orders {
		if o.Created.Before(since) {
			continue
		}
		r.Orders++
		found[o.ID] = true
		if !accepted[o.ID] {
			r.violate("order %s exists but no client was told it was accepted (a duplicate or a half-answered write)", o.ID)
		}
		if n := created[o.ID]; n != 1 {
			r.violate("order %s has %d order.created events, want 1", o.ID, n)
		}
		approved := 0
		for _, l := range o.LineItems {
			if !s.assets[l.SubscriptionID] {
				r.violate("order %s: asset %s is missing", o.ID, l.SubscriptionID)
			}
			rq, ok := s.requests[l.RequestID]
			if !ok {
				r.violate("order %s: request %s is missing", o.ID, l.RequestID)
				continue
			}
			if n := s.purchases[l.SubscriptionID]; n != 1 {
				r.violate("asset %s has %d purchase requests, want 1", l.SubscriptionID, n)
			}
			if n := reqCreated[l.RequestID]; n != 2 {
				r.violate("request %s has %d request.created events, want 2 (vendor and provider)", l.RequestID, n)
			}
			if rq.Status == "approved" {
				approved++
			}
			if exp.Settled && rq.Status != "approved" && rq.Status != "failed" {
				r.violate("request %s is stuck in %s", rq.ID, rq.Status)
			}
		}
		if exp.Settled && approved == len(o.LineItems) && o.Status != "completed" {
			r.violate("order %s is %s although every line is approved (not rolled up)", o.ID, o.Status)
		}
	}
	for id := range accepted {
		if !found[id] {
			r.violate("order %s was accepted but is not stored", id)
		}
	}
}

// eventsOf counts the events of type t by the id of the object they carry.
func eventsOf(evs []item, t event.Type) map[string]int {
	out := map[string]int{}
	for _, e := range evs {
		if e.Type != string(t) {
			continue
		}
		var d struct {
			ID string `json:"id"`
		}
		if json.Unmarshal([]byte(e.Data), &d) == nil {
			out[d.ID]++
		}
	}
	return out
}

// checkEvents: the relay sent every event to every route of its type.
func checkEvents(r *Report, s *snapshot) {
	for _, e := range s.events {
		for _, rt := range event.Routes(event.Type(e.Type)) {
			if !slices.Contains(s.relayed[e.ID], string(rt)) {
				r.violate("event %s (%s) was not relayed to %s", e.ID, e.Type, rt)
			}
		}
	}
}

// checkDeliveries: every event reached every matching webhook of its
// account exactly once as a delivery record, and that delivery succeeded.
// Events older than a webhook are not owed to it.
func checkDeliveries(r *Report, s *snapshot, received func(string) int, receiverURL string) {
	for _, w := range s.webhooks {
		if receiverURL != "" && !strings.HasPrefix(w.URL, receiverURL) {
			continue
		}
		if !w.Active {
			r.violate("webhook %s was disabled", w.ID)
			continue
		}
		wh := webhook.Webhook{Active: true, Events: w.Events, Products: w.Products}
		for _, e := range s.events {
			if e.Account != w.Account || before(e.Created, w.Created) {
				continue
			}
			ev := event.Event{ID: e.ID, Type: event.Type(e.Type), Account: e.Account, Data: json.RawMessage(e.Data)}
			if !wh.Matches(ev) {
				continue
			}
			k := [2]string{w.ID, e.ID}
			r.Deliveries += s.deliveries[k]
			switch n := s.deliveries[k]; {
			case n != 1:
				r.violate("event %s (%s) has %d delivery records for webhook %s, want 1", e.ID, e.Type, n, w.ID)
			case s.delStatus[k] != webhook.StatusSucceeded:
				r.violate("delivery of event %s to webhook %s is %s", e.ID, w.ID, s.delStatus[k])
			case received != nil && received(s.delID[k]) == 0:
				r.violate("delivery %s is recorded as succeeded but never reached the receiver", s.delID[k])
			}
		}
	}
}

// before compares two stored RFC 3339 times; as strings they do not sort
// (".1Z" > ".12Z"). An unreadable time counts as before, owing nothing.
func before(a, b string) bool {
	ta, errA := time.Parse(time.RFC3339Nano, a)
	tb, errB := time.Parse(time.RFC3339Nano, b)
	return errA != nil || errB != nil || ta.Before(tb)
}

// checkFiles: no usage file is left processing.
func checkFiles(r *Report, s *snapshot) {
	for _, f := range s.files {
		var d struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		}
		if json.Unmarshal([]byte(f.Doc), &d) == nil && d.Status == "processing" {
			r.violate("usage file %s is stuck in processing", d.ID)
		}
	}
}

// checkDLQs: each DLQ holds exactly what the scenario meant to put there.
func checkDLQs(ctx context.Context, r *Report, src Sources, exp Expect) error {
	names := make([]string, 0, len(src.Queues))
	for name := range src.Queues {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		n, err := QueueDepth(ctx, src.SQS, src.Queues[name])
		if err != nil {
			return err
		}
		if want := exp.DLQ[name]; n != want {
			r.violate("%s holds %d messages, want %d", name, n, want)
		}
	}
	return nil
}

// QueueDepth is how many messages a queue holds, visible or in flight.
func QueueDepth(ctx context.Context, c *sqs.Client, url string) (int, error) {
	out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{
		sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
	}})
	if err != nil {
		return 0, fmt.Errorf("chaos: depth of %s: %w", url, err)
	}
	total := 0
	for _, v := range out.Attributes {
		n, _ := strconv.Atoi(v)
		total += n
	}
	return total, nil
}

// Settle runs Check until it reports no violation or timeout passes, and
// returns the last report: the asynchronous parts (stream, queues,
// retries) need time to catch up after a fault is lifted.
func Settle(ctx context.Context, src Sources, exp Expect, timeout time.Duration) (Report, error) {
	deadline := time.Now().Add(timeout)
	for {
		r, err := Check(ctx, src, exp)
		if err != nil || len(r.Violations) == 0 || time.Now().After(deadline) {
			return r, err
		}
		select {
		case <-ctx.Done():
			return r, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func jsonDecode(raw []byte, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("chaos: decode %s: %w", raw, err)
	}
	return nil
}
