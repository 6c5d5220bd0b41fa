package mock

import (
	"context"

	"github.com/mercato-dev/mercato/internal/account"
)

// AccountService stands in for account.Service: each method calls its Fn field.
type AccountService struct {
	AuthenticateFn  func(ctx context.Context, header string) (account.Principal, error)
	CreateAccountFn func(ctx context.Context, actor account.Principal, in account.CreateAccountInput) (account.Created, error)
	CreateTokenFn   func(ctx context.Context, actor account.Principal, in account.CreateTokenInput) (account.NewToken, error)
	DeleteTokenFn   func(ctx context.Context, actor account.Principal, tokenID string) error
	GetFn           func(ctx context.Context, actor account.Principal, id string) (account.Account, error)
	ListFn          func(ctx context.Context, actor account.Principal, t account.Type) ([]account.Account, error)
	ListTokensFn    func(ctx context.Context, actor account.Principal) ([]account.Token, error)
	UpdateTokenFn   func(ctx context.Context, actor account.Principal, tokenID string, in account.UpdateTokenInput) (account.Token, error)
}

func (s *AccountService) Authenticate(ctx context.Context, header string) (account.Principal, error) {
	return s.AuthenticateFn(ctx, header)
}

func (s *AccountService) CreateAccount(ctx context.Context, actor account.Principal, in account.CreateAccountInput) (account.Created, error) {
	return s.CreateAccountFn(ctx, actor, in)
}

func (s *AccountService) CreateToken(ctx context.Context, actor account.Principal, in account.CreateTokenInput) (account.NewToken, error) {
	return s.CreateTokenFn(ctx, actor, in)
}

func (s *AccountService) DeleteToken(ctx context.Context, actor account.Principal, tokenID string) error {
	return s.DeleteTokenFn(ctx, actor, tokenID)
}

func (s *AccountService) Get(ctx context.Context, actor account.Principal, id string) (account.Account, error) {
	return s.GetFn(ctx, actor, id)
}

func (s *AccountService) List(ctx context.Context, actor account.Principal, t account.Type) ([]account.Account, error) {
	return s.ListFn(ctx, actor, t)
}

func (s *AccountService) ListTokens(ctx context.Context, actor account.Principal) ([]account.Token, error) {
	return s.ListTokensFn(ctx, actor)
}

func (s *AccountService) UpdateToken(ctx context.Context, actor account.Principal, tokenID string, in account.UpdateTokenInput) (account.Token, error) {
	return s.UpdateTokenFn(ctx, actor, tokenID, in)
}
