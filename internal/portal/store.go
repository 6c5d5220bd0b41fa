package portal

import (
	"time"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/dynamo"
)

// Item layout:
//
//	PSESSION#<sha256 of the cookie value> / SESSION   a portal session
//	PLINK#<sha256 of the link code> / LINK            an unused sign-in link
//
// Both carry expires_at, the table's TTL attribute; the code checks the
// expiry itself too, since TTL deletion lags.
type sessionItem struct {
	dynamo.Row
	grant
	CSRF string `dynamodbav:"csrf"`
}

// grant is what a session and a sign-in link both hold: the account and
// token they stand for, and until when.
type grant struct {
	AccountID string    `dynamodbav:"account_id"`
	TokenHash string    `dynamodbav:"token_hash"`
	Expires   time.Time `dynamodbav:"expires"`
	ExpiresAt int64     `dynamodbav:"expires_at"`
}

func newGrant(accountID, tokenHash string, expires time.Time) grant {
	return grant{AccountID: accountID, TokenHash: tokenHash, Expires: expires, ExpiresAt: expires.Unix()}
}

func sessionKey(id string) dynamo.Key {
	return dynamo.Key{PK: "PSESSION#" + account.HashToken(id), SK: "SESSION"}
}

type linkItem struct {
	dynamo.Row
	grant
}

func linkKey(code string) dynamo.Key {
	return dynamo.Key{PK: "PLINK#" + account.HashToken(code), SK: "LINK"}
}
