package main

import (
	"context"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
)

// verifySender makes the fulfillment e-mails' sender a verified SES
// identity in the emulator, as an operator does once in a real account:
// SES refuses mail from an unverified sender. The emulator then keeps every
// mail sent (moto shows them at /moto-api/data.json under ses.Message). An
// emulator without SES v2 only costs the mails, so it is a warning.
func verifySender(ctx context.Context, awsCfg aws.Config, from string, log *slog.Logger) {
	_, err := sesv2.NewFromConfig(awsCfg).CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String(from)})
	if err != nil && !strings.Contains(err.Error(), "AlreadyExists") {
		log.Warn("could not verify the e-mail sender in the emulator; fulfillment e-mails will fail", "from", from, "err", err)
	}
}
