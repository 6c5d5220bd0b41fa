package fulfillment

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
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

// SESAPI is the part of the SES v2 client the mailer uses.
type SESAPI interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, opts ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

// SESMailer sends through Amazon SES from a verified identity.
type SESMailer struct {
	Client SESAPI
	From   string
}

// Send sends m as UTF-8 text.
func (s *SESMailer) Send(ctx context.Context, m Mail) error {
	utf8 := aws.String("UTF-8")
	_, err := s.Client.SendEmail(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(s.From),
		Destination:      &sestypes.Destination{ToAddresses: m.To},
		Content: &sestypes.EmailContent{Simple: &sestypes.Message{
			Subject: &sestypes.Content{Data: aws.String(m.Subject), Charset: utf8},
			Body:    &sestypes.Body{Text: &sestypes.Content{Data: aws.String(m.Text), Charset: utf8}},
		}},
	})
	if err != nil {
		return fmt.Errorf("fulfillment: send %q: %w", m.Subject, err)
	}
	return nil
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
