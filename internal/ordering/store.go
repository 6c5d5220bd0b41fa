package ordering

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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
// stores it, with the answer the caller will get, in the same transaction
// as what the request creates: a retry then finds either nothing (the
// first attempt did not commit) or the exact first answer.
type Claim struct {
	Account string
	Key     string
	Hash    string
	// Render turns the created object into the response, as the HTTP
	// layer will write it.
	Render func(v any) (status int, body []byte, err error)
}

// Record is a remembered answer.
type Record struct {
	Hash   string `json:"hash"`
	Status int    `json:"status"`
	Body   string `json:"body"`
}

func claimKey(account, key string) dynamo.Key {
	return dynamo.Key{PK: "IDEMPOTENCY#" + account + "#" + key, SK: "IDEMPOTENCY"}
}

// HashBody returns a hash of a JSON body that ignores white space and key
// order, so that a client that re-serialises the same request retries it.
func HashBody(raw []byte) string {
	var v any
	canon := raw
	if json.Unmarshal(raw, &v) == nil {
		if b, err := json.Marshal(v); err == nil {
			canon = b
		}
	}
	sum := sha256.Sum256(canon)
	return hex.EncodeToString(sum[:])
}

// attach adds the claim to tx. A nil claim (no key sent) adds nothing.
func (c *Claim) attach(tx *dynamo.Tx, result any, now time.Time) error {
	if c == nil {
		return nil
	}
	status, body, err := c.Render(result)
	if err != nil {
		return err
	}
	k := claimKey(c.Account, c.Key)
	r := docRow(k.PK, k.SK, "idempotency", c.Account, Record{Hash: c.Hash, Status: status, Body: string(body)})
	r.ExpiresAt = now.Add(IdempotencyTTL).Unix()
	// DynamoDB deletes expired items up to days late: a record past its
	// expiry is overwritten, as Remembered already ignores it.
	cond := expression.AttributeNotExists(expression.Name("pk")).Or(expression.Name("expires_at").LessThan(expression.Value(now.Unix())))
	tx.Put("idempotency", r, &cond)
	return nil
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
