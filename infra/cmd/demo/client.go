package main

import (
	"context"
	"time"

	"github.com/mercato-dev/mercato/infra/apiclient"
)

// client is the shared API client, with the call signature the steps use.
type client struct{ apiclient.Client }

func (c *client) call(ctx context.Context, method, path, token string, body any, want int, out any, hdr ...string) error {
	return c.Call(ctx, method, path, token, body, want, out, hdr...)
}

type permanent = apiclient.Permanent

func eventually(ctx context.Context, timeout time.Duration, check func() error) error {
	return apiclient.Eventually(ctx, timeout, check)
}
