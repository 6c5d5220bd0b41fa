// Package apiclient calls Mercato's public API as an integration engineer's
// code would: JSON in, JSON out, an account token, and retries with the
// same idempotency key when the platform answers that it is briefly
// unavailable. The demo and the fault and load suites use it.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Client is bound to one API base URL.
type Client struct {
	Base string
	HTTP *http.Client
}

// StatusError is an answer with another status than the caller wanted.
type StatusError struct {
	Method, Path string
	Status, Want int
	Body         string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s answered %d, want %d: %s", e.Method, e.Path, e.Status, e.Want, e.Body)
}

// Call sends a request and checks the status; out, when given, receives
// the decoded body (or the raw text, for a *string). hdr are header name,
// value pairs.
func (c *Client) Call(ctx context.Context, method, path, token string, body any, want int, out any, hdr ...string) error {
	status, raw, err := c.Send(ctx, method, path, token, body, hdr...)
	if err != nil {
		return err
	}
	if status != want {
		return &StatusError{Method: method, Path: path, Status: status, Want: want, Body: Truncate(raw)}
	}
	return decode(method, path, raw, out)
}

// Send sends a request and returns the status and body, whatever they are.
func (c *Client) Send(ctx context.Context, method, path, token string, body any, hdr ...string) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "ApiKey "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: read the answer: %w", method, path, err)
	}
	return res.StatusCode, raw, nil
}

func decode(method, path string, raw []byte, out any) error {
	if out == nil {
		return nil
	}
	if s, ok := out.(*string); ok {
		*s = string(raw)
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s %s: decode %s: %w", method, path, Truncate(raw), err)
	}
	return nil
}

// Retry sends a request until it gets an answer that is not transient (a
// 429 or a 5xx, or no answer at all), at most attempts times, waiting
// between tries as Retry-After or a doubling backoff says. It is safe only
// for requests that are idempotent or carry an idempotency key, which is
// the point: a client that lost an answer sends the same request again.
// It returns the last status and body, and how many tries it took.
func (c *Client) Retry(ctx context.Context, attempts int, method, path, token string, body any, hdr ...string) (int, []byte, int, error) {
	wait := 100 * time.Millisecond
	for n := 1; ; n++ {
		status, raw, err := c.Send(ctx, method, path, token, body, hdr...)
		if (err == nil && !Transient(status)) || n == attempts || ctx.Err() != nil {
			return status, raw, n, err
		}
		select {
		case <-ctx.Done():
			return status, raw, n, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// Transient reports a status that a retry may change.
func Transient(status int) bool {
	return status == http.StatusTooManyRequests || status >= 500
}

// Truncate shortens a body for an error message.
func Truncate(b []byte) string {
	if len(b) > 400 {
		return string(b[:400]) + "…"
	}
	return string(b)
}

// Permanent stops Eventually at once: waiting cannot change the outcome.
type Permanent struct{ Err error }

func (p Permanent) Error() string { return p.Err.Error() }
func (p Permanent) Unwrap() error { return p.Err }

// Eventually retries check until it succeeds or timeout passes; the
// platform is asynchronous past the API (stream, queues, workers).
func Eventually(ctx context.Context, timeout time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		var stop Permanent
		if err == nil || errors.As(err, &stop) {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %s: %w", timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
