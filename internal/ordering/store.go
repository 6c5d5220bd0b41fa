package ordering

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/mercato-dev/mercato/internal/dynamo"
)

func docRow(pk, sk, entity, owner string, v any) row {
	return row{Row: dynamo.DocRow(dynamo.Key{PK: pk, SK: sk}, entity, v), Owner: owner, Rev: 1}
}

// IdempotencyTTL is how long a key is remembered.
const IdempotencyTTL = 24 * time.Hour

// Claim is an idempotency key being used for the first time. The service
// stores it, with what the request created, in the same transaction as the
// creation: a retry then finds either nothing (the first attempt did not
// commit) or the very object the first attempt created, which the API
// answers again as it answered it then.
type Claim struct {
	Account string
	Key     string
	// Hash names the request the key was first used for; the API refuses
	// the key for any other.
	Hash string
}

// Record is a remembered creation: the hash of its request and the object
// it created, as JSON.
type Record struct {
	Hash    string          `json:"hash"`
	Created json.RawMessage `json:"created"`
}

func claimKey(account, key string) dynamo.Key {
	return dynamo.Key{PK: "IDEMPOTENCY#" + account + "#" + key, SK: "IDEMPOTENCY"}
}

// attach adds the claim and what the request created to tx. A nil claim
// (no key sent) adds nothing.
func (c *Claim) attach(tx *dynamo.Tx, created any, now time.Time) {
	if c == nil {
		return
	}
	k := claimKey(c.Account, c.Key)
	r := docRow(k.PK, k.SK, "idempotency", c.Account, Record{Hash: c.Hash, Created: json.RawMessage(dynamo.DocJSON(created))})
	r.ExpiresAt = now.Add(IdempotencyTTL).Unix()
	// DynamoDB deletes expired items up to days late: a record past its
	// expiry is overwritten, as Remembered already ignores it.
	cond := expression.AttributeNotExists(expression.Name("pk")).Or(expression.Name("expires_at").LessThan(expression.Value(now.Unix())))
	tx.Put("idempotency", r, &cond)
}

// Remembered returns the record of a key, or nil. Expired records that
// DynamoDB has not deleted yet are ignored.
func (s *Service) Remembered(ctx context.Context, account, key string) (*Record, error) {
	var r row
	err := s.table.Get(ctx, claimKey(account, key), &r)
	if errors.Is(err, dynamo.ErrNotFound) || (err == nil && r.ExpiresAt < s.now().Unix()) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rec, err := dynamo.Decode[Record](r)
	return &rec, err
}

// IsClaimConflict reports whether err means another request with the same
// idempotency key committed first.
func IsClaimConflict(err error) bool {
	cf, ok := dynamo.AsConditionFailed(err)
	return ok && cf.Failed("idempotency")
}

func revIs(rev int) expression.ConditionBuilder {
	return expression.Name("rev").Equal(expression.Value(rev))
}
