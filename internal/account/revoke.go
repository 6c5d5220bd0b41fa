package account

import (
	"context"
	"errors"
)

// RevokeValue revokes the token whose value leaked, whoever owns it: an
// operator holds the value (from a paste or a log), not the owner's
// credentials. It answers the revoked token.
func (s *Service) RevokeValue(ctx context.Context, value string) (Token, error) {
	auth, err := s.getTokenAuth(ctx, HashToken(value))
	if isNotFound(err) {
		return Token{}, errors.New("account: no token has this value (revoked already, or never issued)")
	}
	if err != nil {
		return Token{}, err
	}
	owner := Principal{AccountID: auth.AccountID, AccountType: auth.AccountType, AccountName: auth.AccountName}
	it, err := s.getTokenList(ctx, auth.AccountID, auth.TokenID)
	if err != nil {
		return Token{}, err
	}
	return it.token(), s.DeleteToken(ctx, owner, auth.TokenID)
}

// RevokeAll revokes every token of account id, which disables it: no
// request of it authenticates until an administrator issues it a new token
// (README, runbook). It answers the revoked tokens.
func (s *Service) RevokeAll(ctx context.Context, id string) ([]Token, error) {
	owner := Principal{AccountID: id}
	if _, err := s.getAccount(ctx, id); err != nil {
		return nil, err
	}
	toks, err := s.ListTokens(ctx, owner)
	if err != nil {
		return nil, err
	}
	for _, t := range toks {
		if err := s.DeleteToken(ctx, owner, t.ID); err != nil {
			return nil, err
		}
	}
	return toks, nil
}

// IssueToken gives account id a new token: how an administrator enables an
// account again after RevokeAll, or hands a vendor a replacement.
func (s *Service) IssueToken(ctx context.Context, id, name string) (NewToken, error) {
	acct, err := s.getAccount(ctx, id)
	if err != nil {
		return NewToken{}, err
	}
	return s.mintToken(ctx, acct, name)
}
