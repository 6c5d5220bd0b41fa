package portal

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/ident"
)

// DefaultSessionTTL is how long a portal session lasts when the
// configuration does not say: a working day.
const DefaultSessionTTL = 8 * time.Hour

// LinkTTL is how long a sign-in link can be opened, once.
const LinkTTL = 10 * time.Minute

// secretBytes is 256 bits, as for API tokens: a fast hash is safe to store.
const secretBytes = 32

// Sessions opens, checks and closes portal sessions. A session is a random
// id in an HttpOnly cookie; the table keeps only its SHA-256, the hash of
// the API token that opened it, the CSRF token and the expiry (with
// expires_at, so that DynamoDB's TTL removes it).
type Sessions struct {
	table    *dynamo.Table
	accounts *account.Service
	now      func() time.Time
	ttl      time.Duration
}

// NewSessions returns the session service; ttl 0 means DefaultSessionTTL.
func NewSessions(table *dynamo.Table, accounts *account.Service, now func() time.Time, ttl time.Duration) *Sessions {
	if ttl <= 0 {
		ttl = DefaultSessionTTL
	}
	return &Sessions{table: table, accounts: accounts, now: now, ttl: ttl}
}

// Session is an open portal session.
type Session struct {
	Principal account.Principal
	// CSRF is the value every cookie-authenticated write must send in the
	// X-CSRF-Token header.
	CSRF    string
	Expires time.Time
}

// CheckCSRF reports whether got is the session's CSRF token, in constant
// time.
func (s Session) CheckCSRF(got string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.CSRF)) == 1
}

// Opened is a new session with the cookie value, which is never stored.
type Opened struct {
	Session
	ID string
}

// Open starts a session for an API token value (as pasted into the
// sign-in form).
func (s *Sessions) Open(ctx context.Context, token string) (Opened, error) {
	hash := account.HashToken(token)
	p, err := s.accounts.AuthenticateHash(ctx, hash)
	if err != nil {
		return Opened{}, err
	}
	o, it := s.newSession(p, hash)
	if err := s.table.Tx().Create("session", it).Commit(ctx); err != nil {
		return Opened{}, fmt.Errorf("portal: open session: %w", err)
	}
	return o, nil
}

// Link mints a one-time sign-in link code for the token whose hash is
// tokenHash. The code is shown once; only its hash is stored.
func (s *Sessions) Link(ctx context.Context, p account.Principal, tokenHash string) (code string, expires time.Time, err error) {
	code = ident.Secret(secretBytes)
	expires = s.now().UTC().Add(LinkTTL)
	it := linkItem{Row: dynamo.Row{Key: linkKey(code), Entity: "portal_link"}, grant: newGrant(p.AccountID, tokenHash, expires)}
	if err := s.table.Tx().Create("link", it).Commit(ctx); err != nil {
		return "", time.Time{}, fmt.Errorf("portal: mint sign-in link: %w", err)
	}
	return code, expires, nil
}

// Redeem opens a session from a sign-in link code and deletes the link in
// the same transaction, so that a link opens at most one session.
func (s *Sessions) Redeem(ctx context.Context, code string) (Opened, error) {
	invalid := fault.Unauthorizedf("the sign-in link is not valid: it expired, was already used, or was mistyped")
	var link linkItem
	err := s.table.Get(ctx, linkKey(code), &link)
	if errors.Is(err, dynamo.ErrNotFound) {
		return Opened{}, invalid
	}
	if err != nil {
		return Opened{}, fmt.Errorf("portal: read sign-in link: %w", err)
	}
	if !s.now().Before(link.Expires) {
		return Opened{}, invalid
	}
	p, err := s.accounts.AuthenticateHash(ctx, link.TokenHash)
	if err != nil {
		return Opened{}, err
	}
	o, it := s.newSession(p, link.TokenHash)
	exists := expression.AttributeExists(expression.Name(dynamo.PK))
	err = s.table.Tx().Delete("link", link.Key, &exists).Create("session", it).Commit(ctx)
	if cf, ok := dynamo.AsConditionFailed(err); ok && cf.Failed("link") {
		return Opened{}, invalid
	}
	if err != nil {
		return Opened{}, fmt.Errorf("portal: redeem sign-in link: %w", err)
	}
	return o, nil
}

// Authenticate resolves a session cookie value: one GetItem for the
// session and one for the token that opened it, so that a revoked token
// ends its sessions at once.
func (s *Sessions) Authenticate(ctx context.Context, id string) (Session, error) {
	var it sessionItem
	err := s.table.Get(ctx, sessionKey(id), &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return Session{}, fault.Unauthorizedf("the portal session has ended; sign in again")
	}
	if err != nil {
		return Session{}, fmt.Errorf("portal: read session: %w", err)
	}
	if !s.now().Before(it.Expires) {
		return Session{}, fault.Unauthorizedf("the portal session has expired; sign in again")
	}
	p, err := s.accounts.AuthenticateHash(ctx, it.TokenHash)
	if err != nil {
		return Session{}, err
	}
	return Session{Principal: p, CSRF: it.CSRF, Expires: it.Expires}, nil
}

// Close ends a session on the server (sign-out).
func (s *Sessions) Close(ctx context.Context, id string) error {
	if err := s.table.Tx().Delete("session", sessionKey(id), nil).Commit(ctx); err != nil {
		return fmt.Errorf("portal: close session: %w", err)
	}
	return nil
}

func (s *Sessions) newSession(p account.Principal, tokenHash string) (Opened, sessionItem) {
	id := ident.Secret(secretBytes)
	expires := s.now().UTC().Add(s.ttl).Truncate(time.Second)
	csrf := ident.Secret(secretBytes)
	it := sessionItem{Row: dynamo.Row{Key: sessionKey(id), Entity: "portal_session"}, grant: newGrant(p.AccountID, tokenHash, expires), CSRF: csrf}
	return Opened{Session: Session{Principal: p, CSRF: csrf, Expires: expires}, ID: id}, it
}
