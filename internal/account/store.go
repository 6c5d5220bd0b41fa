package account

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/mercato-dev/mercato/internal/dynamo"
)

// Item layout:
//
//	ACCOUNT#<id> / ACCOUNT          the account; gsi1 ACCOUNTS#<type> / <id>
//	ACCOUNT#<id> / TOKEN#<tokenid>  a token as listed (with its hash, to delete it)
//	TOKEN#<sha256> / TOKEN          the token as authenticated, with the account
//	                                denormalised so that authentication is one GetItem
//
// The account and token items store Account and Token under the names
// their JSON has.
type accountItem struct {
	dynamo.Row
	Account
}

func accountKey(id string) dynamo.Key { return dynamo.Key{PK: "ACCOUNT#" + id, SK: "ACCOUNT"} }

func newAccountItem(a Account) accountItem {
	return accountItem{
		Row: dynamo.Row{Key: accountKey(a.ID), Entity: "account",
			Indexes: dynamo.Indexes{GSI1PK: "ACCOUNTS#" + string(a.Type), GSI1SK: a.ID}},
		Account: a,
	}
}

func (it accountItem) account() Account { return it.Account }

type tokenListItem struct {
	dynamo.Row
	Token
	Hash string `dynamodbav:"hash"`
}

func tokenListKey(accountID, tokenID string) dynamo.Key {
	return dynamo.Key{PK: "ACCOUNT#" + accountID, SK: "TOKEN#" + tokenID}
}

func (it tokenListItem) token() Token { return it.Token }

type tokenAuthItem struct {
	dynamo.Row
	TokenID     string     `dynamodbav:"token_id"`
	AccountID   string     `dynamodbav:"account_id"`
	AccountType Type       `dynamodbav:"account_type"`
	AccountName string     `dynamodbav:"account_name"`
	Expires     *time.Time `dynamodbav:"expires,omitempty"`
}

func tokenAuthKey(hash string) dynamo.Key { return dynamo.Key{PK: "TOKEN#" + hash, SK: "TOKEN"} }

func (s *Service) getAccount(ctx context.Context, id string) (Account, error) {
	var it accountItem
	if err := s.table.Get(ctx, accountKey(id), &it); err != nil {
		return Account{}, err
	}
	return it.account(), nil
}

func (s *Service) getTokenAuth(ctx context.Context, hash string) (tokenAuthItem, error) {
	var it tokenAuthItem
	err := s.table.Get(ctx, tokenAuthKey(hash), &it)
	return it, err
}

func (s *Service) getTokenList(ctx context.Context, accountID, tokenID string) (tokenListItem, error) {
	var it tokenListItem
	err := s.table.Get(ctx, tokenListKey(accountID, tokenID), &it)
	return it, err
}

func isNotFound(err error) bool { return errors.Is(err, dynamo.ErrNotFound) }

func hint(value string) string {
	if i := strings.LastIndexByte(value, ':'); i >= 0 && len(value)-i > 4 {
		return "…" + value[len(value)-4:]
	}
	return ""
}
