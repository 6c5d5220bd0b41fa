// Package sesmail sends the fulfillment worker's e-mails through Amazon
// SES. It is apart from package fulfillment so that the functions which
// only read fulfillment's store (usage, billing) do not link the SES client.
package sesmail

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/mercato-dev/mercato/internal/fulfillment"
)

// API is the part of the SES v2 client the mailer uses.
type API interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, opts ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

// Mailer sends through Amazon SES from a verified identity.
type Mailer struct {
	Client API
	From   string
}

// Send sends m as UTF-8 text.
func (s *Mailer) Send(ctx context.Context, m fulfillment.Mail) error {
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
		return fmt.Errorf("sesmail: send %q: %w", m.Subject, err)
	}
	return nil
}
