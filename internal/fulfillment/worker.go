package fulfillment

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/cache"
	"github.com/mercato-dev/mercato/internal/consumer"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/logging"
	"github.com/mercato-dev/mercato/internal/metrics"
)

// OrderRollup recomputes a Partner Center order from its lines' assets
// (ordering.Service does); extra adds the worker's dedupe mark to the
// transaction that writes the order.
type OrderRollup interface {
	RollUp(ctx context.Context, customerID, orderID string, extra func(*dynamo.Tx)) (bool, error)
}

// AccountReader reads an account, for its name and e-mail address.
type AccountReader interface {
	Get(ctx context.Context, actor account.Principal, id string) (account.Account, error)
}

// RequestService is what the worker asks of the requests (Service does):
// auto-approvals, and the daily renewal run's plan and units.
type RequestService interface {
	AutoApprove(ctx context.Context, log *slog.Logger, requestID, mark string) (bool, error)
	PlanRenewals(ctx context.Context) (int, error)
	RenewUnit(ctx context.Context, log *slog.Logger, u RenewalUnit) (RenewalReport, error)
}

// MarkStore keeps the dedupe marks of the worker's effects (Store does):
// Mark joins a transaction, PutMark stands alone for effects outside the
// table.
type MarkStore interface {
	Mark(tx *dynamo.Tx, key string, now time.Time)
	Marked(ctx context.Context, key string) (bool, error)
	PutMark(ctx context.Context, key string, now time.Time) error
}

// WorkerConfig wires the fulfillment worker.
type WorkerConfig struct {
	Service  RequestService
	Store    MarkStore
	Orders   OrderRollup
	Accounts AccountReader
	Mailer   Mailer
	// BaseURL, when set, makes the e-mails link to the request.
	BaseURL string
	Logger  *slog.Logger
	// Now is the clock of the marks; time.Now when nil.
	Now func() time.Time
	// Metrics counts the requests' outcomes; nil counts none.
	Metrics *metrics.Recorder
}

// Worker reacts to request events from the fulfillment queue: it rolls
// up orders, sends the e-mails and approves the requests of auto-approve
// products. Each effect is idempotent on the event id, so a redelivered
// message does nothing twice.
type Worker struct {
	cfg WorkerConfig
	log *slog.Logger
	// accounts keeps the accounts the worker mails, so that a busy
	// vendor's account item is not read for every request event (at a
	// month-end peak that one key would be read thousands of times a
	// second). A changed address reaches the mails within AccountCacheTTL.
	accounts *cache.Cache[string, account.Account]
}

// AccountCacheTTL bounds how long the worker mails a changed address's
// predecessor; AccountCacheSize bounds the accounts it keeps.
const (
	AccountCacheTTL  = 5 * time.Minute
	AccountCacheSize = 1024
)

// NewWorker returns the worker.
func NewWorker(cfg WorkerConfig) *Worker {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Worker{cfg: cfg, log: cfg.Logger, accounts: cache.New[string, account.Account](AccountCacheSize, AccountCacheTTL, cfg.Now)}
}

// system is who the worker acts as when it reads accounts.
var system = account.Principal{AccountID: "SYSTEM", AccountType: account.Admin, AccountName: "Mercato fulfillment"}

// Handlers are the worker's event functions for consumer.Events. The
// relay also routes asset, order and subscription events here; the worker
// needs none of them (requests carry everything), so they are acknowledged.
func (w *Worker) Handlers() map[event.Type]consumer.EventFunc {
	return map[event.Type]consumer.EventFunc{
		event.RequestCreated: w.onRequest,
		event.RequestUpdated: w.onRequest,
		event.JobRenewal:     w.onRenewalUnit,
	}
}

// onRequest handles a request event. Every event is emitted once for the
// vendor and once for the provider; each side's copy drives that side's
// effects, so nothing is done twice for the two copies.
func (w *Worker) onRequest(ctx context.Context, e event.Event) error {
	var r Request
	if err := json.Unmarshal(e.Data, &r); err != nil || r.ID == "" {
		// Data that is not a request never becomes one: failing sends the
		// message to the DLQ after its retries.
		return fmt.Errorf("event %s: data is not a request: %v", e.ID, err)
	}
	switch e.Account {
	case r.Asset.Vendor.ID:
		return w.forVendor(ctx, e, r)
	case r.Asset.Provider.ID:
		return w.forProvider(ctx, e, r)
	}
	w.log.DebugContext(ctx, "fulfillment: event of neither side of the request; acknowledged",
		slog.String("event_id", e.ID), slog.String("request_id", r.ID))
	return nil
}

func (w *Worker) forVendor(ctx context.Context, e event.Event, r Request) error {
	if e.Type == event.RequestCreated {
		if err := w.mail(ctx, e, r.Asset.Vendor.ID, func(to string) Mail { return newRequestMail(r, to, w.link(r)) }); err != nil {
			return err
		}
	}
	if r.Status != StatusPending {
		return nil
	}
	approved, err := w.cfg.Service.AutoApprove(ctx, w.log, r.ID, "approve#"+e.ID)
	if approved {
		w.log.InfoContext(ctx, "fulfillment: auto-approved", slog.String("request_id", r.ID))
	}
	return err
}

func (w *Worker) forProvider(ctx context.Context, e event.Event, r Request) error {
	if e.Type == event.RequestUpdated {
		w.measure(ctx, e, r)
	}
	if e.Type != event.RequestUpdated || !Terminal(r.Status) || r.Type != TypePurchase {
		return nil
	}
	if err := w.rollUp(ctx, e, r); err != nil {
		return err
	}
	return w.mail(ctx, e, r.Asset.Provider.ID, func(to string) Mail { return purchaseStatusMail(r, to, w.link(r)) })
}

// measure counts a request's outcome from the provider's copy of its
// event (one of the two copies, so once), and for an approved purchase the
// time from its order to the approval. A redelivered event counts again:
// the counts are at least once, like the queue.
func (w *Worker) measure(ctx context.Context, e event.Event, r Request) {
	kind := metrics.Dimension{Name: "Type", Value: r.Type}
	switch r.Status {
	case StatusApproved:
		w.cfg.Metrics.Count(ctx, metrics.RequestsApproved, 1, kind)
		if r.Type == TypePurchase {
			w.cfg.Metrics.Duration(ctx, metrics.OrderToApproval, e.Created.Sub(r.Created))
		}
	case StatusFailed:
		w.cfg.Metrics.Count(ctx, metrics.RequestsFailed, 1, kind)
	case StatusInquiring:
		w.cfg.Metrics.Count(ctx, metrics.RequestsInquired, 1, kind)
	}
}

// rollUp updates the order of an ended purchase; the order and the dedupe
// mark commit together.
func (w *Worker) rollUp(ctx context.Context, e event.Event, r Request) error {
	sub := r.Asset.Subscription
	if sub.OrderID == "" || sub.CustomerID == "" {
		return nil // a Connect purchase, not a Partner Center order
	}
	now := w.cfg.Now()
	changed, err := w.cfg.Orders.RollUp(ctx, sub.CustomerID, sub.OrderID, func(tx *dynamo.Tx) { w.cfg.Store.Mark(tx, "rollup#"+e.ID, now) })
	if AlreadyDone(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("roll up order %s: %w", sub.OrderID, err)
	}
	if changed {
		w.log.InfoContext(ctx, "fulfillment: order rolled up", slog.String("order_id", sub.OrderID), slog.String("request_id", r.ID))
	}
	return nil
}

// account reads an account through the worker's cache.
func (w *Worker) account(ctx context.Context, id string) (account.Account, error) {
	if a, ok := w.accounts.Get(id); ok {
		return a, nil
	}
	a, err := w.cfg.Accounts.Get(ctx, system, id)
	if err == nil {
		w.accounts.Add(id, a)
	}
	return a, err
}

// mail sends one notification to an account's address, at least once: the
// mark is written after SES accepted the mail, so a crash in between sends
// it again rather than never.
func (w *Worker) mail(ctx context.Context, e event.Event, accountID string, build func(to string) Mail) error {
	key := "mail#" + e.ID
	if done, err := w.cfg.Store.Marked(ctx, key); err != nil || done {
		return err
	}
	acct, err := w.account(ctx, accountID)
	if fault.Is(err, fault.NotFound) || (err == nil && acct.Email == "") {
		w.log.WarnContext(ctx, "fulfillment: account has no e-mail address; notification not sent",
			slog.String("account_id", accountID), slog.String("event_id", e.ID))
		return nil
	}
	if err != nil {
		return err
	}
	m := build(acct.Email)
	if err := w.cfg.Mailer.Send(ctx, m); err != nil {
		return err
	}
	w.log.InfoContext(ctx, "fulfillment: e-mail sent", slog.String("subject", m.Subject), slog.String("account_id", accountID))
	return w.cfg.Store.PutMark(ctx, key, w.cfg.Now())
}

func (w *Worker) link(r Request) string {
	if w.cfg.BaseURL == "" {
		return ""
	}
	return w.cfg.BaseURL + "/public/v1/requests/" + r.ID
}

// Scheduled is the daily run of FulfillmentFunction: the renewals.
func (w *Worker) Scheduled(ctx context.Context, e events.EventBridgeEvent) error {
	ctx, _ = logging.WithScope(ctx, e.ID)
	n, err := w.cfg.Service.PlanRenewals(ctx)
	if err != nil {
		return fmt.Errorf("fulfillment: renewals: %w", err)
	}
	w.log.InfoContext(ctx, "fulfillment: renewal units planned", slog.Int("units", n))
	return nil
}

// onRenewalUnit runs one unit of the renewal run. A failure fails this
// message alone; SQS redelivers it, and the unit's conditional writes make
// the second run act only where the first did not.
func (w *Worker) onRenewalUnit(ctx context.Context, e event.Event) error {
	var u RenewalUnit
	if err := json.Unmarshal(e.Data, &u); err != nil {
		return fmt.Errorf("event %s: data is not a renewal unit: %w", e.ID, err)
	}
	rep, err := w.cfg.Service.RenewUnit(ctx, w.log, u)
	if err != nil {
		return fmt.Errorf("fulfillment: renewal unit %s/%d: %w", u.Day, u.Shard, err)
	}
	if len(rep.Requested)+len(rep.Expired)+len(rep.Skipped) > 0 {
		w.log.InfoContext(ctx, "fulfillment: renewal unit done", slog.String("day", u.Day), slog.Int("shard", u.Shard),
			slog.Int("requested", len(rep.Requested)), slog.Int("expired", len(rep.Expired)), slog.Int("skipped", len(rep.Skipped)))
	}
	return nil
}
