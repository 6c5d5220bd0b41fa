package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mercato-dev/mercato/internal/consumer"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/logging"
	"github.com/mercato-dev/mercato/internal/metrics"
	"github.com/mercato-dev/mercato/internal/sleep"
)

// Queue is the webhook queue, on which the dispatcher schedules attempts
// (sqsqueue.Queue sends to SQS). It names no SQS type, so that the API,
// whose dispatcher only makes test attempts, does not link the SQS client,
// whose package initialisation ran at each of its cold starts.
type Queue interface {
	// Send sends one message.
	Send(ctx context.Context, m QueueMessage) error
	// SendBatch sends up to ten messages in one call, and fails when the
	// queue refuses any of them.
	SendBatch(ctx context.Context, ms []QueueMessage) error
}

// QueueMessage is a message on the webhook queue.
type QueueMessage struct {
	Body string
	// DelaySeconds is the message's timer, at most 900.
	DelaySeconds int32
	// Kind, when set, is the message's "kind" attribute.
	Kind string
}

// Defaults of DispatcherConfig.
const (
	// DefaultDisableAfter is how long an endpoint may fail without a single
	// success before it is disabled.
	DefaultDisableAfter = 5 * 24 * time.Hour
	defaultConcurrency  = 32
	// maxDelay is the longest SQS message timer (DelaySeconds 900). A later
	// attempt hops: its message comes back every 15 minutes and is sent
	// again until it is due.
	maxDelay = 900 * time.Second
	// claimAfter is how old a delivery with no attempt must be before a
	// re-sent event attempts it: older than any invocation (Timeout 60 s),
	// so that the invocation that created it crashed rather than is still
	// working on it.
	claimAfter = 2 * time.Minute
	// attemptMargin is the invocation time an inline attempt needs beyond
	// the client's attempt timeout (to record it); with less left, the
	// attempt is queued instead.
	attemptMargin = 5 * time.Second
)

// DispatcherConfig wires a Dispatcher.
type DispatcherConfig struct {
	Store    *DynamoStore
	Client   *Client
	Queue    Queue // nil for the API, which only makes test attempts
	Schedule Schedule
	// DisableAfter defaults to DefaultDisableAfter.
	DisableAfter time.Duration
	// Concurrency bounds the requests in flight (default 32).
	Concurrency int
	// RecoveryPage bounds the failed deliveries a recovery unit reads
	// (0: RecoveryPage).
	RecoveryPage int
	Now          func() time.Time
	Logger       *slog.Logger
	// Metrics records each attempt's outcome and latency; nil records none.
	Metrics *metrics.Recorder
}

// Dispatcher is the webhook queue's consumer: it fans events out into
// deliveries, makes the attempts, records them, and schedules retries.
type Dispatcher struct {
	cfg   DispatcherConfig
	store store
	slots chan struct{}
	log   *slog.Logger
}

// NewDispatcher returns a dispatcher on the table.
func NewDispatcher(cfg DispatcherConfig) *Dispatcher { return newDispatcher(cfg, cfg.Store) }

func newDispatcher(cfg DispatcherConfig, st store) *Dispatcher {
	if cfg.DisableAfter == 0 {
		cfg.DisableAfter = DefaultDisableAfter
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = defaultConcurrency
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Dispatcher{cfg: cfg, store: st, slots: make(chan struct{}, cfg.Concurrency), log: cfg.Logger}
}

// taskKind marks the dispatcher's own messages on the webhook queue; every
// other message is an event envelope from the relay.
const taskKind = "webhook.attempt"

// task is a message that asks for one attempt of one delivery at Due: a
// retry of the schedule, or a manual resend. Attempt is the number of the
// attempt it makes; a task whose attempt was recorded already is dropped,
// which makes duplicate messages harmless.
type task struct {
	Kind       string `json:"kind"`
	Account    string `json:"account"`
	WebhookID  string `json:"webhook_id"`
	DeliveryID string `json:"delivery_id"`
	// EventID lets the attempt read the delivery and its body (the
	// event's item) in one call; a task queued without it reads them in
	// turn.
	EventID string    `json:"event_id,omitempty"`
	Attempt int       `json:"attempt"`
	Due     time.Time `json:"due"`
	Manual  bool      `json:"manual,omitempty"`
}

// Handle processes a batch. Messages run concurrently (one slow endpoint
// must not hold up the batch), each with consumer.Batch's isolation: a
// failure or panic fails that message only. The batch's attempts are
// counted at its end, one update per webhook.
func (d *Dispatcher) Handle(ctx context.Context, in events.SQSEvent) (events.SQSEventResponse, error) {
	var mu sync.Mutex
	var resp events.SQSEventResponse
	var wg sync.WaitGroup
	b := newBatch()
	handle := func(ctx context.Context, msg events.SQSMessage) error { return d.message(ctx, msg, b) }
	for _, msg := range in.Records {
		wg.Go(func() {
			r := consumer.Batch(ctx, d.log, "dispatcher", events.SQSEvent{Records: []events.SQSMessage{msg}}, handle)
			mu.Lock()
			resp.BatchItemFailures = append(resp.BatchItemFailures, r.BatchItemFailures...)
			mu.Unlock()
		})
	}
	wg.Wait()
	d.flush(ctx, b)
	return resp, nil
}

// batch is what the messages of one batch share: the attempts to count at
// its end, and each account's webhooks, read once for all its messages. A
// vendor's peak brings thousands of events a second for one account; read
// per event, its webhooks' partition would take several read units an
// order. Read per batch, they are as fresh as the batch.
type batch struct {
	*tally
	mu    sync.Mutex
	hooks map[string]*hookList // by account
}

type hookList struct {
	mu   sync.Mutex
	read bool
	eps  []endpoint
}

func newBatch() *batch { return &batch{tally: newTally(), hooks: map[string]*hookList{}} }

func (b *batch) list(account string) *hookList {
	b.mu.Lock()
	defer b.mu.Unlock()
	l := b.hooks[account]
	if l == nil {
		l = &hookList{}
		b.hooks[account] = l
	}
	return l
}

// webhooks returns the account's webhooks, read on the batch's first need
// of them (a failed read is tried again by the next message).
func (b *batch) webhooks(ctx context.Context, st store, account string) ([]endpoint, error) {
	l := b.list(account)
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.read {
		eps, err := st.webhooks(ctx, account)
		if err != nil {
			return nil, err
		}
		l.eps, l.read = eps, true
	}
	return slices.Clone(l.eps), nil
}

// webhook returns one of the account's webhooks: from the batch's read,
// or, for one it did not see, from the store.
func (b *batch) webhook(ctx context.Context, st store, account, id string) (endpoint, error) {
	eps, err := b.webhooks(ctx, st, account)
	if err != nil {
		return endpoint{}, err
	}
	if i := slices.IndexFunc(eps, func(ep endpoint) bool { return ep.ID == id }); i >= 0 {
		return eps[i], nil
	}
	return st.webhook(ctx, account, id)
}

// failing reports whether the batch read webhook k with a failure streak,
// or did not read it: only then may a success need to end a streak.
func (b *batch) failing(k hookRef) bool {
	l := b.list(k.account)
	l.mu.Lock()
	defer l.mu.Unlock()
	i := slices.IndexFunc(l.eps, func(ep endpoint) bool { return ep.ID == k.id })
	return i < 0 || l.eps[i].Stats.failing()
}

// deactivate marks a webhook the batch disabled, so that its later
// messages deliver nothing more to it.
func (b *batch) deactivate(account, id string) {
	l := b.list(account)
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range l.eps {
		if l.eps[i].ID == id {
			l.eps[i].Active = false
		}
	}
}

// flush writes the counts of b's attempts, one update per webhook. A
// failed update is logged, not retried: the attempts are recorded, and
// failing their messages would not count them again.
func (d *Dispatcher) flush(ctx context.Context, b *batch) {
	for k, c := range b.counts() {
		if err := d.store.count(ctx, k.account, k.id, c, b.failing(k)); err != nil {
			d.log.WarnContext(ctx, "dispatcher: counters not updated", slog.String("webhook_id", k.id), slog.String("error", err.Error()))
		}
	}
}

func (d *Dispatcher) message(ctx context.Context, msg events.SQSMessage, b *batch) error {
	var probe struct {
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal([]byte(msg.Body), &probe); err != nil {
		return fmt.Errorf("dispatcher: message %s is not JSON", msg.MessageId)
	}
	if probe.Kind == taskKind {
		var tk task
		if err := json.Unmarshal([]byte(msg.Body), &tk); err != nil || tk.DeliveryID == "" || tk.Attempt < 1 {
			return fmt.Errorf("dispatcher: message %s is not a valid attempt task", msg.MessageId)
		}
		logging.ScopeFrom(ctx).SetAccount(tk.Account)
		return d.runTask(ctx, tk, b)
	}
	var e event.Event
	if err := json.Unmarshal([]byte(msg.Body), &e); err != nil || e.ID == "" || e.Type == "" {
		return fmt.Errorf("dispatcher: message %s is neither an event envelope nor an attempt task", msg.MessageId)
	}
	logging.ScopeFrom(ctx).SetAccount(e.Account)
	n, _ := strconv.Atoi(msg.Attributes["ApproximateReceiveCount"])
	return d.onEvent(ctx, e, n > 1, b)
}

// onEvent handles an event message; redelivered means SQS sent this very
// message before, so the invocation that had it has ended.
func (d *Dispatcher) onEvent(ctx context.Context, e event.Event, redelivered bool, b *batch) error {
	switch e.Type {
	case event.WebhookRedeliveryRequested:
		return d.onRedelivery(ctx, e, b)
	case event.WebhookRecoveryRequested:
		return d.onRecovery(ctx, e)
	case event.JobWebhookRecovery:
		return d.onRecoveryUnit(ctx, e)
	case event.WebhookTest:
		// The API delivered it to its one webhook already.
		return nil
	}
	if !Deliverable(e.Type) {
		return nil
	}
	return d.fanOut(ctx, e, redelivered, b)
}

// FanOut makes one delivery of e for every active webhook of e's account
// whose filters match, and attempts each. It fails when any delivery could
// not be recorded, so that the event is retried; the retry finds the
// deliveries that were made and does not make them again.
func (d *Dispatcher) FanOut(ctx context.Context, e event.Event) error {
	b := newBatch()
	defer d.flush(ctx, b)
	return d.fanOut(ctx, e, false, b)
}

func (d *Dispatcher) fanOut(ctx context.Context, e event.Event, redelivered bool, b *batch) error {
	eps, err := b.webhooks(ctx, d.store, e.Account)
	if err != nil {
		return err
	}
	eps = slices.DeleteFunc(eps, func(ep endpoint) bool { return !ep.Matches(e) })
	if len(eps) == 0 {
		return nil
	}
	body, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("dispatcher: encode event %s: %w", e.ID, err)
	}
	if len(eps) == 1 {
		// The common case runs inline: a goroutine would only grow a new
		// stack for the HTTP call.
		return d.deliverNew(ctx, eps[0], e, body, redelivered, b)
	}
	errs := make([]error, len(eps))
	var wg sync.WaitGroup
	for i, ep := range eps {
		wg.Go(func() { errs[i] = d.deliverNew(ctx, ep, e, body, redelivered, b) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// deliverNew creates the delivery of e to ep and attempts it. A delivery
// that exists already was made by this message before (when redelivered:
// its invocation failed or died after creating it, so nobody else will
// attempt it) or by a duplicate of the event, which may still be working
// on it: that one is left alone unless it has been idle past claimAfter.
func (d *Dispatcher) deliverNew(ctx context.Context, ep endpoint, e event.Event, body []byte, redelivered bool, b *batch) error {
	now := d.cfg.Now().UTC()
	ds := deliveryState{
		ID: DeliveryID(e.ID, e.Created, ep.ID), WebhookID: ep.ID, Account: ep.Account,
		EventID: e.ID, EventType: e.Type, EventCreated: e.Created, Body: body,
		Status: StatusPending, Created: now, Updated: now,
	}
	existing, created, err := d.store.createDelivery(ctx, ds)
	if err != nil {
		return err
	}
	if !created {
		if existing.Status != StatusPending || existing.Attempts > 0 || (!redelivered && now.Sub(existing.Created) < claimAfter) {
			return nil
		}
		ds = existing
		ds.Body = body
	}
	if !d.hasTime(ctx) {
		return d.enqueue(ctx, taskOf(ds, 1, now))
	}
	_, _, err = d.attempt(ctx, ep, ds, 1, TriggerScheduled, b)
	return err
}

// taskOf is the task of attempt n of ds at due.
func taskOf(ds deliveryState, n int, due time.Time) task {
	return task{Kind: taskKind, Account: ds.Account, WebhookID: ds.WebhookID, DeliveryID: ds.ID, EventID: ds.EventID, Attempt: n, Due: due}
}

func (d *Dispatcher) hasTime(ctx context.Context) bool {
	deadline, ok := ctx.Deadline()
	return !ok || time.Until(deadline) > d.cfg.Client.AttemptTimeout()+attemptMargin
}

// runTask makes the attempt a task asks for, once it is due.
func (d *Dispatcher) runTask(ctx context.Context, t task, b *batch) error {
	if wait := t.Due.Sub(d.cfg.Now()); wait > 0 {
		if wait > time.Second {
			return d.enqueue(ctx, t)
		}
		if sleep.For(ctx, wait) != nil {
			return ctx.Err()
		}
	}
	ep, err := b.webhook(ctx, d.store, t.Account, t.WebhookID)
	if errors.Is(err, ErrNotFound) {
		d.log.InfoContext(ctx, "dispatcher: webhook deleted; attempt dropped", slog.String("webhook_id", t.WebhookID), slog.String("delivery_id", t.DeliveryID))
		return nil
	}
	if err != nil {
		return err
	}
	ds, err := d.store.delivery(ctx, t.Account, t.WebhookID, t.DeliveryID, t.EventID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if ds.Attempts >= t.Attempt || (!t.Manual && ds.Status != StatusPending) {
		return nil // done already: a duplicate or stale task
	}
	trigger := TriggerScheduled
	if t.Manual {
		trigger = TriggerManual
	}
	if !t.Manual && !ep.Active {
		return d.abandon(ctx, ds, trigger, "the webhook is disabled; the delivery was abandoned")
	}
	if ds.Body == nil {
		return d.abandon(ctx, ds, trigger, fmt.Sprintf("the event %s is no longer stored; the delivery was abandoned", ds.EventID))
	}
	_, _, err = d.attempt(ctx, ep, ds, ds.Attempts+1, trigger, b)
	return err
}

// abandon ends a delivery without a request, recording why.
func (d *Dispatcher) abandon(ctx context.Context, ds deliveryState, trigger, why string) error {
	now := d.cfg.Now().UTC()
	ds.Status, ds.NextAttempt, ds.Updated = StatusFailed, nil, now
	a := Attempt{Number: ds.Attempts + 1, At: now, Trigger: trigger, Error: why}
	if err := d.store.recordAttempt(ctx, ds, a); err != nil && !errors.Is(err, errStale) {
		return err
	}
	return nil
}

// attempt sends delivery ds to ep as attempt n and records the outcome.
//
// The order of the writes is what makes a crash harmless: the endpoint is
// disabled first (a retry re-sends and finds it disabled), the next
// attempt's task is queued before the attempt is recorded (a pending
// delivery with attempts always has a task on the queue), and the record is
// conditional on the attempt count (a duplicate task or event that sent the
// same attempt records nothing). A recorded attempt is counted in b, which
// its batch writes at its end.
func (d *Dispatcher) attempt(ctx context.Context, ep endpoint, ds deliveryState, n int, trigger string, b *batch) (Attempt, deliveryState, error) {
	a, res := d.send(ctx, ep, ds, n, trigger)
	ds.Updated = a.At
	ds.Status, ds.NextAttempt = d.outcome(a, res, trigger)
	a.NextAttempt = ds.NextAttempt
	if reason := d.disableReason(ep, a, res); reason != "" {
		ds.Status, ds.NextAttempt, a.NextAttempt = terminal(a), nil, nil
		if err := d.disable(ctx, ep, reason, a.At); err != nil {
			return a, ds, err
		}
		b.deactivate(ep.Account, ep.ID)
	}
	if ds.NextAttempt != nil {
		if err := d.enqueue(ctx, taskOf(ds, n+1, *ds.NextAttempt)); err != nil {
			return a, ds, err
		}
	}
	err := d.store.recordAttempt(ctx, ds, a)
	if errors.Is(err, errStale) {
		d.log.InfoContext(ctx, "dispatcher: attempt recorded by another invocation", slog.String("delivery_id", ds.ID), slog.Int("attempt", n))
		return a, ds, nil
	}
	if err != nil {
		return a, ds, err
	}
	b.add(ds.Account, ds.WebhookID, a)
	d.logAttempt(ctx, ds, a)
	d.measure(ctx, a)
	return a, ds, nil
}

func (d *Dispatcher) send(ctx context.Context, ep endpoint, ds deliveryState, n int, trigger string) (Attempt, Result) {
	select {
	case d.slots <- struct{}{}:
	case <-ctx.Done():
		return Attempt{Number: n, At: d.cfg.Now().UTC(), Trigger: trigger, Error: "not sent: " + ctx.Err().Error()}, Result{Err: ctx.Err()}
	}
	ts := d.cfg.Now().UTC()
	res := d.cfg.Client.Send(ctx, Message{URL: ep.URL, ID: ds.ID, Body: ds.Body, Keys: ep.keys(ts), Timestamp: ts})
	<-d.slots
	a := Attempt{Number: n, At: ts, Trigger: trigger, StatusCode: res.StatusCode,
		DurationMS: res.Duration.Milliseconds(), Response: res.Response}
	if res.Err != nil {
		a.Error = res.Err.Error()
	}
	return a, res
}

// outcome is the delivery's status after attempt a, and when the schedule
// tries again. Manual and test attempts are single shots.
func (d *Dispatcher) outcome(a Attempt, res Result, trigger string) (string, *time.Time) {
	if a.Succeeded() {
		return StatusSucceeded, nil
	}
	if trigger != TriggerScheduled {
		return StatusFailed, nil
	}
	delay, ok := d.cfg.Schedule.Next(a.Number, RetryAfter(res.Header, a.At), nil)
	if !ok {
		return StatusFailed, nil
	}
	next := a.At.Add(delay)
	return StatusPending, &next
}

func terminal(a Attempt) string {
	if a.Succeeded() {
		return StatusSucceeded
	}
	return StatusFailed
}

// disableReason says why attempt a disables the endpoint: a 410 Gone, or a
// failure that ends DisableAfter of failing without a success.
func (d *Dispatcher) disableReason(ep endpoint, a Attempt, res Result) string {
	if res.StatusCode == 410 {
		return "the endpoint answered 410 Gone"
	}
	if a.Succeeded() || ep.Stats.FailingSince == nil {
		return ""
	}
	if since := *ep.Stats.FailingSince; a.At.Sub(since) >= d.cfg.DisableAfter {
		return fmt.Sprintf("the endpoint failed every attempt since %s (%s)", since.UTC().Format(time.RFC3339), d.cfg.DisableAfter)
	}
	return ""
}

// disable deactivates ep and tells the account's other webhooks with a
// webhook.disabled event, committed in the same transaction.
func (d *Dispatcher) disable(ctx context.Context, ep endpoint, reason string, at time.Time) error {
	view := ep.Webhook
	view.Active, view.DisabledReason, view.DisabledAt, view.Updated = false, reason, &at, at
	ev, err := event.New(event.WebhookDisabled, ep.Account, view, at)
	if err != nil {
		return err
	}
	done, err := d.store.disable(ctx, ep, reason, at, ev)
	if err == nil && done {
		d.log.WarnContext(ctx, "dispatcher: webhook disabled", slog.String("webhook_id", ep.ID), slog.String("reason", reason))
	}
	return err
}

// measure records a recorded attempt: the failure rate alarm divides
// DeliveriesFailed by all attempts.
func (d *Dispatcher) measure(ctx context.Context, a Attempt) {
	name := metrics.DeliveriesFailed
	if a.Succeeded() {
		name = metrics.DeliveriesSucceeded
	}
	d.cfg.Metrics.Count(ctx, name, 1)
	d.cfg.Metrics.Duration(ctx, metrics.DeliveryLatency, time.Duration(a.DurationMS)*time.Millisecond)
}

// logAttempt logs a failed attempt at Info and a successful one at Debug:
// failures are what an operator looks for, and a line per success costs
// more than the rest of the dispatcher's own work.
func (d *Dispatcher) logAttempt(ctx context.Context, ds deliveryState, a Attempt) {
	level := slog.LevelInfo
	if a.Succeeded() {
		level = slog.LevelDebug
	}
	if !d.log.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("delivery_id", ds.ID), slog.String("webhook_id", ds.WebhookID),
		slog.String("event_id", ds.EventID), slog.String("event_type", string(ds.EventType)),
		slog.Int("attempt", a.Number), slog.String("trigger", a.Trigger), slog.Int("status_code", a.StatusCode),
		slog.Int64("duration_ms", a.DurationMS), slog.String("delivery_status", ds.Status),
	}
	if a.Error != "" {
		attrs = append(attrs, slog.String("error", a.Error))
	}
	if ds.NextAttempt != nil {
		attrs = append(attrs, slog.Time("next_attempt", *ds.NextAttempt))
	}
	d.log.LogAttrs(ctx, level, "dispatcher: attempt", attrs...)
}

// enqueue sends task t with the longest SQS timer that does not pass its due
// time: the message hops every 15 minutes until it is due.
func (d *Dispatcher) enqueue(ctx context.Context, t task) error {
	if d.cfg.Queue == nil {
		return errors.New("dispatcher: no queue to schedule attempts on")
	}
	body, err := json.Marshal(t)
	if err != nil {
		return err
	}
	err = d.cfg.Queue.Send(ctx, QueueMessage{Body: string(body), DelaySeconds: delaySeconds(t.Due.Sub(d.cfg.Now())), Kind: taskKind})
	if err != nil {
		return fmt.Errorf("dispatcher: schedule attempt %d of %s: %w", t.Attempt, t.DeliveryID, err)
	}
	return nil
}

// delaySeconds rounds down, so a message never arrives after its due time;
// one that arrives up to a second early waits in the handler.
func delaySeconds(wait time.Duration) int32 {
	return int32(min(max(wait, 0), maxDelay) / time.Second)
}

// redeliveryData is the data of a webhook.redelivery_requested event.
type redeliveryData struct {
	WebhookID  string `json:"webhook_id"`
	DeliveryID string `json:"delivery_id"`
	EventID    string `json:"event_id,omitempty"`
	Attempt    int    `json:"attempt"`
}

// recoveryData is the data of a webhook.recovery_requested event.
type recoveryData struct {
	WebhookID string    `json:"webhook_id"`
	Since     time.Time `json:"since"`
	// Page bounds each unit's page tighter than RecoveryPage (tests,
	// operators); the API leaves it out.
	Page int `json:"page,omitempty"`
}

func (d *Dispatcher) onRedelivery(ctx context.Context, e event.Event, b *batch) error {
	var r redeliveryData
	if err := json.Unmarshal(e.Data, &r); err != nil || r.DeliveryID == "" {
		return fmt.Errorf("dispatcher: bad %s data: %w", e.Type, err)
	}
	tk := task{Kind: taskKind, Account: e.Account, WebhookID: r.WebhookID, DeliveryID: r.DeliveryID, EventID: r.EventID, Attempt: r.Attempt, Manual: true}
	return d.runTask(ctx, tk, b)
}

func (d *Dispatcher) sendBatch(ctx context.Context, ms []QueueMessage) error {
	if d.cfg.Queue == nil {
		return errors.New("dispatcher: no queue to schedule attempts on")
	}
	// When a task is refused the whole unit is retried; tasks already
	// queued are duplicates the attempt count drops.
	if err := d.cfg.Queue.SendBatch(ctx, ms); err != nil {
		return fmt.Errorf("dispatcher: queue recovery: %w", err)
	}
	return nil
}
