package stack

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
)

// VerifySender makes from a verified SES identity, as an operator does once
// per real account: SES refuses mail from an unverified sender, and the
// fulfillment worker's e-mails would fail until their DLQ. Verifying twice
// is not an error. moto then keeps every mail sent (under ses.Message of
// /moto-api/data.json).
func VerifySender(ctx context.Context, awsCfg aws.Config, from string) error {
	_, err := sesv2.NewFromConfig(awsCfg).CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String(from)})
	if err != nil && !strings.Contains(err.Error(), "AlreadyExists") {
		return fmt.Errorf("stack: verify e-mail sender %s: %w", from, err)
	}
	return nil
}
