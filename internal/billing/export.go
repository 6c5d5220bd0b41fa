package billing

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
)

// The reconciliation export. An invoice of at most InlineExportLines
// lines is answered in the API's response, as it always was. A larger one
// would not fit a Lambda answer (6 MB) nor be read in one invocation, so
// it is written to S3 by units of the billing function, each reading the
// lines after the last one's cursor until it has one multipart part (at
// least Exports.PartBytes, by default S3's minimum for all parts but the
// last) and uploading it; the last unit adds the total row and completes the
// upload. The API answers 202 while the file is written and then a 303 to
// a presigned link. The file belongs to one version of the invoice (its
// Updated time): an open invoice re-rated since gets a new file.
//
//	INVOICE#<id> / EXPORT#<version>   the export's upload, part and cursor

// InlineExportLines bounds the invoices exported in the API's answer: at
// about 350 bytes a row, 3.5 MB of Lambda's 6 MB.
const InlineExportLines = 10000

// DefaultExportPartBytes is an export unit's part: S3's smallest multipart
// part but the last, so that a unit reads as few lines as S3 allows.
const DefaultExportPartBytes = 5 << 20

// exportRowFloor is fewer bytes than a reconciliation row takes (about
// 290): a unit's Query asks for the lines still missing from its part at
// that size, so it reads past its part by less than a row in eight, and
// its pages are DynamoDB's 1 MB while more than that is missing.
const exportRowFloor = 256

// exportLinkTTL is how long a presigned link to an export works.
const exportLinkTTL = 15 * time.Minute

// ReconciliationHeader are the columns of the reconciliation export: every
// amount with what it was computed from.
var ReconciliationHeader = []string{
	"invoice_id", "billing_provider", "line_key", "charge_type", "subscription_id", "customer_id", "order_id",
	"product_id", "item_id", "sku_id", "marketplace_id", "charge_start", "charge_end", "billable_days", "cycle_days",
	"quantity", "unit_price", "amount", "currency", "source_id", "usage_file_id", "usage_record_id",
}

// ReconciliationRow is one line of the export.
func ReconciliationRow(inv Invoice, l Line) []string {
	day := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	return []string{inv.ID, l.BillingType, l.Key, l.ChargeType, l.SubscriptionID, l.CustomerID, l.OrderID,
		l.ProductID, l.ItemID, l.SkuID, l.MarketplaceID, day(l.ChargeStart), day(l.ChargeEnd), strconv.Itoa(l.Days),
		strconv.Itoa(l.CycleDays), l.Quantity, l.UnitPrice, Fixed(l.Amount, l.Currency), l.Currency, l.Source,
		l.UsageFileID, l.UsageRecordID}
}

// ReconciliationTotal is the export's last row: it equals totalCharges.
func ReconciliationTotal(inv Invoice) []string {
	total := make([]string, len(ReconciliationHeader))
	total[0], total[1], total[17], total[18] = inv.ID, "total", Fixed(inv.Total, inv.Currency), inv.Currency
	return total
}

// Exports are where large exports are written: the bucket and its
// clients. The zero value writes none (every export is answered inline).
type Exports struct {
	Objects *s3.Client
	Presign *s3.PresignClient
	Bucket  string
	// InlineLines is the largest export answered inline:
	// InlineExportLines when zero (tests set it lower).
	InlineLines int
	// PartBytes is the part an export unit writes:
	// DefaultExportPartBytes when zero. S3 rejects a smaller part but the
	// last; an emulator started to accept one lets a model measure full
	// units on a small invoice.
	PartBytes int
	// RetentionDays is how long an export file is kept: the bucket's
	// lifecycle rule on exports/ deletes it after that many days
	// (template.yaml, ExportRetentionDays). DefaultExportRetentionDays
	// when zero.
	RetentionDays int
}

// DefaultExportRetentionDays is the stack's default lifetime of an export
// file.
const DefaultExportRetentionDays = 7

func (e Exports) partBytes() int {
	if e.PartBytes <= 0 {
		return DefaultExportPartBytes
	}
	return e.PartBytes
}

func (e Exports) retention() time.Duration {
	days := e.RetentionDays
	if days <= 0 {
		days = DefaultExportRetentionDays
	}
	return time.Duration(days) * 24 * time.Hour
}

// ExportUnit is one part of an export: a job.billing_export event's data.
type ExportUnit struct {
	Invoice string `json:"invoice"`
	Version int64  `json:"version"`
	Part    int32  `json:"part"`
}

type exportState struct {
	dynamo.Row
	Object  string   `dynamodbav:"key"` // the S3 object key
	Upload  string   `dynamodbav:"upload,omitempty"`
	Part    int32    `dynamodbav:"part"`
	After   string   `dynamodbav:"after,omitempty"` // the last line key written
	ETags   []string `dynamodbav:"etags,omitempty"`
	Done    bool     `dynamodbav:"done"`
	Updated int64    `dynamodbav:"updated"` // Unix ms: an export that stopped is started again
	Expires int64    `dynamodbav:"expires_at,omitempty"`
}

func exportKey(invoiceID string, version int64) dynamo.Key {
	return dynamo.Key{PK: invoicePK(invoiceID), SK: fmt.Sprintf("EXPORT#%d", version)}
}

func exportObject(inv Invoice, version int64) string {
	return fmt.Sprintf("exports/%s/%d/%s-reconciliation.csv", inv.ID, version, inv.ID)
}

func exportVersion(inv Invoice) int64 { return inv.Updated.UnixMilli() }

// ExportAnswer is how the API answers an export: inline (Inline), at a
// presigned link (URL), or not yet (the file is being written).
type ExportAnswer struct {
	Inline bool
	URL    string
}

// export answers the export of inv, starting its units when it is large
// and not written yet.
func (r *Reader) export(ctx context.Context, inv Invoice) (ExportAnswer, error) {
	limit := r.exports.InlineLines
	if limit <= 0 {
		limit = InlineExportLines
	}
	if inv.OneTimeLines+inv.UsageLines <= limit || r.exports.Objects == nil {
		return ExportAnswer{Inline: true}, nil
	}
	now := r.now().UTC()
	version := exportVersion(inv)
	k := exportKey(inv.ID, version)
	var st exportState
	err := r.store.table.Get(ctx, k, &st)
	// The item expires with the file: S3 deletes it RetentionDays after
	// it was written (the item was made before that, so no later), and a
	// link is only given while it works until then. Past that, the item
	// is as good as gone (DynamoDB's TTL deletes it within days).
	linkEnd := now.Add(exportLinkTTL).Unix()
	expired := err == nil && st.Expires > 0 && st.Expires < linkEnd
	switch {
	case expired:
	case err == nil && st.Done:
		req, err := r.exports.Presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(r.exports.Bucket), Key: aws.String(st.Object)},
			s3.WithPresignExpires(exportLinkTTL))
		if err != nil {
			return ExportAnswer{}, fmt.Errorf("billing: presign export %s: %w", st.Object, err)
		}
		return ExportAnswer{URL: req.URL}, nil
	case err == nil && now.Sub(time.UnixMilli(st.Updated)) < staleRun:
		return ExportAnswer{}, nil // being written
	case err != nil && !errors.Is(err, dynamo.ErrNotFound):
		return ExportAnswer{}, err
	}
	st = exportState{Row: dynamo.Row{Key: k, Entity: "invoice_export"}, Object: exportObject(inv, version), Part: 1, Updated: now.UnixMilli(),
		Expires: now.Add(r.exports.retention()).Unix()}
	cond := expression.AttributeNotExists(expression.Name(dynamo.PK)).Or(expression.Name("updated").LessThan(expression.Value(now.Add(-staleRun).UnixMilli())),
		expression.Name("expires_at").LessThan(expression.Value(linkEnd)))
	ev, err := event.New(event.JobExport, event.PlatformAccount, ExportUnit{Invoice: inv.ID, Version: version, Part: 1}, now)
	if err != nil {
		return ExportAnswer{}, err
	}
	err = r.store.table.Tx().Put("invoice export", st, &cond).Emit(ev, jobRetentionDays).Commit(ctx)
	if _, lost := dynamo.AsConditionFailed(err); lost {
		return ExportAnswer{}, nil // another request started it
	}
	return ExportAnswer{}, err
}

// OnExportUnit handles a job.billing_export event: one part of an export.
func (b *Biller) OnExportUnit(ctx context.Context, e event.Event) error {
	var u ExportUnit
	if err := json.Unmarshal(e.Data, &u); err != nil || u.Invoice == "" {
		return fmt.Errorf("billing: event %s data is not an export unit: %v", e.ID, err)
	}
	return b.ExportUnit(ctx, u)
}

// ExportUnit writes one part of an export, or completes it. A unit whose
// part is done already (a redelivery) does nothing; a unit retried after
// a failure uploads its part again under the same number.
func (b *Biller) ExportUnit(ctx context.Context, u ExportUnit) error {
	k := exportKey(u.Invoice, u.Version)
	var st exportState
	err := b.cfg.Table.Get(ctx, k, &st)
	if errors.Is(err, dynamo.ErrNotFound) || (err == nil && (st.Done || st.Part != u.Part)) {
		return nil
	}
	if err != nil {
		return err
	}
	inv, err := b.store.Invoice(ctx, u.Invoice)
	if err != nil {
		return err
	}
	if exportVersion(inv) != u.Version {
		b.cfg.Logger.InfoContext(ctx, "billing: invoice re-rated during its export; the next request exports the new version", "invoice", inv.ID)
		return nil
	}
	if b.cfg.Exports.Objects == nil {
		return errors.New("billing: no export bucket configured")
	}
	next := st
	if next.Upload == "" {
		out, err := b.cfg.Exports.Objects.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(b.cfg.Exports.Bucket),
			Key: aws.String(st.Object), ContentType: aws.String("text/csv; charset=utf-8")})
		if err != nil {
			return fmt.Errorf("billing: start upload of %s: %w", st.Object, err)
		}
		next.Upload = aws.ToString(out.UploadId)
	}
	body, after, last, err := b.exportPart(ctx, inv, st)
	if err != nil {
		return err
	}
	part, err := b.cfg.Exports.Objects.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(b.cfg.Exports.Bucket), Key: aws.String(st.Object),
		UploadId: aws.String(next.Upload), PartNumber: aws.Int32(u.Part), Body: bytes.NewReader(body)})
	var gone *s3types.NoSuchUpload
	if errors.As(err, &gone) && last {
		// Completed by an attempt whose commit was lost.
		if _, herr := b.cfg.Exports.Objects.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b.cfg.Exports.Bucket), Key: aws.String(st.Object)}); herr == nil {
			next.Done = true
			return b.commitExport(ctx, st, next, nil)
		}
	}
	if err != nil {
		return fmt.Errorf("billing: upload part %d of %s: %w", u.Part, st.Object, err)
	}
	next.ETags = append(append([]string(nil), st.ETags...), aws.ToString(part.ETag))
	next.After, next.Part = after, u.Part+1
	if !last {
		ev, err := event.New(event.JobExport, event.PlatformAccount, ExportUnit{Invoice: u.Invoice, Version: u.Version, Part: next.Part}, b.cfg.Now())
		if err != nil {
			return err
		}
		return b.commitExport(ctx, st, next, &ev)
	}
	parts := make([]s3types.CompletedPart, len(next.ETags))
	for i, tag := range next.ETags {
		parts[i] = s3types.CompletedPart{ETag: aws.String(tag), PartNumber: aws.Int32(int32(i + 1))}
	}
	_, err = b.cfg.Exports.Objects.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(b.cfg.Exports.Bucket),
		Key: aws.String(st.Object), UploadId: aws.String(next.Upload), MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		return fmt.Errorf("billing: complete upload of %s: %w", st.Object, err)
	}
	next.Done = true
	return b.commitExport(ctx, st, next, nil)
}

// exportPart renders the lines after st.After until the part is large
// enough or the lines end (then with the total row): the CSV, the last
// line key and whether it is the last part.
func (b *Biller) exportPart(ctx context.Context, inv Invoice, st exportState) ([]byte, string, bool, error) {
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	if st.Part == 1 {
		_ = cw.Write(ReconciliationHeader)
	}
	var start map[string]types.AttributeValue
	if st.After != "" {
		start = dynamo.Key{PK: invoicePK(inv.ID), SK: st.After}.AV()
	}
	part := b.cfg.Exports.partBytes()
	after := st.After
	for buf.Len() < part {
		missing := min(max((part-buf.Len())/exportRowFloor, 1), math.MaxInt32)
		next, err := b.exportPage(ctx, cw, inv, start, int32(missing))
		if err != nil {
			return nil, "", false, err
		}
		if next == nil {
			_ = cw.Write(ReconciliationTotal(inv))
			cw.Flush()
			return buf.Bytes(), after, true, cw.Error()
		}
		var k dynamo.Key
		if err := attributevalue.UnmarshalMap(next, &k); err != nil {
			return nil, "", false, err
		}
		start, after = next, k.SK
	}
	return buf.Bytes(), after, false, cw.Error()
}

// exportPage writes the rows of one Query of up to limit lines after start
// and returns the key to go on from (nil: the lines ended).
func (b *Biller) exportPage(ctx context.Context, cw *csv.Writer, inv Invoice, start map[string]types.AttributeValue, limit int32) (map[string]types.AttributeValue, error) {
	var next map[string]types.AttributeValue
	// LINE#O# sorts before LINE#U#: license lines first, as the inline
	// export writes them.
	err := b.store.eachLinePage(ctx, inv.ID, "LINE#", start, limit, func(items []map[string]types.AttributeValue, last map[string]types.AttributeValue) (bool, error) {
		lines, err := decodeLines(items)
		if err != nil {
			return false, err
		}
		for _, l := range lines {
			if err := cw.Write(ReconciliationRow(inv, l)); err != nil {
				return false, err
			}
		}
		cw.Flush()
		next = last
		return false, cw.Error()
	})
	return next, err
}

// commitExport moves the export item from st to next (conditional on the
// part it read), with the next unit's event if any.
func (b *Biller) commitExport(ctx context.Context, st, next exportState, ev *event.Event) error {
	next.Updated = b.cfg.Now().UTC().UnixMilli()
	cond := expression.Name("part").Equal(expression.Value(st.Part)).And(expression.Name("done").Equal(expression.Value(false)))
	tx := b.cfg.Table.Tx().Put("invoice export", next, &cond)
	if ev != nil {
		tx.Emit(*ev, jobRetentionDays)
	}
	err := tx.Commit(ctx)
	if _, lost := dynamo.AsConditionFailed(err); lost {
		return nil
	}
	return err
}
