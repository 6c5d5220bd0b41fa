package account

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/mercato-dev/mercato/internal/cache"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/fault"
)

// Service manages accounts and tokens.
type Service struct {
	table         *dynamo.Table
	now           func() time.Time
	retentionDays int
	// tokens caches authentications by token hash (see TokenCacheTTL).
	tokens *cache.Cache[string, tokenAuthItem]
}

// TokenCacheTTL is how long an instance trusts a token it has
// authenticated without reading it again, and so how long a token revoked
// through another instance may still be accepted by this one (a revoke
// through this instance takes effect at once). API Gateway's own
// authorizer caches default to 5 minutes; 30 s keeps a warm request free
// of the token read while bounding that delay. TokenCacheSize bounds the
// cache (an entry is about 200 bytes); only valid tokens are cached, so
// invalid ones cannot fill it.
const (
	TokenCacheTTL  = 30 * time.Second
	TokenCacheSize = 4096
)

// NewService returns a service on table. now is the clock (time.Now in
// production); events are kept retentionDays in the outbox.
func NewService(table *dynamo.Table, now func() time.Time, retentionDays int) *Service {
	return &Service{table: table, now: now, retentionDays: retentionDays,
		tokens: cache.New[string, tokenAuthItem](TokenCacheSize, TokenCacheTTL, now)}
}

// CreateAccountInput is the body of POST /public/v1/accounts.
type CreateAccountInput struct {
	Type  Type   `json:"type"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

func (in CreateAccountInput) validate() error {
	var msgs []string
	if !in.Type.Valid() {
		msgs = append(msgs, fmt.Sprintf("type must be one of vendor, provider, admin (got %q)", in.Type))
	}
	if err := validateName("name", in.Name, 200); err != nil {
		msgs = append(msgs, err.(*fault.Error).Messages...)
	}
	if in.Email != "" {
		if _, err := mail.ParseAddress(in.Email); err != nil {
			msgs = append(msgs, fmt.Sprintf("email %q is not a valid address", in.Email))
		}
	}
	if len(msgs) > 0 {
		return fault.InvalidList(msgs...)
	}
	return nil
}

// Created is an account with its first token, which is shown only here.
type Created struct {
	Account
	Token NewToken `json:"token"`
}

// CreateAccount creates an account and its first token. Only admins may.
func (s *Service) CreateAccount(ctx context.Context, actor Principal, in CreateAccountInput) (Created, error) {
	if !actor.Is(Admin) {
		return Created{}, fault.Forbiddenf("only an admin account can create accounts")
	}
	return s.create(ctx, in, "")
}

// Ensure returns the account registered under alias, creating it and a
// token the first time. It lets the local stack and the admin bootstrap be
// run again without making duplicates. The token is minted on every call,
// because an existing one cannot be shown again.
func (s *Service) Ensure(ctx context.Context, alias string, in CreateAccountInput) (Created, error) {
	c, err := s.create(ctx, in, alias)
	if err == nil {
		return c, nil
	}
	if cf, ok := dynamo.AsConditionFailed(err); !ok || !cf.Failed("alias") {
		return Created{}, err
	}
	var al aliasItem
	if err := s.table.Get(ctx, aliasKey(alias), &al); err != nil {
		return Created{}, fmt.Errorf("account: read alias %s: %w", alias, err)
	}
	acct, err := s.getAccount(ctx, al.AccountID)
	if err != nil {
		return Created{}, fmt.Errorf("account: read %s: %w", al.AccountID, err)
	}
	tok, err := s.mintToken(ctx, acct, "local "+s.now().UTC().Format(time.RFC3339))
	if err != nil {
		return Created{}, err
	}
	return Created{Account: acct, Token: tok}, nil
}

type aliasItem struct {
	dynamo.Row
	AccountID string `dynamodbav:"account_id"`
}

func aliasKey(alias string) dynamo.Key { return dynamo.Key{PK: "ALIAS#" + alias, SK: "ALIAS"} }

func (s *Service) create(ctx context.Context, in CreateAccountInput, alias string) (Created, error) {
	in.Name = strings.TrimSpace(in.Name)
	if err := in.validate(); err != nil {
		return Created{}, err
	}
	now := s.now().UTC()
	acct := Account{ID: NewID(in.Type), Type: in.Type, Name: in.Name, Email: in.Email, Created: now}
	tok, tokItems := s.newToken(acct, "default", now)
	ev, err := event.New(event.AccountCreated, acct.ID, acct, now)
	if err != nil {
		return Created{}, err
	}
	tx := s.table.Tx()
	if alias != "" {
		tx.Create("alias", aliasItem{Row: dynamo.Row{Key: aliasKey(alias), Entity: "alias"}, AccountID: acct.ID})
	}
	tx.Create("account", newAccountItem(acct)).
		Create("token", tokItems.list).
		Create("token hash", tokItems.auth).
		Emit(ev, s.retentionDays)
	if err := tx.Commit(ctx); err != nil {
		return Created{}, fmt.Errorf("account: create %s: %w", acct.ID, err)
	}
	return Created{Account: acct, Token: tok}, nil
}

// Get returns an account. Non-admins see only their own; any other id is
// reported as not found so that ids do not leak.
func (s *Service) Get(ctx context.Context, actor Principal, id string) (Account, error) {
	if !actor.Is(Admin) && id != actor.AccountID {
		return Account{}, fault.NotFoundf("account %s not found", id)
	}
	acct, err := s.getAccount(ctx, id)
	if isNotFound(err) {
		return Account{}, fault.NotFoundf("account %s not found", id)
	}
	return acct, err
}

// List returns the accounts of type t (all types when empty), for admins.
func (s *Service) List(ctx context.Context, actor Principal, t Type) ([]Account, error) {
	if !actor.Is(Admin) {
		return nil, fault.Forbiddenf("only an admin account can list accounts")
	}
	types := []Type{Vendor, Provider, Admin}
	if t != "" {
		if !t.Valid() {
			return nil, fault.Invalidf("type must be one of vendor, provider, admin (got %q)", t)
		}
		types = []Type{t}
	}
	var out []Account
	for _, typ := range types {
		items, err := dynamo.QueryAll[accountItem](ctx, s.table, dynamo.Partition{Index: dynamo.GSI1, PK: "ACCOUNTS#" + string(typ)})
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			out = append(out, it.account())
		}
	}
	return out, nil
}

type tokenItems struct {
	list tokenListItem
	auth tokenAuthItem
}

func (s *Service) newToken(acct Account, name string, now time.Time) (NewToken, tokenItems) {
	id, value := newTokenValue()
	hash := HashToken(value)
	tok := Token{ID: id, Name: name, AccountID: acct.ID, Created: now, Hint: hint(value)}
	items := tokenItems{
		list: tokenListItem{Row: dynamo.Row{Key: tokenListKey(acct.ID, id), Entity: "token"}, Token: tok, Hash: hash},
		auth: tokenAuthItem{Row: dynamo.Row{Key: tokenAuthKey(hash), Entity: "token_hash"}, TokenID: id,
			AccountID: acct.ID, AccountType: acct.Type, AccountName: acct.Name},
	}
	return NewToken{Token: tok, Value: value}, items
}

// CreateTokenInput is the body of POST /public/v1/auth/tokens.
type CreateTokenInput struct {
	Name string `json:"name"`
}

// CreateToken mints a token for the caller's own account.
func (s *Service) CreateToken(ctx context.Context, actor Principal, in CreateTokenInput) (NewToken, error) {
	if err := validateName("name", in.Name, 100); err != nil {
		return NewToken{}, err
	}
	acct := Account{ID: actor.AccountID, Type: actor.AccountType, Name: actor.AccountName}
	return s.mintToken(ctx, acct, strings.TrimSpace(in.Name))
}

func (s *Service) mintToken(ctx context.Context, acct Account, name string) (NewToken, error) {
	now := s.now().UTC()
	tok, items := s.newToken(acct, name, now)
	ev, err := event.New(event.TokenCreated, acct.ID, tok.Token, now)
	if err != nil {
		return NewToken{}, err
	}
	// The account must still exist: a token for a deleted account would
	// authenticate as nobody.
	exists := expression.AttributeExists(expression.Name(dynamo.PK))
	err = s.table.Tx().
		Check("account", accountKey(acct.ID), exists).
		Create("token", items.list).
		Create("token hash", items.auth).
		Emit(ev, s.retentionDays).
		Commit(ctx)
	if err != nil {
		return NewToken{}, fmt.Errorf("account: create token for %s: %w", acct.ID, err)
	}
	return tok, nil
}

// ListTokens lists the caller's tokens, without their values.
func (s *Service) ListTokens(ctx context.Context, actor Principal) ([]Token, error) {
	items, err := dynamo.QueryAll[tokenListItem](ctx, s.table, dynamo.Partition{PK: "ACCOUNT#" + actor.AccountID, SKPrefix: "TOKEN#"})
	if err != nil {
		return nil, err
	}
	out := make([]Token, 0, len(items))
	for _, it := range items {
		out = append(out, it.token())
	}
	return out, nil
}

// UpdateTokenInput is the body of PUT /public/v1/auth/tokens/{id}: what
// Connect lets a token's owner change. Fields left out keep their value.
type UpdateTokenInput struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
	ExternalID  *string `json:"external_id"`
}

// Connect's limits on a token's notes.
const (
	maxTokenDescription = 255
	maxTokenExternalID  = 128
)

func (in UpdateTokenInput) apply(it *tokenListItem) error {
	var msgs []string
	if in.Name != nil {
		if err := validateName("name", *in.Name, 100); err != nil {
			msgs = append(msgs, err.Error())
		} else {
			it.Name = strings.TrimSpace(*in.Name)
		}
	}
	if in.Description != nil {
		if len(*in.Description) > maxTokenDescription {
			msgs = append(msgs, fmt.Sprintf("description must be at most %d characters", maxTokenDescription))
		} else {
			it.Description = *in.Description
		}
	}
	if in.ExternalID != nil {
		if len(*in.ExternalID) > maxTokenExternalID {
			msgs = append(msgs, fmt.Sprintf("external_id must be at most %d characters", maxTokenExternalID))
		} else {
			it.ExternalID = *in.ExternalID
		}
	}
	if len(msgs) > 0 {
		return fault.InvalidList(msgs...)
	}
	return nil
}

// UpdateToken renames one of the caller's tokens or changes its notes. What
// the token may do and its secret do not change.
func (s *Service) UpdateToken(ctx context.Context, actor Principal, tokenID string, in UpdateTokenInput) (Token, error) {
	it, err := s.getTokenList(ctx, actor.AccountID, tokenID)
	if isNotFound(err) {
		return Token{}, fault.NotFoundf("token %s not found", tokenID)
	}
	if err != nil {
		return Token{}, err
	}
	if err := in.apply(&it); err != nil {
		return Token{}, err
	}
	ev, err := event.New(event.TokenUpdated, actor.AccountID, it.token(), s.now().UTC())
	if err != nil {
		return Token{}, err
	}
	// A token deleted meanwhile stays deleted.
	exists := expression.AttributeExists(expression.Name(dynamo.PK))
	err = s.table.Tx().Put("token", it, &exists).Emit(ev, s.retentionDays).Commit(ctx)
	if fault.Is(err, fault.Conflict) {
		return Token{}, fault.NotFoundf("token %s not found", tokenID)
	}
	if err != nil {
		return Token{}, fmt.Errorf("account: update token %s: %w", tokenID, err)
	}
	return it.token(), nil
}

// DeleteToken revokes one of the caller's tokens.
func (s *Service) DeleteToken(ctx context.Context, actor Principal, tokenID string) error {
	it, err := s.getTokenList(ctx, actor.AccountID, tokenID)
	if isNotFound(err) {
		return fault.NotFoundf("token %s not found", tokenID)
	}
	if err != nil {
		return err
	}
	now := s.now().UTC()
	ev, err := event.New(event.TokenDeleted, actor.AccountID, it.token(), now)
	if err != nil {
		return err
	}
	exists := expression.AttributeExists(expression.Name(dynamo.PK))
	err = s.table.Tx().
		Delete("token", it.Key, &exists).
		Delete("token hash", tokenAuthKey(it.Hash), nil).
		Emit(ev, s.retentionDays).
		Commit(ctx)
	if fault.Is(err, fault.Conflict) {
		return fault.NotFoundf("token %s not found", tokenID)
	}
	if err == nil {
		s.tokens.Remove(it.Hash)
	}
	return err
}

// Authenticate resolves an Authorization header to a Principal with one
// GetItem, or none when this instance authenticated the token less than
// TokenCacheTTL ago.
func (s *Service) Authenticate(ctx context.Context, header string) (Principal, error) {
	value, err := ParseAuthorization(header)
	if err != nil {
		return Principal{}, err
	}
	return s.AuthenticateHash(ctx, HashToken(value))
}

// AuthenticateHash resolves a token's stored hash (HashToken) to a
// Principal with one GetItem, or none when this instance authenticated it
// less than TokenCacheTTL ago. Portal sessions keep the hash of the token
// that opened them, so that revoking the token ends them too.
func (s *Service) AuthenticateHash(ctx context.Context, hash string) (Principal, error) {
	it, ok := s.tokens.Get(hash)
	if !ok {
		var err error
		it, err = s.getTokenAuth(ctx, hash)
		if isNotFound(err) {
			return Principal{}, fault.Unauthorizedf("the token is not valid")
		}
		if err != nil {
			return Principal{}, fmt.Errorf("account: authenticate: %w", err)
		}
		s.tokens.Add(hash, it)
	}
	// The expiry is checked on every request, cached or not.
	if it.Expires != nil && !s.now().Before(*it.Expires) {
		return Principal{}, fault.Unauthorizedf("the token has expired")
	}
	return Principal{AccountID: it.AccountID, AccountType: it.AccountType, AccountName: it.AccountName, TokenID: it.TokenID}, nil
}
