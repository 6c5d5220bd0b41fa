package billing

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/shopspring/decimal"

	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/dynamo"
)

// Invoice statuses: an open invoice is its period's running total and is
// rewritten by every billing run; a closed one never changes again.
const (
	InvoiceOpen   = "open"
	InvoiceClosed = "closed"
)

// Invoice is one provider's charges of one period in one currency.
type Invoice struct {
	ID           string          `json:"id"`
	Provider     catalog.Ref     `json:"provider"`
	Period       string          `json:"period"`
	Start        time.Time       `json:"start"`
	End          time.Time       `json:"end"`
	Currency     string          `json:"currency"`
	Status       string          `json:"status"`
	OneTimeTotal decimal.Decimal `json:"onetime_total"`
	UsageTotal   decimal.Decimal `json:"usage_total"`
	Total        decimal.Decimal `json:"total"`
	OneTimeLines int             `json:"onetime_lines"`
	UsageLines   int             `json:"usage_lines"`
	Created      time.Time       `json:"created"`
	Updated      time.Time       `json:"updated"`
}

// InvoiceID is the id of a provider's invoice of a period in a currency:
// derived, not random, so that every run of the same period writes the
// same invoice.
func InvoiceID(provider string, p Period, currency string) string {
	digits := strings.ReplaceAll(strings.TrimPrefix(provider, "PA-"), "-", "")
	return fmt.Sprintf("IN-%s-%s-%s", p.Start.Format("200601"), digits, currency)
}

// Items of billing:
//
//	INVOICE#<id> / INVOICE            the invoice; gsi1 INVOICES#<provider> / <period>#<id>
//	INVOICE#<id> / LINE#O#<key>       a license line (keys name the source: R#<asset>#<item>#<first day>)
//	INVOICE#<id> / LINE#U#<key>       a usage line (U#<record id>)
//	BILLING#<provider> / STATE        the last period closed for the provider
//	BILLING#<provider> / RUN          the provider's billing run: its step, cursor and totals (run.go)
//	BILLING#<provider> / REQUESTED    when a run was last asked for by an accepted file
//
// Line keys are derived from what they charge, so a run that rates the
// same thing again overwrites the same line.
type invoiceRow struct {
	dynamo.Row
	Status string `dynamodbav:"status,omitempty"`
}

func invoicePK(id string) string { return "INVOICE#" + id }

func invoiceKey(id string) dynamo.Key { return dynamo.Key{PK: invoicePK(id), SK: "INVOICE"} }

func linePrefix(billingType string) string {
	if billingType == ProviderUsage {
		return "LINE#U#"
	}
	return "LINE#O#"
}

type stateRow struct {
	dynamo.Row
	ClosedThrough string `dynamodbav:"closed_through"`
}

func stateKey(provider string) dynamo.Key { return dynamo.Key{PK: "BILLING#" + provider, SK: "STATE"} }

// Store reads and writes invoices.
type Store struct{ table *dynamo.Table }

// NewStore returns a store on table.
func NewStore(table *dynamo.Table) *Store { return &Store{table: table} }

// ErrNotFound reports an unknown invoice.
var ErrNotFound = errors.New("billing: invoice not found")

// Invoice reads an invoice.
func (s *Store) Invoice(ctx context.Context, id string) (Invoice, error) {
	r, err := dynamo.GetAs[invoiceRow](ctx, s.table, invoiceKey(id), ErrNotFound)
	if err != nil {
		return Invoice{}, err
	}
	return dynamo.Decode[Invoice](r)
}

// Invoices reads a provider's invoices, oldest period first.
func (s *Store) Invoices(ctx context.Context, provider string) ([]Invoice, error) {
	rows, err := dynamo.QueryAll[invoiceRow](ctx, s.table, dynamo.Partition{Index: dynamo.GSI1, PK: "INVOICES#" + provider})
	if err != nil {
		return nil, err
	}
	return dynamo.DecodeAll[Invoice](rows)
}

// putInvoice writes the invoice unless it is closed already: a closed
// invoice never changes.
func (s *Store) putInvoice(ctx context.Context, inv Invoice) error {
	k := invoiceKey(inv.ID)
	cond := expression.AttributeNotExists(expression.Name(dynamo.PK)).Or(expression.Name("status").Equal(expression.Value(InvoiceOpen)))
	row := invoiceRow{Row: dynamo.DocRow(k, "invoice", inv), Status: inv.Status}
	row.GSI1PK, row.GSI1SK = "INVOICES#"+inv.Provider.ID, inv.Period+"#"+inv.ID
	return s.table.Tx().Put("invoice "+inv.ID, row, &cond).Commit(ctx)
}

func lineItem(invoiceID string, l Line) (map[string]types.AttributeValue, error) {
	return attributevalue.MarshalMap(dynamo.DocRow(dynamo.Key{PK: invoicePK(invoiceID), SK: linePrefix(l.BillingType) + l.Key}, "invoice_line", l))
}

// assetLineKeys reads the keys of an invoice's license lines of one asset:
// one Query, whatever the invoice's size (line keys begin with the asset).
func (s *Store) assetLineKeys(ctx context.Context, invoiceID, assetID string) ([]dynamo.Key, error) {
	var out []dynamo.Key
	err := s.eachLinePage(ctx, invoiceID, linePrefix(ProviderOneTime)+"R#"+assetID+"#", nil, 0, func(items []map[string]types.AttributeValue, _ map[string]types.AttributeValue) (bool, error) {
		for _, it := range items {
			var k dynamo.Key
			if err := attributevalue.UnmarshalMap(it, &k); err != nil {
				return false, err
			}
			out = append(out, k)
		}
		return true, nil
	})
	return out, err
}

// LinePage reads up to size lines of one billing type after the
// continuation token ("" for the first page), and the token of the next
// page ("" after the last).
func (s *Store) LinePage(ctx context.Context, invoiceID, billingType, token string, size int) ([]Line, string, error) {
	start, err := decodeToken(invoiceID, token)
	if err != nil {
		return nil, "", err
	}
	var out []Line
	next := ""
	err = s.eachLinePage(ctx, invoiceID, linePrefix(billingType), start, int32(size), func(items []map[string]types.AttributeValue, last map[string]types.AttributeValue) (bool, error) {
		lines, err := decodeLines(items)
		out = append(out, lines...)
		if last != nil {
			next = encodeToken(last)
		}
		return false, err
	})
	return out, next, err
}

// EachLine calls fn with every line of an invoice, license lines first.
func (s *Store) EachLine(ctx context.Context, invoiceID string, fn func([]Line) error) error {
	for _, bt := range []string{ProviderOneTime, ProviderUsage} {
		err := s.eachLinePage(ctx, invoiceID, linePrefix(bt), nil, 0, func(items []map[string]types.AttributeValue, _ map[string]types.AttributeValue) (bool, error) {
			lines, err := decodeLines(items)
			if err != nil {
				return false, err
			}
			return true, fn(lines)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func decodeLines(items []map[string]types.AttributeValue) ([]Line, error) {
	var rows []dynamo.Row
	if err := attributevalue.UnmarshalListOfMaps(items, &rows); err != nil {
		return nil, err
	}
	return dynamo.DecodeAll[Line](rows)
}

// eachLinePage queries an invoice's lines whose keys begin with prefix; fn
// says whether to read the next page. limit 0 reads pages of DynamoDB's size.
func (s *Store) eachLinePage(ctx context.Context, invoiceID, prefix string, start map[string]types.AttributeValue, limit int32,
	fn func(items []map[string]types.AttributeValue, last map[string]types.AttributeValue) (bool, error)) error {
	kc := expression.Key(dynamo.PK).Equal(expression.Value(invoicePK(invoiceID))).
		And(expression.Key(dynamo.SK).BeginsWith(prefix))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return fmt.Errorf("billing: build query: %w", err)
	}
	for {
		in := &dynamodb.QueryInput{KeyConditionExpression: expr.KeyCondition(), ExpressionAttributeNames: expr.Names(),
			ExpressionAttributeValues: expr.Values(), ExclusiveStartKey: start, ConsistentRead: aws.Bool(true)}
		if limit > 0 {
			in.Limit = aws.Int32(limit)
		}
		page, err := s.table.Query(ctx, in)
		if err != nil {
			return err
		}
		more, err := fn(page.Items, page.Next)
		if err != nil || !more || page.Next == nil {
			return err
		}
		start = page.Next
	}
}

func encodeToken(last map[string]types.AttributeValue) string {
	var k dynamo.Key
	_ = attributevalue.UnmarshalMap(last, &k)
	return base64.RawURLEncoding.EncodeToString([]byte(k.SK))
}

func decodeToken(invoiceID, token string) (map[string]types.AttributeValue, error) {
	if token == "" {
		return nil, nil
	}
	sk, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || !strings.HasPrefix(string(sk), "LINE#") {
		return nil, errBadToken
	}
	return dynamo.Key{PK: invoicePK(invoiceID), SK: string(sk)}.AV(), nil
}

var errBadToken = errors.New("billing: bad continuation token")

// closedThrough reads the last period closed for a provider ("" if none).
func (s *Store) closedThrough(ctx context.Context, provider string) (string, error) {
	var r stateRow
	err := s.table.Get(ctx, stateKey(provider), &r)
	if errors.Is(err, dynamo.ErrNotFound) {
		return "", nil
	}
	return r.ClosedThrough, err
}

// setClosedThrough records that the provider's periods through key are
// closed; it never moves back.
func (s *Store) setClosedThrough(ctx context.Context, provider, key string) error {
	k := stateKey(provider)
	cond := expression.AttributeNotExists(expression.Name(dynamo.PK)).Or(expression.Name("closed_through").LessThan(expression.Value(key)))
	err := s.table.Tx().Put("billing state", stateRow{Row: dynamo.Row{Key: k, Entity: "billing_state"}, ClosedThrough: key}, &cond).Commit(ctx)
	if _, lost := dynamo.AsConditionFailed(err); lost {
		return nil // another run closed it (or a later period) first
	}
	return err
}

// run reads the provider's run item.
func (s *Store) run(ctx context.Context, provider string) (runState, error) {
	return dynamo.GetAs[runState](ctx, s.table, runKey(provider), ErrNotFound)
}

type requestRow struct {
	dynamo.Row
	At int64 `dynamodbav:"at"`
}

func requestKey(provider string) dynamo.Key {
	return dynamo.Key{PK: "BILLING#" + provider, SK: "REQUESTED"}
}

// requestRun records that an accepted file asks for a run at now (Unix ms):
// a run in progress that began before starts over when it ends.
func (s *Store) requestRun(ctx context.Context, provider string, now int64) error {
	k := requestKey(provider)
	return s.table.Tx().Put("billing request", requestRow{Row: dynamo.Row{Key: k, Entity: "billing_request"}, At: now}, nil).Commit(ctx)
}

// requestedAt is when a run was last asked for (Unix ms; 0 never).
func (s *Store) requestedAt(ctx context.Context, provider string) (int64, error) {
	var r requestRow
	err := s.table.Get(ctx, requestKey(provider), &r)
	if errors.Is(err, dynamo.ErrNotFound) {
		return 0, nil
	}
	return r.At, err
}

// RunInProgress reports whether a run of the provider is under way: its
// units are queued or running.
func (s *Store) RunInProgress(ctx context.Context, provider string) (bool, error) {
	st, err := s.run(ctx, provider)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil && st.Phase != phaseDone, err
}

// lane reads the lane item of st's fan-out; an item of another run or
// fan-out, or none, is the lane not started: step 0, nothing rated.
func (s *Store) lane(ctx context.Context, st runState, lane int) (laneState, error) {
	k := laneKey(st.provider(), lane)
	var ln laneState
	err := s.table.Get(ctx, k, &ln)
	if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
		return ln, err
	}
	if err != nil || ln.Run != st.Run || ln.Fan != st.Fan {
		ln = laneState{Row: dynamo.Row{Key: k, Entity: "billing_lane"}, Run: st.Run, Fan: st.Fan, Lane: lane}
		ln.Shard, _ = st.laneShards(lane)
		if lane >= usageLane {
			ln.Shard = lane - usageLane
		}
	}
	return ln, nil
}
