package main

import (
	"context"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/mercato-dev/mercato/infra/stack"
)

// verifySender verifies the fulfillment e-mails' sender in the emulator. An
// emulator without SES v2 only costs the mails, so it is a warning.
func verifySender(ctx context.Context, awsCfg aws.Config, from string, log *slog.Logger) {
	if err := stack.VerifySender(ctx, awsCfg, from); err != nil {
		log.Warn("could not verify the e-mail sender in the emulator; fulfillment e-mails will fail", "from", from, "err", err)
	}
}
