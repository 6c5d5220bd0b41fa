package usage

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/layout"
)

// A file is one item; its records are spread over shards, so that one
// file's writes are not capped by one partition's 1,000 writes a second;
// claims are apart, one item per record id, so that checking a record id
// is a key read:
//
//	USAGEFILE#<id> / FILE                 the file; gsi1 UFILES#V#<vendor>, gsi2 UFILES#P#<provider>
//	                                      (both <created>#<id>); once accepted, gsi3 UBILL#<provider>#<period>
//	                                      (unclaimed until billing claims its records) / <id>
//	UREC#<id>#<n> / REC#<gen>#<seq>       a record of processing generation gen, in shard n
//	                                      (layout.UsageRecords, layout.RecordShard)
//	URECID#<product>#<record id> / CLAIM  the accepted file that holds a record id
//
// Every processing of a file writes its records under a new generation and
// then points the file at it; records of other generations are deleted by
// job.usage_delete units that commit with that change (delete.go). So a
// processing that crashed, or one that lost a race with a newer upload,
// never mixes its records with the current ones.
type fileRow struct {
	dynamo.Row
	Rev           int    `dynamodbav:"rev"`
	Gen           int    `dynamodbav:"gen"`
	RecordsGen    int    `dynamodbav:"records_gen"`
	RecordShards  int    `dynamodbav:"record_shards,omitempty"`
	SettledGen    int    `dynamodbav:"settled_gen,omitempty"`
	UploadKey     string `dynamodbav:"upload_key,omitempty"`
	ProcessedKey  string `dynamodbav:"processed_key,omitempty"`
	ProcessedETag string `dynamodbav:"processed_etag,omitempty"`
	Claimed       bool   `dynamodbav:"claimed"`
	BillingPeriod string `dynamodbav:"billing_period,omitempty"`
}

// Stored is a file with the bookkeeping of its row.
type Stored struct {
	File
	Rev        int
	Gen        int
	RecordsGen int
	// RecordShards is the number of shards generation RecordsGen was
	// written over.
	RecordShards int
	// SettledGen is the last generation whose processing finished: the
	// records of every generation up to it are current or handed to
	// deletion units, so only a generation after it (one that crashed, or
	// lost a race) may have left records in shards no known count tells.
	SettledGen    int
	UploadKey     string
	ProcessedKey  string
	ProcessedETag string
	Claimed       bool
	BillingPeriod string
}

// FilePK is the partition of a file.
func FilePK(id string) string { return "USAGEFILE#" + id }

func fileKey(id string) dynamo.Key { return dynamo.Key{PK: FilePK(id), SK: "FILE"} }

func sortKey(t time.Time, id string) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000Z") + "#" + id
}

// UnclaimedPeriod is the billing index partition of accepted files whose
// records billing has not claimed yet.
const UnclaimedPeriod = "unclaimed"

// BillingIndex is the gsi3 partition of a provider's accepted files for a
// billing period ("2026-11"), or UnclaimedPeriod.
func BillingIndex(provider, period string) string { return "UBILL#" + provider + "#" + period }

func toRow(s Stored) fileRow {
	k := fileKey(s.ID)
	r := fileRow{Row: dynamo.DocRow(k, "usage_file", s.File), Rev: s.Rev, Gen: s.Gen,
		RecordsGen: s.RecordsGen, RecordShards: s.RecordShards, SettledGen: s.SettledGen, UploadKey: s.UploadKey, ProcessedKey: s.ProcessedKey, ProcessedETag: s.ProcessedETag,
		Claimed: s.Claimed, BillingPeriod: s.BillingPeriod}
	r.GSI1PK, r.GSI1SK = VendorFiles(s.Vendor.ID).Prefix, sortKey(s.Created, s.ID)
	r.GSI2PK, r.GSI2SK = ProviderFiles(s.Provider.ID).Prefix, sortKey(s.Created, s.ID)
	if s.Billable() {
		period := s.BillingPeriod
		if !s.Claimed {
			period = UnclaimedPeriod
		}
		r.GSI3PK, r.GSI3SK = BillingIndex(s.Provider.ID, period), s.ID
	}
	return r
}

func fromRow(r fileRow) (Stored, error) {
	f, err := dynamo.Decode[File](r)
	if err != nil {
		return Stored{}, fmt.Errorf("usage: %w", err)
	}
	return Stored{File: f, Rev: r.Rev, Gen: r.Gen, RecordsGen: r.RecordsGen, RecordShards: r.RecordShards, SettledGen: r.SettledGen, UploadKey: r.UploadKey,
		ProcessedKey: r.ProcessedKey, ProcessedETag: r.ProcessedETag, Claimed: r.Claimed, BillingPeriod: r.BillingPeriod}, nil
}

// Store reads and writes usage files, records and claims.
type Store struct {
	table         *dynamo.Table
	retentionDays int
}

// NewStore returns a store on table.
func NewStore(table *dynamo.Table, retentionDays int) *Store {
	return &Store{table: table, retentionDays: retentionDays}
}

// Table is the store's table.
func (s *Store) Table() *dynamo.Table { return s.table }

// ErrNotFound reports an unknown file.
var ErrNotFound = errors.New("usage: file not found")

// Get reads a file.
func (s *Store) Get(ctx context.Context, id string) (Stored, error) {
	r, err := dynamo.GetAs[fileRow](ctx, s.table, fileKey(id), ErrNotFound)
	if err != nil {
		return Stored{}, err
	}
	return fromRow(r)
}

// VendorFiles and ProviderFiles name a vendor's and a provider's file
// lists for their count items (layout.CountKeys): the lists themselves
// are the one gsi1 or gsi2 partition of the prefix. Files are created at
// the pace of people, so the lists are not sharded; their counts are kept
// in layout.CountShards items, a file counted in the one its id hashes
// to, so that two files created at once seldom write the same item.
func VendorFiles(vendor string) dynamo.Sharded {
	return dynamo.Sharded{Index: dynamo.GSI1, Prefix: "UFILES#V#" + vendor}
}

// ProviderFiles is the provider's file list; see VendorFiles.
func ProviderFiles(provider string) dynamo.Sharded {
	return dynamo.Sharded{Index: dynamo.GSI2, Prefix: "UFILES#P#" + provider}
}

// filesAt reads the files of a list page's entries, in their order, with
// each one's index sort key: one BatchGetItem per 100.
func (s *Store) filesAt(ctx context.Context, entries []dynamo.IndexEntry) ([]File, []string, error) {
	return dynamo.ItemsAt(ctx, s.table, entries, func(r fileRow) (File, error) {
		f, err := fromRow(r)
		return f.File, err
	})
}

// Query reads the files of an index partition (billing's: a provider's
// accepted files of a period).
func (s *Store) Query(ctx context.Context, part dynamo.Partition) ([]Stored, error) {
	rows, err := dynamo.QueryAll[fileRow](ctx, s.table, part)
	if err != nil {
		return nil, err
	}
	out := make([]Stored, 0, len(rows))
	for _, r := range rows {
		f, err := fromRow(r)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// Create writes a new file with its event, and counts it in the
// vendor's and the provider's file lists.
func (s *Store) Create(ctx context.Context, f Stored, now time.Time) error {
	tx := s.table.Tx().Create("usage file", toRow(f))
	for _, l := range []dynamo.Sharded{VendorFiles(f.Vendor.ID), ProviderFiles(f.Provider.ID)} {
		tx.Update("file count", layout.CountKeys(l)[dynamo.ShardOf(f.ID, layout.CountShards)],
			expression.Add(expression.Name("n"), expression.Value(1)), nil)
	}
	if err := s.emit(tx, f.File, now); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// Save writes f back over the revision it was read at, emitting
// usage_file.updated when its status changed from before. A lost race is a
// fault.Conflict.
func (s *Store) Save(ctx context.Context, f Stored, before string, now time.Time) (Stored, error) {
	return s.save(ctx, f, before, now, nil)
}

// save is Save, committing jobs (the units of work the change hands on)
// in the same transaction.
func (s *Store) save(ctx context.Context, f Stored, before string, now time.Time, jobs []event.Event) (Stored, error) {
	cond := expression.Name("rev").Equal(expression.Value(f.Rev))
	f.Rev++
	f.Updated = now
	tx := s.table.Tx().Put("usage file", toRow(f), &cond)
	if f.Status != before {
		if err := s.emit(tx, f.File, now); err != nil {
			return Stored{}, err
		}
	}
	for _, ev := range jobs {
		tx.Emit(ev, jobRetentionDays)
	}
	if err := tx.Commit(ctx); err != nil {
		return Stored{}, err
	}
	return f, nil
}

// emit adds usage_file.updated for the vendor and for the provider, who
// both follow a file.
func (s *Store) emit(tx *dynamo.Tx, f File, now time.Time) error {
	for _, acct := range []string{f.Vendor.ID, f.Provider.ID} {
		ev, err := event.New(event.UsageFileUpdated, acct, f, now)
		if err != nil {
			return err
		}
		tx.Emit(ev, s.retentionDays)
	}
	return nil
}

// recordRow is a record as stored.
type recordRow struct {
	dynamo.Row
	ID          string `dynamodbav:"id"`
	RecordID    string `dynamodbav:"record_id"`
	Note        string `dynamodbav:"note,omitempty"`
	ItemID      string `dynamodbav:"item_id"`
	ItemMPN     string `dynamodbav:"item_mpn"`
	ItemName    string `dynamodbav:"item_name,omitempty"`
	AssetID     string `dynamodbav:"asset_id"`
	Quantity    string `dynamodbav:"quantity"`
	Price       string `dynamodbav:"price"`
	Start       string `dynamodbav:"start"`
	End         string `dynamodbav:"end"`
	Line        int    `dynamodbav:"row"`
	DuplicateOf string `dynamodbav:"duplicate_of,omitempty"`
}

// RecordSK is the sort key of the seq-th record of generation gen.
func RecordSK(gen, seq int) string { return fmt.Sprintf("REC#%06d#%09d", gen, seq) }

func genPrefix(gen int) string { return fmt.Sprintf("REC#%06d#", gen) }

// recordKey is the key of the seq-th record of generation gen of a file
// whose records are spread over shards.
func recordKey(fileID string, gen, seq, shards int) dynamo.Key {
	return dynamo.Key{PK: dynamo.ShardKey(layout.UsageRecords(fileID, shards).Prefix, layout.RecordShard(seq, shards)), SK: RecordSK(gen, seq)}
}

// recordItem is the item of the seq-th record of generation gen: what
// attributevalue.MarshalMap makes of its recordRow, built directly,
// because the usage function writes up to MaxRows of them in one
// invocation and reflection was a sixth of its CPU per row (README:
// "Usage at its stated limits"; TestRecordItem_MatchesMarshalMap keeps
// the two the same).
func recordItem(fileID string, gen, seq, shards int, r Record) map[string]types.AttributeValue {
	k := recordKey(fileID, gen, seq, shards)
	item := make(map[string]types.AttributeValue, 15)
	str := func(name, v string) { item[name] = &types.AttributeValueMemberS{Value: v} }
	optional := func(name, v string) {
		if v != "" {
			str(name, v)
		}
	}
	str("pk", k.PK)
	str("sk", k.SK)
	str("entity", "usage_record")
	str("id", RecordID(fileID, seq))
	str("record_id", r.RecordID)
	optional("note", r.Note)
	str("item_id", r.Item.ID)
	str("item_mpn", r.Item.MPN)
	optional("item_name", r.Item.Name)
	str("asset_id", r.Asset.ID)
	str("quantity", r.Quantity)
	str("price", r.Price)
	str("start", stampOf(r.Start))
	str("end", stampOf(r.End))
	item["row"] = &types.AttributeValueMemberN{Value: strconv.Itoa(r.Row)}
	optional("duplicate_of", r.DuplicateOf)
	return item
}

func (rr recordRow) record(f File) Record {
	start, _ := time.Parse(time.RFC3339, rr.Start)
	end, _ := time.Parse(time.RFC3339, rr.End)
	return Record{ID: rr.ID, RecordID: rr.RecordID, Note: rr.Note, Status: f.RecordStatus(),
		UsageFile: Ref{ID: f.ID, Name: f.Name}, Product: f.Product, Item: ItemRef{ID: rr.ItemID, MPN: rr.ItemMPN, Name: rr.ItemName},
		Asset: Ref{ID: rr.AssetID}, Quantity: rr.Quantity, Price: rr.Price, Currency: f.Currency,
		Start: start.UTC(), End: end.UTC(), Row: rr.Line, DuplicateOf: rr.DuplicateOf}
}

// seqRange is the records of one shard that a page holds: sequence
// numbers lo to hi, and none between them of another page.
type seqRange struct{ shard, lo, hi int }

// pageRanges are the shards' key ranges of the records from offset to
// offset+limit-1: a page of consecutive records touches about
// limit/RecordBlock shards, each over one contiguous range of its keys.
func pageRanges(offset, limit, shards int) []seqRange {
	byShard := map[int]*seqRange{}
	var out []*seqRange
	last := offset + limit - 1
	for b := offset / layout.RecordBlock; b <= last/layout.RecordBlock; b++ {
		lo, hi := max(b*layout.RecordBlock, offset), min((b+1)*layout.RecordBlock-1, last)
		n := layout.RecordShard(lo, shards)
		if r, ok := byShard[n]; ok {
			r.hi = hi
			continue
		}
		r := &seqRange{shard: n, lo: lo, hi: hi}
		byShard[n] = r
		out = append(out, r)
	}
	ranges := make([]seqRange, len(out))
	for i, r := range out {
		ranges[i] = *r
	}
	return ranges
}

// shardReaders bounds the shards one page or one walk of a file's records
// reads at once.
const shardReaders = 8

// RecordPage reads up to limit records of the file from record offset, in
// order. Records are numbered from 0 in each generation and spread over
// the shards by number, so a page is a known key range in each shard it
// touches, whatever the offset: one Query per shard touched, read at once.
func (s *Store) RecordPage(ctx context.Context, f Stored, offset, limit int) ([]Record, error) {
	if f.RecordsGen == 0 || limit <= 0 {
		return nil, nil
	}
	ranges := pageRanges(offset, limit, f.RecordShards)
	pages := make([][]Record, len(ranges))
	err := eachShard(ctx, len(ranges), func(ctx context.Context, i int) error {
		r := ranges[i]
		pk := recordKey(f.ID, f.RecordsGen, r.lo, f.RecordShards).PK
		kc := expression.Key(dynamo.PK).Equal(expression.Value(pk)).
			And(expression.Key(dynamo.SK).Between(expression.Value(RecordSK(f.RecordsGen, r.lo)), expression.Value(RecordSK(f.RecordsGen, r.hi))))
		return s.eachPage(ctx, kc, func(items []map[string]types.AttributeValue) error {
			recs, err := decodeRecords(f, items)
			pages[i] = append(pages[i], recs...)
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	out := slices.Concat(pages...)
	slices.SortFunc(out, func(a, b Record) int { return cmp.Compare(a.Row, b.Row) })
	return out[:min(len(out), limit)], nil
}

// eachShard runs fn for shards 0…n-1, up to shardReaders at once, and
// returns the first error.
func eachShard(ctx context.Context, n int, fn func(context.Context, int) error) error {
	errs := make([]error, n)
	sem := make(chan struct{}, shardReaders)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = fn(ctx, i)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// EachRecord calls fn with every record of the file, a page at a time:
// the shards one after the other, so in order within a shard only. Only
// the shards that hold records are read: a file of 60 records, one Query
// per 25 of them.
func (s *Store) EachRecord(ctx context.Context, f Stored, fn func([]Record) error) error {
	for _, part := range layout.UsageRecords(f.ID, f.RecordShards).Partitions()[:f.UsedRecordShards()] {
		kc := expression.Key(dynamo.PK).Equal(expression.Value(part.PK)).And(expression.Key(dynamo.SK).BeginsWith(genPrefix(f.RecordsGen)))
		err := s.eachPage(ctx, kc, func(items []map[string]types.AttributeValue) error {
			recs, err := decodeRecords(f, items)
			if err != nil {
				return err
			}
			return fn(recs)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func decodeRecords(f Stored, items []map[string]types.AttributeValue) ([]Record, error) {
	var rows []recordRow
	if err := attributevalue.UnmarshalListOfMaps(items, &rows); err != nil {
		return nil, fmt.Errorf("usage: decode records of %s: %w", f.ID, err)
	}
	out := make([]Record, len(rows))
	for i, rr := range rows {
		out[i] = rr.record(f.File)
	}
	return out, nil
}

// eachPage runs a consistent Query of the table page by page.
func (s *Store) eachPage(ctx context.Context, kc expression.KeyConditionBuilder, fn func([]map[string]types.AttributeValue) error) error {
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return fmt.Errorf("usage: build query: %w", err)
	}
	var start map[string]types.AttributeValue
	for {
		page, err := s.table.Query(ctx, &dynamodb.QueryInput{
			KeyConditionExpression: expr.KeyCondition(), ExpressionAttributeNames: expr.Names(),
			ExpressionAttributeValues: expr.Values(), ExclusiveStartKey: start, ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			return err
		}
		if err := fn(page.Items); err != nil {
			return err
		}
		if page.Next == nil {
			return nil
		}
		start = page.Next
	}
}

// claimKey is the key of the claim on a product's record id.
func claimKey(productID, recordID string) dynamo.Key {
	return dynamo.Key{PK: "URECID#" + productID + "#" + recordID, SK: "CLAIM"}
}

type claimRow struct {
	dynamo.Row
	RecordID string `dynamodbav:"record_id"`
	File     string `dynamodbav:"file"`
	Record   string `dynamodbav:"record"`
}

// Owners reads the claims of record ids (at most 100) with one
// BatchGetItem, and again for any keys DynamoDB leaves unprocessed.
func (s *Store) Owners(ctx context.Context, productID string, recordIDs []string) (map[string]string, error) {
	keys := make([]dynamo.Key, len(recordIDs))
	for i, id := range recordIDs {
		keys[i] = claimKey(productID, id)
	}
	rows, err := dynamo.BatchGet[claimRow](ctx, s.table, dynamo.BatchRead{Keys: keys})
	if err != nil {
		return nil, fmt.Errorf("usage: read claims: %w", err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.RecordID] = r.File
	}
	return out, nil
}

// Claim makes file the holder of each record's id, unless another file
// holds it already: those records are returned, marked DuplicateOf that
// file. Up to 100 claims go in one TransactWriteItems, each conditional;
// when some fail, the transaction is sent again without them.
func (s *Store) Claim(ctx context.Context, f Stored, recs []Record) ([]Record, error) {
	var dups []Record
	pending := recs
	for len(pending) > 0 {
		tx := s.table.Tx()
		for _, r := range pending {
			cond := expression.AttributeNotExists(expression.Name(dynamo.PK)).Or(expression.Name("file").Equal(expression.Value(f.ID)))
			k := claimKey(f.Product.ID, r.RecordID)
			tx.Put(r.RecordID, claimRow{Row: dynamo.Row{Key: k, Entity: "usage_claim"}, RecordID: r.RecordID, File: f.ID, Record: r.ID}, &cond)
		}
		err := tx.Commit(ctx)
		cf, ok := dynamo.AsConditionFailed(err)
		if !ok {
			return dups, err
		}
		lost, err := s.owners(ctx, f, cf.Labels)
		if err != nil {
			return nil, err
		}
		var next []Record
		for _, r := range pending {
			if owner, ok := lost[r.RecordID]; ok && owner != f.ID {
				r.DuplicateOf = owner
				dups = append(dups, r)
				continue
			}
			next = append(next, r)
		}
		if len(next) == len(pending) {
			// The failures were races on our own ids (TransactionConflict):
			// send the same transaction again.
			time.Sleep(batchBackoff)
		}
		pending = next
	}
	return dups, nil
}

func (s *Store) owners(ctx context.Context, f Stored, recordIDs []string) (map[string]string, error) {
	return s.Owners(ctx, f.Product.ID, recordIDs)
}

// MarkDuplicate records on a record that another file holds its id.
func (s *Store) MarkDuplicate(ctx context.Context, f Stored, r Record) error {
	seq, err := recordSeq(r.ID)
	if err != nil {
		return err
	}
	upd := expression.Set(expression.Name("duplicate_of"), expression.Value(r.DuplicateOf))
	expr, err := expression.NewBuilder().WithUpdate(upd).Build()
	if err != nil {
		return err
	}
	k := recordKey(f.ID, f.RecordsGen, seq, f.RecordShards)
	_, err = s.table.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table.Name, Key: k.AV(),
		UpdateExpression: expr.Update(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()})
	if err != nil {
		return fmt.Errorf("usage: mark duplicate %s: %w", r.ID, err)
	}
	return nil
}

// recordSeq is the sequence number (from 0) of a record id.
func recordSeq(id string) (int, error) {
	i := strings.LastIndexByte(id, '-')
	var n int
	if _, err := fmt.Sscanf(id[i+1:], "%d", &n); i < 0 || err != nil || n < 1 {
		return 0, fmt.Errorf("usage: bad record id %q", id)
	}
	return n - 1, nil
}
