package fulfillment

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Mail is a plain-text e-mail.
type Mail struct {
	To      []string
	Subject string
	Text    string
}

// Mailer sends e-mail.
type Mailer interface {
	Send(ctx context.Context, m Mail) error
}

// mailTime is how the notifications of 000_* write times ("6/25/20, 8:03
// AM"), in UTC and saying so.
func mailTime(t time.Time) string { return t.UTC().Format("1/2/06, 3:04 PM") + " UTC" }

// purchaseStatusMail is the provider's notice that a purchase was approved
// or failed, with the fields of the "PurchaseStatus: Approved" mail.
func purchaseStatusMail(r Request, to, link string) Mail {
	status := "Approved"
	if r.Status == StatusFailed {
		status = "Failed"
	}
	lines := []string{
		"PurchaseStatus: " + status,
		"ID: " + r.ID,
		"Asset ID: " + r.Asset.ID,
		"Vendor: " + r.Asset.Vendor.Name,
		fmt.Sprintf("Product: %s (%s)", r.Asset.Product.Name, r.Asset.Product.ID),
		"Created: " + mailTime(r.Created),
		"Completed: " + mailTime(r.Updated),
	}
	if r.Status == StatusFailed {
		lines = append(lines, "Reason: "+r.Reason)
	}
	if link != "" {
		lines = append(lines, "", "View the request: "+link)
	}
	return Mail{To: []string{to}, Subject: fmt.Sprintf("PurchaseStatus: %s %s", status, r.ID), Text: strings.Join(lines, "\n") + "\n"}
}

// newRequestMail tells the vendor that a request arrived in the queue.
func newRequestMail(r Request, to, link string) Mail {
	lines := []string{
		fmt.Sprintf("A new %s request is waiting in your fulfillment queue.", r.Type),
		"",
		"ID: " + r.ID,
		"Type: " + r.Type,
		"Asset ID: " + r.Asset.ID,
		"Provider: " + r.Asset.Provider.Name,
		"Customer: " + r.Asset.Tiers.Customer.Name,
		fmt.Sprintf("Product: %s (%s)", r.Asset.Product.Name, r.Asset.Product.ID),
		"Marketplace: " + r.Asset.Marketplace.ID,
		"Created: " + mailTime(r.Created),
	}
	if link != "" {
		lines = append(lines, "", "Work the request: "+link)
	}
	return Mail{To: []string{to}, Subject: fmt.Sprintf("New %s request %s", r.Type, r.ID), Text: strings.Join(lines, "\n") + "\n"}
}
