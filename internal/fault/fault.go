// Package fault defines the errors that domain packages return. Each carries
// a Kind that the HTTP layer maps to a status in exactly one place, plus the
// codes and sentences that both API faces (Connect and Partner Center) show.
package fault

import (
	"errors"
	"fmt"
)

// Kind classifies an error for mapping to a transport status.
type Kind int

// The kinds, in the order the HTTP layer maps them.
const (
	Internal         Kind = iota // a bug or an unavailable dependency: 500
	Invalid                      // the input breaks a rule: 400
	Malformed                    // the body is not valid JSON or has wrong types: 400
	Transition                   // the action is illegal in the object's current state: 400
	Unauthorized                 // no or bad credentials: 401
	Forbidden                    // the caller's account type may not do this: 403
	NotFound                     // unknown id, or another tenant's id: 404
	MethodNotAllowed             // the path exists but not with this method: 405
	Conflict                     // lost a race or replayed with another body: 409
	TooLarge                     // the body exceeds the limit: 413
	Unsupported                  // the media type is not accepted: 415
	Throttled                    // too many requests: 429
	Unavailable                  // a dependency is briefly unavailable; retry: 503
)

// Error is a domain error. Messages are shown to API callers, so they must
// never contain secrets or internal details.
type Error struct {
	Kind Kind
	// Code is the Connect-style error code, such as "REQ_003". Empty means the
	// default for Kind.
	Code string
	// PartnerCode is the Partner Center numeric code, such as 800009. Zero
	// means the default for Kind.
	PartnerCode int
	// Messages are human sentences; the first is the summary.
	Messages []string
	// Err is the cause, kept for logs and errors.Is, never shown.
	Err error
}

func (e *Error) Error() string {
	msg := "error"
	if len(e.Messages) > 0 {
		msg = e.Messages[0]
	}
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", msg, e.Err)
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// WithCode returns a copy of e carrying the given Connect code.
func (e *Error) WithCode(code string) *Error {
	c := *e
	c.Code = code
	return &c
}

// WithPartnerCode returns a copy of e carrying the given Partner Center code.
func (e *Error) WithPartnerCode(code int) *Error {
	c := *e
	c.PartnerCode = code
	return &c
}

func newf(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Messages: []string{fmt.Sprintf(format, args...)}}
}

// Invalidf reports input that breaks a rule.
func Invalidf(format string, args ...any) *Error { return newf(Invalid, format, args...) }

// InvalidList reports several broken rules at once, so a caller can fix them
// in one round trip.
func InvalidList(msgs ...string) *Error { return &Error{Kind: Invalid, Messages: msgs} }

// Malformedf reports a body that cannot be decoded.
func Malformedf(format string, args ...any) *Error { return newf(Malformed, format, args...) }

// Transitionf reports an action that the current status does not allow.
func Transitionf(format string, args ...any) *Error { return newf(Transition, format, args...) }

// NotFoundf reports an unknown object. Objects of other tenants are reported
// the same way so that ids do not leak.
func NotFoundf(format string, args ...any) *Error { return newf(NotFound, format, args...) }

// Conflictf reports a lost race or an idempotency-key mismatch.
func Conflictf(format string, args ...any) *Error { return newf(Conflict, format, args...) }

// Forbiddenf reports an account type that may not call an endpoint.
func Forbiddenf(format string, args ...any) *Error { return newf(Forbidden, format, args...) }

// Unauthorizedf reports missing or bad credentials.
func Unauthorizedf(format string, args ...any) *Error { return newf(Unauthorized, format, args...) }

// TooLargef reports an oversize body.
func TooLargef(format string, args ...any) *Error { return newf(TooLarge, format, args...) }

// KindOf returns the kind of err, Internal when err is not a *Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// As returns err as a *Error when it is one.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Is reports whether err is a *Error of kind k.
func Is(err error, k Kind) bool {
	e, ok := As(err)
	return ok && e.Kind == k
}
