// Package account holds the platform's tenants (vendor, provider and admin
// accounts), their API tokens, and the authentication that turns a token
// into a Principal. Tokens are stored only as SHA-256 hashes and shown once.
package account

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/ident"
)

// Type is the kind of account.
type Type string

// The account types.
const (
	Vendor   Type = "vendor"
	Provider Type = "provider"
	Admin    Type = "admin"
)

// Valid reports whether t is a known account type.
func (t Type) Valid() bool { return t == Vendor || t == Provider || t == Admin }

// Account is a tenant.
type Account struct {
	ID      string    `json:"id" dynamodbav:"id"`
	Type    Type      `json:"type" dynamodbav:"type"`
	Name    string    `json:"name" dynamodbav:"name"`
	Email   string    `json:"email,omitempty" dynamodbav:"email,omitempty"`
	Created time.Time `json:"created" dynamodbav:"created"`
}

// NewID returns an id for an account of type t: VA-123-456 for vendors,
// PA-123-456 for providers, and AA-123-456 for admins.
func NewID(t Type) string {
	switch t {
	case Vendor:
		return ident.Digits("VA", 3, 3)
	case Provider:
		return ident.Digits("PA", 3, 3)
	default:
		return ident.Digits("AA", 3, 3)
	}
}

// Token is an API token as listed: never with its secret.
type Token struct {
	ID   string `json:"id" dynamodbav:"id"`
	Name string `json:"name" dynamodbav:"name"`
	// Description and ExternalID are the owner's notes on the token
	// (Connect's PUT /auth/tokens/{id}); they change nothing it may do.
	Description string     `json:"description,omitempty" dynamodbav:"description,omitempty"`
	ExternalID  string     `json:"external_id,omitempty" dynamodbav:"external_id,omitempty"`
	AccountID   string     `json:"account_id" dynamodbav:"account_id"`
	Created     time.Time  `json:"created" dynamodbav:"created"`
	Expires     *time.Time `json:"expires,omitempty" dynamodbav:"expires,omitempty"`
	// Hint is the end of the secret, so that a user can tell tokens apart.
	Hint string `json:"hint" dynamodbav:"hint"`
}

// NewToken is a token as created: the only time its value is shown.
type NewToken struct {
	Token
	// Value is "SU-123-456-789:<secret>", to send as "ApiKey <value>" or
	// "Bearer <value>".
	Value string `json:"token"`
}

// Principal is who is calling, as established by a token.
type Principal struct {
	AccountID   string `json:"account_id"`
	AccountType Type   `json:"account_type"`
	AccountName string `json:"account_name"`
	TokenID     string `json:"token_id"`
}

// Is reports whether the principal's account is of one of the types.
func (p Principal) Is(types ...Type) bool {
	for _, t := range types {
		if p.AccountType == t {
			return true
		}
	}
	return false
}

// secretBytes is 256 bits: enough that a fast hash is safe to store (nothing
// can be brute-forced), the way GitHub and Stripe treat their tokens.
const secretBytes = 32

func newTokenValue() (id, value string) {
	id = ident.Digits("SU", 3, 3, 3)
	return id, id + ":" + ident.Secret(secretBytes)
}

// HashToken returns the stored form of a token value.
func HashToken(value string) string {
	sum := sha256.Sum256([]byte(value))
	return hex.EncodeToString(sum[:])
}

// ParseAuthorization extracts the token from an Authorization header. Both
// Connect's "ApiKey <token>" and Partner Center's "Bearer <token>" are
// accepted, with the scheme in any case.
func ParseAuthorization(header string) (string, error) {
	scheme, value, ok := strings.Cut(strings.TrimSpace(header), " ")
	value = strings.TrimSpace(value)
	if header == "" {
		return "", fault.Unauthorizedf("missing Authorization header: send \"ApiKey <token>\" or \"Bearer <token>\"")
	}
	if !ok || value == "" || !(strings.EqualFold(scheme, "ApiKey") || strings.EqualFold(scheme, "Bearer")) {
		return "", fault.Unauthorizedf("malformed Authorization header: send \"ApiKey <token>\" or \"Bearer <token>\"")
	}
	return value, nil
}

func validateName(field, name string, max int) error {
	n := strings.TrimSpace(name)
	if n == "" {
		return fault.Invalidf("%s is required", field)
	}
	if len(n) > max {
		return fault.Invalidf("%s must be at most %d characters", field, max)
	}
	return nil
}
