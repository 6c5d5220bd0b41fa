package fulfillment

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/fault"
)

// The worker's collaborators, faked at the worker's own interfaces: what
// it decides (which mail, to whom, once) is tested here; the SES, DynamoDB
// and order effects are tested end to end in e2e_test.go.

type fakeService struct{ approved []string }

func (f *fakeService) AutoApprove(_ context.Context, _ *slog.Logger, requestID, _ string) (bool, error) {
	f.approved = append(f.approved, requestID)
	return false, nil
}

func (f *fakeService) PlanRenewals(context.Context) (int, error) { return 0, nil }

func (f *fakeService) RenewUnit(context.Context, *slog.Logger, RenewalUnit) (RenewalReport, error) {
	return RenewalReport{}, nil
}

type fakeMarks struct{ marks map[string]bool }

func (f *fakeMarks) Mark(_ *dynamo.Tx, key string, _ time.Time) { f.marks[key] = true }

func (f *fakeMarks) Marked(_ context.Context, key string) (bool, error) { return f.marks[key], nil }

func (f *fakeMarks) PutMark(_ context.Context, key string, _ time.Time) error {
	f.marks[key] = true
	return nil
}

type fakeOrders struct{ rolled []string }

func (f *fakeOrders) RollUp(_ context.Context, customerID, orderID string, extra func(*dynamo.Tx)) (bool, error) {
	f.rolled = append(f.rolled, customerID+"/"+orderID)
	extra(nil) // the fake marks ignore the transaction
	return true, nil
}

type fakeAccounts map[string]account.Account

func (f fakeAccounts) Get(_ context.Context, _ account.Principal, id string) (account.Account, error) {
	a, ok := f[id]
	if !ok {
		return account.Account{}, fault.NotFoundf("account %s not found", id)
	}
	return a, nil
}

type fakeMailer struct {
	sent []Mail
	err  error
}

func (f *fakeMailer) Send(_ context.Context, m Mail) error {
	if f.err != nil {
		return f.err
	}
	f.sent = append(f.sent, m)
	return nil
}

// workerRig is a worker on fakes, with the 000_* cast's accounts.
type workerRig struct {
	w       *Worker
	service *fakeService
	marks   *fakeMarks
	orders  *fakeOrders
	mailer  *fakeMailer
}

const (
	vendorID   = "VA-111-111"
	providerID = "PA-222-222"
	mutedID    = "VA-333-333" // an account without an e-mail address
)

func newWorkerRig(t *testing.T) *workerRig {
	t.Helper()
	r := &workerRig{service: &fakeService{}, marks: &fakeMarks{marks: map[string]bool{}}, orders: &fakeOrders{}, mailer: &fakeMailer{}}
	r.w = NewWorker(WorkerConfig{
		Service: r.service, Store: r.marks, Orders: r.orders, Mailer: r.mailer,
		Accounts: fakeAccounts{
			vendorID:   {ID: vendorID, Name: "Front Street Inc.", Email: "vendor@frontstreet.example"},
			providerID: {ID: providerID, Name: "Apollo Hub", Email: "hub@apollo.example"},
			mutedID:    {ID: mutedID, Name: "No Mail Ltd"},
		},
		BaseURL: "https://mercato.example",
		Logger:  slog.New(slog.DiscardHandler),
		Now:     func() time.Time { return time.Date(2020, 6, 26, 6, 1, 0, 0, time.UTC) },
	})
	return r
}

// handle delivers e as the consumer would, and fails the test on an error.
func (r *workerRig) handle(t *testing.T, e event.Event) {
	t.Helper()
	h, ok := r.w.Handlers()[e.Type]
	if !ok {
		t.Fatalf("no handler for %s", e.Type)
	}
	if err := h(context.Background(), e); err != nil {
		t.Fatalf("%s: %v", e.Type, err)
	}
}

// mailRequest is the request of the 000_* mail.
func mailRequest(typ, status string) Request {
	return Request{
		ID: "PR-1416-4159-6557-001", Type: typ, Status: status,
		Created: time.Date(2020, 6, 25, 8, 3, 0, 0, time.UTC), Updated: time.Date(2020, 6, 26, 6, 1, 0, 0, time.UTC),
		Asset: Asset{
			ID: "AS-1416-4159-6557", Status: AssetProcessing,
			Vendor: Ref{ID: vendorID, Name: "Front Street Inc."}, Provider: Ref{ID: providerID, Name: "Apollo Hub"},
			Product:      Ref{ID: "PRD-013-767-828", Name: "Apollo Pulse"},
			Marketplace:  Ref{ID: "MP-12345"},
			Tiers:        Tiers{Customer: TierAccount{Name: "Contoso Ltd"}},
			Subscription: Subscription{CustomerID: "cust-1", OrderID: "order-1"},
		},
	}
}

func newEvent(t *testing.T, typ event.Type, acct string, r Request) event.Event {
	t.Helper()
	e, err := event.New(typ, acct, r, r.Updated)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestWorker_ProviderMail(t *testing.T) {
	tests := []struct {
		status, reason string
		want           Mail
	}{
		{status: StatusApproved, want: Mail{To: []string{"hub@apollo.example"}, Subject: "PurchaseStatus: Approved PR-1416-4159-6557-001",
			Text: "PurchaseStatus: Approved\nID: PR-1416-4159-6557-001\nAsset ID: AS-1416-4159-6557\nVendor: Front Street Inc.\n" +
				"Product: Apollo Pulse (PRD-013-767-828)\nCreated: 6/25/20, 8:03 AM UTC\nCompleted: 6/26/20, 6:01 AM UTC\n\n" +
				"View the request: https://mercato.example/public/v1/requests/PR-1416-4159-6557-001\n"}},
		{status: StatusFailed, reason: "tenant cannot be created", want: Mail{To: []string{"hub@apollo.example"}, Subject: "PurchaseStatus: Failed PR-1416-4159-6557-001",
			Text: "PurchaseStatus: Failed\nID: PR-1416-4159-6557-001\nAsset ID: AS-1416-4159-6557\nVendor: Front Street Inc.\n" +
				"Product: Apollo Pulse (PRD-013-767-828)\nCreated: 6/25/20, 8:03 AM UTC\nCompleted: 6/26/20, 6:01 AM UTC\n" +
				"Reason: tenant cannot be created\n\n" +
				"View the request: https://mercato.example/public/v1/requests/PR-1416-4159-6557-001\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			rig := newWorkerRig(t)
			r := mailRequest(TypePurchase, tt.status)
			r.Reason = tt.reason
			rig.handle(t, newEvent(t, event.RequestUpdated, providerID, r))
			if diff := cmp.Diff([]Mail{tt.want}, rig.mailer.sent); diff != "" {
				t.Errorf("mails (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"cust-1/order-1"}, rig.orders.rolled); diff != "" {
				t.Errorf("roll-ups (-want +got):\n%s", diff)
			}
			if len(rig.service.approved) != 0 {
				t.Errorf("the provider's copy tried to auto-approve %v", rig.service.approved)
			}
		})
	}
}

func TestWorker_VendorMail(t *testing.T) {
	for _, typ := range []string{TypePurchase, TypeChange, TypeSuspend, TypeResume, TypeCancel, TypeRenew} {
		t.Run(typ, func(t *testing.T) {
			rig := newWorkerRig(t)
			rig.handle(t, newEvent(t, event.RequestCreated, vendorID, mailRequest(typ, StatusPending)))
			if len(rig.mailer.sent) != 1 {
				t.Fatalf("sent %d mails, want 1", len(rig.mailer.sent))
			}
			m := rig.mailer.sent[0]
			if !slices.Equal(m.To, []string{"vendor@frontstreet.example"}) || m.Subject != "New "+typ+" request PR-1416-4159-6557-001" {
				t.Errorf("mail to %v subject %q", m.To, m.Subject)
			}
			for _, want := range []string{
				"A new " + typ + " request is waiting in your fulfillment queue.\n",
				"ID: PR-1416-4159-6557-001\n", "Type: " + typ + "\n", "Asset ID: AS-1416-4159-6557\n",
				"Provider: Apollo Hub\n", "Customer: Contoso Ltd\n", "Product: Apollo Pulse (PRD-013-767-828)\n",
				"Marketplace: MP-12345\n", "Created: 6/25/20, 8:03 AM UTC\n",
				"Work the request: https://mercato.example/public/v1/requests/PR-1416-4159-6557-001\n",
			} {
				if !strings.Contains(m.Text, want) {
					t.Errorf("mail lacks %q:\n%s", want, m.Text)
				}
			}
			if diff := cmp.Diff([]string{"PR-1416-4159-6557-001"}, rig.service.approved); diff != "" {
				t.Errorf("auto-approve attempts (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("an update sends none", func(t *testing.T) {
		rig := newWorkerRig(t)
		rig.handle(t, newEvent(t, event.RequestUpdated, vendorID, mailRequest(TypePurchase, StatusPending)))
		if len(rig.mailer.sent) != 0 {
			t.Errorf("sent %v", rig.mailer.sent)
		}
	})
}

func TestWorker_Redelivery(t *testing.T) {
	tests := []struct {
		name string
		e    func(t *testing.T) event.Event
		to   string
	}{
		{"vendor", func(t *testing.T) event.Event {
			return newEvent(t, event.RequestCreated, vendorID, mailRequest(TypePurchase, StatusPending))
		}, "vendor@frontstreet.example"},
		{"provider", func(t *testing.T) event.Event {
			return newEvent(t, event.RequestUpdated, providerID, mailRequest(TypePurchase, StatusApproved))
		}, "hub@apollo.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rig := newWorkerRig(t)
			e := tt.e(t)
			rig.handle(t, e)
			rig.handle(t, e)
			if len(rig.mailer.sent) != 1 || rig.mailer.sent[0].To[0] != tt.to {
				t.Errorf("sent %+v, want one mail to %s", rig.mailer.sent, tt.to)
			}
			// A new event about the same request is news: it mails again.
			rig.handle(t, tt.e(t))
			if len(rig.mailer.sent) != 2 {
				t.Errorf("a second event sent %d mails in all, want 2", len(rig.mailer.sent))
			}
		})
	}
}

func TestWorker_NonPurchaseTerminal(t *testing.T) {
	for _, typ := range []string{TypeChange, TypeSuspend, TypeResume, TypeCancel, TypeRenew} {
		for _, status := range []string{StatusApproved, StatusFailed} {
			t.Run(typ+"/"+status, func(t *testing.T) {
				rig := newWorkerRig(t)
				rig.handle(t, newEvent(t, event.RequestUpdated, providerID, mailRequest(typ, status)))
				if len(rig.mailer.sent)+len(rig.orders.rolled) != 0 {
					t.Errorf("mails %v, roll-ups %v; want none", rig.mailer.sent, rig.orders.rolled)
				}
			})
		}
	}
	t.Run("a pending purchase", func(t *testing.T) {
		rig := newWorkerRig(t)
		rig.handle(t, newEvent(t, event.RequestUpdated, providerID, mailRequest(TypePurchase, StatusPending)))
		if len(rig.mailer.sent)+len(rig.orders.rolled) != 0 {
			t.Errorf("mails %v, roll-ups %v; want none", rig.mailer.sent, rig.orders.rolled)
		}
	})
}

// TestWorker_Acknowledged: events the worker has nothing to do for are
// acknowledged (nil), so they leave the queue instead of going to the DLQ.
func TestWorker_Acknowledged(t *testing.T) {
	tests := []struct {
		name string
		e    func(t *testing.T) event.Event
	}{
		{"an event for neither side", func(t *testing.T) event.Event {
			return newEvent(t, event.RequestUpdated, "PA-999-999", mailRequest(TypePurchase, StatusApproved))
		}},
		{"a vendor without an e-mail address", func(t *testing.T) event.Event {
			r := mailRequest(TypePurchase, StatusApproved)
			r.Asset.Vendor.ID = mutedID
			return newEvent(t, event.RequestCreated, mutedID, r)
		}},
		{"a vendor the accounts do not know", func(t *testing.T) event.Event {
			r := mailRequest(TypePurchase, StatusApproved)
			r.Asset.Vendor.ID = "VA-000-000"
			return newEvent(t, event.RequestCreated, "VA-000-000", r)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rig := newWorkerRig(t)
			rig.handle(t, tt.e(t))
			if len(rig.mailer.sent)+len(rig.orders.rolled)+len(rig.service.approved) != 0 {
				t.Errorf("mails %v, roll-ups %v, approvals %v; want none", rig.mailer.sent, rig.orders.rolled, rig.service.approved)
			}
		})
	}
}

// TestWorker_MailFailureRetries: a mail SES refused is not marked sent, so
// the redelivery sends it.
func TestWorker_MailFailureRetries(t *testing.T) {
	rig := newWorkerRig(t)
	e := newEvent(t, event.RequestUpdated, providerID, mailRequest(TypePurchase, StatusFailed))
	rig.mailer.err = errors.New("throttled")
	if err := rig.w.Handlers()[e.Type](context.Background(), e); err == nil {
		t.Fatal("a refused mail was acknowledged")
	}
	rig.mailer.err = nil
	rig.handle(t, e)
	if len(rig.mailer.sent) != 1 {
		t.Errorf("sent %d mails after the retry, want 1", len(rig.mailer.sent))
	}
}
