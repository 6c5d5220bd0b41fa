// Package logging builds the JSON slog logger every function uses, and
// carries the request id and account id in the context so that every line a
// request logs names both.
package logging

import (
	"context"
	"io"
	"log/slog"
	"sync"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

type scopeKey struct{}

// Scope holds the identifiers of one unit of work (an API request or an
// event). It is mutable because the account is only known after
// authentication, deeper in the middleware chain than the request id.
type Scope struct {
	mu        sync.Mutex
	requestID string
	accountID string
}

// WithScope returns a context carrying a new scope for requestID.
func WithScope(ctx context.Context, requestID string) (context.Context, *Scope) {
	s := &Scope{requestID: requestID}
	return context.WithValue(ctx, scopeKey{}, s), s
}

// InvocationID returns the Lambda request id of the invocation ctx belongs
// to, or fallback when ctx does not come from the Lambda runtime (the local
// runtime, make invoke, tests). Handlers that have no per-message scope use
// it, so that their lines can be found next to Lambda's own REPORT line.
func InvocationID(ctx context.Context, fallback string) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		return lc.AwsRequestID
	}
	return fallback
}

// ScopeFrom returns the scope in ctx, or nil.
func ScopeFrom(ctx context.Context) *Scope {
	s, _ := ctx.Value(scopeKey{}).(*Scope)
	return s
}

// SetAccount records the authenticated account.
func (s *Scope) SetAccount(id string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.accountID = id
	s.mu.Unlock()
}

// RequestID returns the scope's request id ("" on a nil scope).
func (s *Scope) RequestID() string {
	if s == nil {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requestID
}

func (s *Scope) attrs() (string, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requestID, s.accountID
}

// New returns a JSON logger at level that adds request_id and account_id
// from the context to every record logged with a *Context method.
func New(w io.Writer, level slog.Leveler) *slog.Logger {
	return slog.New(&scopeHandler{Handler: slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})})
}

type scopeHandler struct{ slog.Handler }

func (h *scopeHandler) Handle(ctx context.Context, r slog.Record) error {
	if s := ScopeFrom(ctx); s != nil {
		reqID, acct := s.attrs()
		r.AddAttrs(slog.String("request_id", reqID))
		if acct != "" {
			r.AddAttrs(slog.String("account_id", acct))
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h *scopeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &scopeHandler{Handler: h.Handler.WithAttrs(as)}
}

func (h *scopeHandler) WithGroup(name string) slog.Handler {
	return &scopeHandler{Handler: h.Handler.WithGroup(name)}
}
