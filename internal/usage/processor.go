package usage

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/ident"
	"github.com/mercato-dev/mercato/internal/layout"
	"github.com/mercato-dev/mercato/internal/metrics"
	"github.com/mercato-dev/mercato/internal/sheet"
)

// ObjectStore is the part of the S3 client usage files need.
type ObjectStore interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, opts ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
}

// keyPrefix starts every uploaded object's key: usage/<file id>/<upload>.
const keyPrefix = "usage/"

// NewObjectKey returns a fresh key for an upload of file id. Every upload
// gets its own key, so that an old presigned URL used late cannot replace
// the object of a file already submitted.
func NewObjectKey(fileID string, now time.Time) string {
	return fmt.Sprintf("%s%s/%s-%s", keyPrefix, fileID, now.UTC().Format("20060102T150405Z"), strings.ToLower(ident.Secret(6)))
}

// FileOfKey returns the file id of an object key.
func FileOfKey(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, keyPrefix)
	id, _, found := strings.Cut(rest, "/")
	return id, ok && found && strings.HasPrefix(id, "UF-")
}

// ProcessorConfig configures a Processor.
type ProcessorConfig struct {
	Store   *Store
	Objects ObjectStore
	Bucket  string
	Catalog CatalogSource
	Assets  *fulfillment.Store
	Logger  *slog.Logger
	// Metrics records rows processed and files invalid; nil records none.
	Metrics *metrics.Recorder
	Now     func() time.Time
	// TmpDir holds XLSX files while they are read, and what the duplicate
	// check and a large XLSX's shared strings spill ("" is the system's).
	TmpDir string
	// Workers bounds the BatchWriteItem calls in flight.
	Workers int
	// DeleteItems bounds the records one deletion unit deletes
	// (0: DefaultDeleteItems).
	DeleteItems int
	// MaxReceives is the usage queue's maxReceiveCount: on the last
	// delivery a failure marks the file invalid rather than leaving it in
	// processing when the message goes to the DLQ.
	MaxReceives int
}

// DefaultWorkers is the BatchWriteItem calls in flight: 32 calls of 25
// records at about 20 ms each write 40,000 records a second, the table's
// per-table quota, which the records' 64 shards take at under 650 writes
// a second each (README: Usage files).
const DefaultWorkers = 32

// Processor is the usage function: it turns an uploaded object into the
// file's records, or into the reasons the file is invalid.
type Processor struct{ cfg ProcessorConfig }

// NewProcessor returns a processor.
func NewProcessor(cfg ProcessorConfig) *Processor {
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Processor{cfg: cfg}
}

// notification is the part of an S3 event notification the processor
// reads. It is decoded on its own rather than as events.S3Event because
// emulators write eventTime without a zone, which time.Time refuses.
type notification struct {
	Records []struct {
		EventName string `json:"eventName"`
		S3        struct {
			Object struct {
				Key string `json:"key"`
			} `json:"object"`
		} `json:"s3"`
	} `json:"Records"`
}

// HandleMessage handles one SQS message carrying an S3 notification. S3's
// test event (sent when the notification is configured) has no records.
func (p *Processor) HandleMessage(ctx context.Context, msg events.SQSMessage) error {
	var n notification
	if err := json.Unmarshal([]byte(msg.Body), &n); err != nil {
		return fmt.Errorf("usage: message %s is not an S3 notification: %w", msg.MessageId, err)
	}
	last := p.cfg.MaxReceives > 0 && receiveCount(msg) >= p.cfg.MaxReceives
	var errs []error
	for _, rec := range n.Records {
		if !strings.HasPrefix(rec.EventName, "ObjectCreated") {
			continue
		}
		// S3 URL-encodes keys as form values (a space is "+"); emulators
		// encode the slashes too.
		key, err := url.QueryUnescape(rec.S3.Object.Key)
		if err != nil {
			p.cfg.Logger.WarnContext(ctx, "usage: undecodable object key; ignored", slog.String("key", rec.S3.Object.Key))
			continue
		}
		if err := p.Process(ctx, key, last); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func receiveCount(msg events.SQSMessage) int {
	var n int
	_, _ = fmt.Sscanf(msg.Attributes["ApproximateReceiveCount"], "%d", &n)
	return n
}

// Process processes the object at key. It returns an error only for what
// a retry may cure (an outage); on the last delivery (last) such a failure
// ends the file invalid instead, so that no file stays in processing.
func (p *Processor) Process(ctx context.Context, key string, last bool) error {
	id, ok := FileOfKey(key)
	if !ok {
		p.cfg.Logger.WarnContext(ctx, "usage: object is not a usage file upload; ignored", slog.String("key", key))
		return nil
	}
	var err error
	for range 3 {
		err = p.attempt(ctx, id, key)
		if !fault.Is(err, fault.Conflict) {
			break
		}
	}
	if err != nil && last {
		p.cfg.Logger.ErrorContext(ctx, "usage: processing failed on the last delivery; the file is marked invalid",
			slog.String("file", id), slog.String("error", err.Error()))
		return p.giveUp(ctx, id, key)
	}
	return err
}

// attempt runs one processing of the file's object, from the file's
// current row.
func (p *Processor) attempt(ctx context.Context, id, key string) error {
	log := p.cfg.Logger.With(slog.String("file", id), slog.String("key", key))
	f, err := p.cfg.Store.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		log.WarnContext(ctx, "usage: no such usage file; object ignored")
		return nil
	}
	if err != nil {
		return err
	}
	if reason := skip(f, key); reason != "" {
		log.InfoContext(ctx, "usage: object ignored: "+reason, slog.String("status", f.Status))
		return nil
	}
	obj, err := p.cfg.Objects.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &p.cfg.Bucket, Key: &key})
	if isMissing(err) {
		return p.finish(ctx, f, StatusInvalid, Report{Count: 1, Detailed: "the uploaded object no longer exists; upload the file again"}, 0, invalidObject)
	}
	if err != nil {
		return fmt.Errorf("usage: head s3://%s/%s: %w", p.cfg.Bucket, key, err)
	}
	etag := aws.ToString(obj.ETag)
	if (f.Status == StatusReady || f.Status == StatusInvalid) && f.ProcessedKey == key && f.ProcessedETag == etag {
		log.InfoContext(ctx, "usage: object already processed; duplicate notification ignored")
		return nil
	}
	before := f.Status
	f, err = p.start(ctx, f, key, etag, aws.ToInt64(obj.ContentLength))
	if err != nil {
		return err
	}
	log.InfoContext(ctx, "usage: processing", slog.Int("generation", f.Gen), slog.String("from", before))
	return p.run(ctx, f, key, etag)
}

// skip says why an object is not processed, or "".
func skip(f Stored, key string) string {
	switch {
	case f.UploadKey != key:
		return "a newer upload replaced it"
	case Allowed(f.ID, f.Status, ActProcess) != nil:
		return "the file is " + f.Status + " and no longer takes uploads"
	}
	return ""
}

func isMissing(err error) bool {
	var nk *s3types.NoSuchKey
	var nf *s3types.NotFound
	return errors.As(err, &nk) || errors.As(err, &nf)
}

func (p *Processor) get(ctx context.Context, key, etag string) (*s3.GetObjectOutput, error) {
	in := &s3.GetObjectInput{Bucket: &p.cfg.Bucket, Key: &key}
	if etag != "" {
		in.IfMatch = &etag
	}
	out, err := p.cfg.Objects.GetObject(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("usage: get s3://%s/%s: %w", p.cfg.Bucket, key, err)
	}
	return out, nil
}

// start moves the file to processing under a new generation.
func (p *Processor) start(ctx context.Context, f Stored, key, etag string, size int64) (Stored, error) {
	before := f.Status
	now := p.cfg.Now().UTC()
	f.Status, f.Gen, f.ProcessedKey, f.ProcessedETag = StatusProcessing, f.Gen+1, key, etag
	if f.Upload != nil {
		f.Upload.Received, f.Upload.Size = &now, size
	}
	return p.cfg.Store.Save(ctx, f, before, now)
}

// run reads the object once: each row is validated and, while every row
// so far is valid, its record is written under the file's new generation
// at once (records stay invisible until finish points the file at that
// generation). Validation and writing overlap: the claim reads, the
// record writes and the parsing proceed together instead of one pass
// after the other (README: "Usage at its stated limits"). A file found
// invalid keeps no record: writing stops at its first bad row, and finish
// hands what was written before it to deletion units.
func (p *Processor) run(ctx context.Context, f Stored, key, etag string) error {
	cat, version, err := fileCatalog(ctx, p.cfg.Catalog, f.File)
	if err != nil {
		return err
	}
	v := NewValidator(f.File, cat, NewStoreAssets(p.cfg.Assets, f.File, version))
	v.seen = newIDSet(p.cfg.TmpDir)
	w := NewBatchWriter(ctx, p.cfg.Store.table, p.cfg.Workers)
	err = p.scan(ctx, v, key, etag, p.cfg.Store, recordSink(f, v, w))
	n, cerr := w.Close()
	if err := errors.Join(err, cerr); err != nil {
		return err
	}
	rep := v.Report()
	if v.Failed() {
		return p.finish(ctx, f, StatusInvalid, rep, n, invalidRows)
	}
	if rep.Records != n {
		return fmt.Errorf("usage: file %s: %d valid records, %d written", f.ID, rep.Records, n)
	}
	return p.finish(ctx, f, StatusReady, rep, n, "")
}

// recordSink writes each valid record of v's file as the seq-th of the
// file's generation, over layout.UsageRecordShards shards, until a row
// fails: the file is invalid from then on and keeps no record.
func recordSink(f Stored, v *Validator, w *BatchWriter) func(Record) error {
	seq := 0
	return func(r Record) error {
		if v.Failed() {
			return nil
		}
		item := recordItem(f.ID, f.Gen, seq, layout.UsageRecordShards, r)
		seq++
		return w.Put(item)
	}
}

// scan streams the object through the validator: CSV straight from S3,
// XLSX through a temporary file (a ZIP archive is read from its end).
func (p *Processor) scan(ctx context.Context, v *Validator, key, etag string, claims Claims, sink func(Record) error) error {
	obj, err := p.get(ctx, key, etag)
	if err != nil {
		return err
	}
	defer func() { _ = obj.Body.Close() }()
	br := bufio.NewReaderSize(obj.Body, 64<<10)
	head, _ := br.Peek(sheet.HeadLen)
	if !sheet.IsXLSX(head) {
		rows := sheet.NewCSV(br)
		err := v.Scan(ctx, rows, claims, sink)
		// Closing the body first ends a read ahead blocked on it, which
		// closing the rows waits for.
		_ = obj.Body.Close()
		return errors.Join(err, rows.Close())
	}
	path, err := sheet.Spool(br, p.cfg.TmpDir, sheet.MaxXLSXBytes)
	var fe *sheet.FormatError
	if errors.As(err, &fe) {
		v.FileError(fe.Msg)
		return nil
	}
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(path) }()
	rows, err := sheet.OpenXLSX(path, p.cfg.TmpDir)
	if errors.As(err, &fe) {
		v.FileError(fe.Msg)
		return nil
	}
	if err != nil {
		return err
	}
	defer func() { _ = rows.Close() }()
	v.serials = true
	return v.Scan(ctx, rows, claims, sink)
}

// Why a file ends invalid, as the UsageFilesInvalid metric's Reason: its
// rows, its object gone, or processing that failed on every delivery (which
// alarms: the file was fine as far as anyone knows).
const (
	invalidRows       = "rows"
	invalidObject     = "object"
	invalidProcessing = "processing"
)

// finish records the outcome under the generation that started it, of
// which written records were written (-1: unknown). The generations it
// gives up (those before it; its own too when the file is invalid) are
// handed to deletion units in the same transaction. A lost race (a newer
// processing started) hands this run's records alone to deletion units
// and leaves the file to the newer one. invalid says why an invalid file
// is.
func (p *Processor) finish(ctx context.Context, f Stored, status string, rep Report, written int, invalid string) error {
	found, before := f, f.Status
	abandon := status == StatusInvalid
	now := p.cfg.Now().UTC()
	f.Status, f.RecordsGen, f.RecordShards, f.ErrorDetail = status, f.Gen, layout.UsageRecordShards, rep.Detailed
	if abandon {
		f.RecordsGen, f.RecordShards = 0, 0
	}
	f.SettledGen = f.Gen
	f.Records = RecordCounts{Valid: rep.Records, Invalid: rep.BadRows}
	f.Stats = Stats{Records: rep.Records, Errors: rep.Count, Items: rep.Stats}
	if abandon {
		f.Stats = Stats{Errors: rep.Count, Items: []ItemStat{}}
	}
	if f.Stats.Items == nil {
		f.Stats.Items = []ItemStat{}
	}
	// The records of every generation before this one (the file's current
	// ones, and those of runs that crashed or lost), and this one's if the
	// file is invalid.
	last := f.Gen - 1
	if abandon {
		last = f.Gen
	}
	units, err := deleteUnits(f.ID, 1, last, doomedShards(found, f.Gen, abandon, written), now)
	if err != nil {
		return err
	}
	_, err = p.cfg.Store.save(ctx, f, before, now, units)
	if fault.Is(err, fault.Conflict) {
		p.cfg.Logger.InfoContext(ctx, "usage: a newer processing took over the file", slog.String("file", f.ID), slog.Int("generation", f.Gen))
		shards := layout.UsageRecordShards
		if written >= 0 {
			shards = usedShards(written, layout.UsageRecordShards)
		}
		return p.cfg.Store.handOff(ctx, f.ID, f.Gen, shards, now)
	}
	if err != nil {
		return err
	}
	p.cfg.Logger.InfoContext(ctx, "usage: processed", slog.String("file", f.ID), slog.String("status", status),
		slog.Int("records", rep.Records), slog.Int("errors", rep.Count), slog.Int("deletion_units", len(units)))
	if abandon {
		p.cfg.Metrics.Count(ctx, metrics.UsageFilesInvalid, 1, metrics.Dimension{Name: "Reason", Value: invalid})
	} else {
		p.cfg.Metrics.Count(ctx, metrics.UsageRowsProcessed, rep.Records)
	}
	return nil
}

// giveUp marks the file invalid after its last failed delivery.
func (p *Processor) giveUp(ctx context.Context, id, key string) error {
	f, err := p.cfg.Store.Get(ctx, id)
	if err != nil || f.UploadKey != key || f.Status != StatusProcessing {
		return err
	}
	rep := Report{Count: 1, Detailed: "the file could not be processed (an internal error, retried); upload it again"}
	return p.finish(ctx, f, StatusInvalid, rep, -1, invalidProcessing)
}
