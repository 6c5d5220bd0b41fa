// Package relay publishes the outbox: it reads the table's stream, and for
// every committed event item sends the event to the SQS queue of each route
// its type has. It marks what it sent in a small item beside the event, so
// that a batch the stream delivers again is not published twice.
package relay

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"go.opentelemetry.io/otel/trace"

	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/logging"
	"github.com/mercato-dev/mercato/internal/metrics"
	"github.com/mercato-dev/mercato/internal/tracing"
)

// SQS is the part of the SQS client the relay uses.
type SQS interface {
	SendMessageBatch(context.Context, *sqs.SendMessageBatchInput, ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

// Config wires a Relay.
type Config struct {
	Table  *dynamo.Table
	SQS    SQS
	Queues map[event.Route]string // route → queue URL
	Logger *slog.Logger
	// Metrics records each publication's lag; nil records none.
	Metrics *metrics.Recorder
}

// Relay is the stream handler.
type Relay struct {
	cfg Config
}

// New checks that every route has a queue, so that no event type is
// silently dropped.
func New(cfg Config) (*Relay, error) {
	for _, r := range []event.Route{event.RouteFulfillment, event.RouteWebhook, event.RouteBilling, event.RouteUsage} {
		if cfg.Queues[r] == "" {
			return nil, fmt.Errorf("relay: no queue URL for route %s", r)
		}
	}
	return &Relay{cfg: cfg}, nil
}

// pending is one outbox event of the batch with the routes it still needs.
type pending struct {
	seq     string
	ev      event.Event
	body    string
	routes  []event.Route
	expires int64 // the event item's expires_at, which its mark shares
	// trace is the X-Amzn-Trace-Id of the event's relay span, which the
	// SQS message carries on to the consumer.
	trace string
}

// Handle publishes the events of a stream batch, then adds the batch's
// changes to the list counts. Records are handled in order; at the first
// failure it reports that record's sequence number, so that Lambda retries
// from there and everything before it counts as done.
func (r *Relay) Handle(ctx context.Context, in events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	// A batch mixes many events, so its lines carry the invocation's id; off
	// Lambda, the first stream record's id stands in for it.
	first := ""
	if len(in.Records) > 0 {
		first = in.Records[0].EventID
	}
	ctx, _ = logging.WithScope(ctx, logging.InvocationID(ctx, first))
	batch, failedAt := r.collect(ctx, in.Records)
	defer r.trace(ctx, batch)()
	if seq := r.relay(ctx, batch); seq != "" && (failedAt == "" || seqLess(seq, failedAt)) {
		failedAt = seq
	}
	if err := r.applyCounts(ctx, countDeltas(settled(in.Records, failedAt), countShard(in.Records))); err != nil && len(in.Records) > 0 {
		return failFrom(in.Records[0].Change.SequenceNumber), nil
	}
	if failedAt != "" {
		return failFrom(failedAt), nil
	}
	return events.DynamoDBEventResponse{}, nil
}

// relay publishes the batch's events to the routes they still need and
// returns the sequence number of the first that failed, or "".
func (r *Relay) relay(ctx context.Context, batch []pending) string {
	if len(batch) == 0 {
		return ""
	}
	sent, err := r.alreadyRelayed(ctx, batch)
	if err != nil {
		return batch[0].seq
	}
	for i := range batch {
		batch[i].routes = slices.DeleteFunc(batch[i].routes, func(rt event.Route) bool {
			return slices.Contains(sent[batch[i].ev.ID], string(rt))
		})
	}
	return r.publish(ctx, batch)
}

// settled returns the records before failedAt (all when it is ""): those
// Lambda will not deliver again, whose list counts this batch applies.
func settled(records []events.DynamoDBEventRecord, failedAt string) []events.DynamoDBEventRecord {
	if failedAt == "" {
		return records
	}
	for i, rec := range records {
		if !seqLess(rec.Change.SequenceNumber, failedAt) {
			return records[:i]
		}
	}
	return records
}

// collect decodes the outbox inserts of the batch. A record that cannot be
// decoded stops the batch there: retrying cannot fix it, but skipping it
// would lose an event, so it goes to the on-failure destination after the
// retries, where an operator sees it.
func (r *Relay) collect(ctx context.Context, records []events.DynamoDBEventRecord) ([]pending, string) {
	var out []pending
	for _, rec := range records {
		if rec.EventName != string(events.DynamoDBOperationTypeInsert) || !dynamo.IsEventKey(rec.Change.Keys) {
			continue
		}
		var it dynamo.EventItem
		err := dynamo.DecodeStreamImage(rec.Change.NewImage, &it)
		var ev event.Event
		if err == nil {
			ev, err = it.Event()
		}
		var body []byte
		if err == nil {
			body, err = json.Marshal(ev)
		}
		if err != nil {
			r.cfg.Logger.ErrorContext(ctx, "relay: undecodable outbox record", slog.String("sequence", rec.Change.SequenceNumber), slog.String("error", err.Error()))
			return out, rec.Change.SequenceNumber
		}
		out = append(out, pending{seq: rec.Change.SequenceNumber, ev: ev, body: string(body), routes: event.Routes(ev.Type), expires: it.ExpiresAt, trace: it.Trace})
	}
	return out, ""
}

// trace starts one span per event, as a child of the request that committed
// it, and points the event's message at that span; the returned function
// ends the spans. The tracer is the invocation's (none: no spans).
func (r *Relay) trace(ctx context.Context, batch []pending) func() {
	tracer := trace.SpanFromContext(ctx).TracerProvider().Tracer("mercato/relay")
	spans := make([]trace.Span, 0, len(batch))
	for i := range batch {
		p := &batch[i]
		sctx, span := tracer.Start(tracing.Extract(ctx, p.trace), "relay "+string(p.ev.Type),
			trace.WithSpanKind(trace.SpanKindProducer), trace.WithLinks(trace.LinkFromContext(ctx)))
		p.trace = tracing.Header(sctx)
		spans = append(spans, span)
	}
	return func() {
		for _, s := range spans {
			s.End()
		}
	}
}

// alreadyRelayed reads the routes each event was already sent to, with one
// BatchGetItem per 100 events.
func (r *Relay) alreadyRelayed(ctx context.Context, batch []pending) (map[string][]string, error) {
	keys := make([]dynamo.Key, len(batch))
	for i, p := range batch {
		keys[i] = dynamo.RelayMarkKey(p.ev.ID)
	}
	items, err := dynamo.BatchGet[dynamo.RelayMark](ctx, r.cfg.Table, dynamo.BatchRead{
		Keys: keys, Consistent: true, Projection: "id, relayed",
	})
	if err != nil {
		r.cfg.Logger.ErrorContext(ctx, "relay: read relay marks", slog.String("error", err.Error()))
		return nil, fmt.Errorf("relay: read marks: %w", err)
	}
	out := make(map[string][]string, len(items))
	for _, it := range items {
		out[it.ID] = it.Relayed
	}
	return out, nil
}

// publish sends each event to its remaining routes, grouped per queue in
// batches of ten, then marks on each event the routes that succeeded, so
// that a retry sends only what is missing. It returns the sequence number of
// the first event with a failed route, or "".
func (r *Relay) publish(ctx context.Context, batch []pending) string {
	failed := map[int]map[event.Route]bool{}
	byRoute := map[event.Route][]int{}
	for i, p := range batch {
		for _, rt := range p.routes {
			byRoute[rt] = append(byRoute[rt], i)
		}
	}
	for rt, idxs := range byRoute {
		for chunk := range slices.Chunk(idxs, 10) {
			for _, i := range r.send(ctx, rt, batch, chunk) {
				if failed[i] == nil {
					failed[i] = map[event.Route]bool{}
				}
				failed[i][rt] = true
			}
		}
	}
	firstFailed := ""
	for i, p := range batch {
		sent := slices.DeleteFunc(slices.Clone(p.routes), func(rt event.Route) bool { return failed[i][rt] })
		ok := len(failed[i]) == 0
		if len(sent) > 0 {
			if err := r.mark(ctx, p, sent); err != nil {
				// The sends happened; a retry re-sends, which consumers
				// tolerate because they dedupe on the event id.
				r.cfg.Logger.WarnContext(ctx, "relay: mark event", slog.String("event_id", p.ev.ID), slog.String("error", err.Error()))
				ok = false
			}
		}
		if !ok && firstFailed == "" {
			firstFailed = p.seq
		}
		for _, rt := range sent {
			r.cfg.Metrics.Duration(ctx, metrics.RelayLag, time.Since(p.ev.Created), metrics.Dimension{Name: "Route", Value: string(rt)})
		}
	}
	return firstFailed
}

// send sends the events at idxs to route's queue and returns the indexes
// that failed.
func (r *Relay) send(ctx context.Context, rt event.Route, batch []pending, idxs []int) []int {
	entries := make([]sqstypes.SendMessageBatchRequestEntry, 0, len(idxs))
	for n, i := range idxs {
		p := batch[i]
		entries = append(entries, sqstypes.SendMessageBatchRequestEntry{
			Id:          aws.String(fmt.Sprint(n)),
			MessageBody: aws.String(p.body),
			MessageAttributes: map[string]sqstypes.MessageAttributeValue{
				event.TypeAttribute: {DataType: aws.String("String"), StringValue: aws.String(string(p.ev.Type))},
				"event_id":          {DataType: aws.String("String"), StringValue: aws.String(p.ev.ID)},
			},
		})
		if p.trace != "" {
			entries[len(entries)-1].MessageAttributes[tracing.HeaderKey] = sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(p.trace)}
		}
	}
	res, err := r.cfg.SQS.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(r.cfg.Queues[rt]), Entries: entries})
	if err != nil {
		r.cfg.Logger.ErrorContext(ctx, "relay: send batch", slog.String("route", string(rt)), slog.String("error", err.Error()))
		return idxs
	}
	var failed []int
	for _, f := range res.Failed {
		var n int
		if _, err := fmt.Sscan(aws.ToString(f.Id), &n); err == nil && n < len(idxs) {
			failed = append(failed, idxs[n])
			r.cfg.Logger.ErrorContext(ctx, "relay: send entry", slog.String("route", string(rt)),
				slog.String("event_id", batch[idxs[n]].ev.ID), slog.String("code", aws.ToString(f.Code)))
		}
	}
	return failed
}

// mark adds the routes sent to the event's relay mark. The mark is its own
// small item, so this costs one write unit however large the event is, and
// it expires with the event (an event replayed after expiry gets a mark
// that DynamoDB removes at once).
func (r *Relay) mark(ctx context.Context, p pending, sent []event.Route) error {
	routes := make([]string, 0, len(sent))
	for _, rt := range sent {
		routes = append(routes, string(rt))
	}
	upd := expression.Add(expression.Name("relayed"), expression.Value(&types.AttributeValueMemberSS{Value: routes})).
		Set(expression.Name("id"), expression.Value(p.ev.ID)).
		Set(expression.Name(dynamo.TTLKey), expression.Value(p.expires))
	expr, err := expression.NewBuilder().WithUpdate(upd).Build()
	if err != nil {
		return err
	}
	_, err = r.cfg.Table.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &r.cfg.Table.Name,
		Key:                       dynamo.RelayMarkKey(p.ev.ID).AV(),
		UpdateExpression:          expr.Update(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	return err
}

func failFrom(seq string) events.DynamoDBEventResponse {
	return events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{{ItemIdentifier: seq}}}
}

// seqLess compares stream sequence numbers, which are decimal strings of
// varying length.
func seqLess(a, b string) bool {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}
