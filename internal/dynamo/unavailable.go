package dynamo

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/mercato-dev/mercato/internal/fault"
)

// Unavailable returns err, the error of an AWS call, as a fault.Unavailable
// when a later identical call may not meet it: throttling, a 5xx, a reset
// or refused connection, a timeout, or the SDK's retry quota running out
// under them, all past the SDK's own retries. Nothing was half-written
// (every change is one transaction), so the caller may send the same
// request again; the HTTP layer says so with a 503 and Retry-After. Other
// errors, a canceled call among them, are returned as they are. The table's
// methods apply it; a package that calls the client or S3 itself applies it
// to what the call returns.
func Unavailable(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || !transient(err) {
		return err
	}
	return &fault.Error{Kind: fault.Unavailable, Err: err}
}

// transient reports an AWS error that a later identical call may not meet.
func transient(err error) bool {
	var quota ratelimit.QuotaExceededError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &quota):
		return true
	case retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary:
		return true
	}
	return retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary
}
