package usage

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/layout"
	"github.com/mercato-dev/mercato/internal/sheet"
)

// MaxUploadBytes bounds a multipart upload through the API; larger files
// go straight to S3 through a presigned URL.
const MaxUploadBytes = 10 << 20

// PresignTTL is how long a presigned upload URL is valid.
const PresignTTL = 15 * time.Minute

// Presigner signs S3 requests for a client to send itself.
type Presigner interface {
	PresignPutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error)
}

// ServiceConfig configures a Service.
type ServiceConfig struct {
	Store   *Store
	Catalog CatalogSource
	Objects ObjectStore
	Presign Presigner
	Bucket  string
	Now     func() time.Time
}

// Service is the API of usage files.
type Service struct{ cfg ServiceConfig }

// NewService returns the usage file API.
func NewService(cfg ServiceConfig) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg}
}

// Create makes a draft file for one of the vendor's products on a
// marketplace where it is listed; the listing gives the provider and the
// currency.
func (s *Service) Create(ctx context.Context, actor account.Principal, in CreateInput) (File, error) {
	if !actor.Is(account.Vendor) {
		return File{}, fault.Forbiddenf("usage files are created by the product's vendor")
	}
	period, err := in.check()
	if err != nil {
		return File{}, err
	}
	l, err := s.cfg.Catalog.ListedOn(ctx, in.Product.ID, in.Marketplace.ID)
	if err != nil {
		return File{}, err
	}
	if l.Vendor.ID != actor.AccountID {
		return File{}, fault.NotFoundf("product %s not found", in.Product.ID)
	}
	now := s.cfg.Now().UTC()
	f := File{ID: NewFileID(now), Name: in.Name, Description: in.Description, Note: in.Note, ExternalID: in.ExternalID,
		Status: StatusDraft, Period: period, Currency: l.Currency, Schema: "qt", Product: l.Product,
		Marketplace: l.Marketplace, Vendor: l.Vendor, Provider: l.Provider, Stats: Stats{Items: []ItemStat{}},
		Created: now, Updated: now}
	if err := s.cfg.Store.Create(ctx, Stored{File: f, Rev: 1}, now); err != nil {
		return File{}, fmt.Errorf("usage: create file: %w", err)
	}
	return f, nil
}

// visible reports whether actor may see f: its vendor, the provider of its
// marketplace, or an admin.
func visible(actor account.Principal, f File) bool {
	return actor.Is(account.Admin) || actor.AccountID == f.Vendor.ID || actor.AccountID == f.Provider.ID
}

// load reads a file the actor may see; any other is not found.
func (s *Service) load(ctx context.Context, actor account.Principal, id string) (Stored, error) {
	f, err := s.cfg.Store.Get(ctx, id)
	if errors.Is(err, ErrNotFound) || (err == nil && !visible(actor, f.File)) {
		return Stored{}, fault.NotFoundf("usage file %s not found", id)
	}
	return f, err
}

// loadAs reads a file that only its vendor or only its provider may act
// on; the other party sees it but is refused.
func (s *Service) loadAs(ctx context.Context, actor account.Principal, id string, a Action, who account.Type) (Stored, error) {
	f, err := s.load(ctx, actor, id)
	if err != nil {
		return Stored{}, err
	}
	owner := f.Vendor.ID
	if who == account.Provider {
		owner = f.Provider.ID
	}
	if actor.AccountID != owner {
		return Stored{}, fault.Forbiddenf("only the file's %s can %s usage file %s", who, a, id)
	}
	return f, Allowed(f.ID, f.Status, a)
}

// Get reads one file.
func (s *Service) Get(ctx context.Context, actor account.Principal, id string) (File, error) {
	f, err := s.load(ctx, actor, id)
	return f.File, err
}

// fileList is the list of files actor sees: the vendor's, or those of the
// provider's marketplaces.
func fileList(actor account.Principal) (dynamo.Sharded, error) {
	switch {
	case actor.Is(account.Vendor):
		return VendorFiles(actor.AccountID), nil
	case actor.Is(account.Provider):
		return ProviderFiles(actor.AccountID), nil
	}
	return dynamo.Sharded{}, fault.Forbiddenf("usage files are listed by vendors and providers")
}

// FilePage reads one page of the actor's files, as the request and asset
// lists read theirs (dynamo.ReadPage, dynamo.EntryChunks): the keys of the
// list's index partition within q's created range and past its cursor,
// then those files; q.Match filters within dynamo.MatchBudget rows.
func (s *Service) FilePage(ctx context.Context, actor account.Principal, q fulfillment.ListQuery[File]) (fulfillment.Page[File], error) {
	l, err := fileList(actor)
	if err != nil {
		return fulfillment.Page[File]{}, err
	}
	part := dynamo.Partition{Index: l.Index, PK: l.Prefix}
	return dynamo.ReadPage(ctx, dynamo.EntryChunks(s.cfg.Store.table, []dynamo.Partition{part}, s.cfg.Store.filesAt), fulfillment.KeyedQuery(q))
}

// FileCount is the number of the actor's files, from the list's count
// items.
func (s *Service) FileCount(ctx context.Context, actor account.Principal) (int, error) {
	l, err := fileList(actor)
	if err != nil {
		return 0, err
	}
	return layout.Count(ctx, s.cfg.Store.table, l)
}

// Template writes the file's template in format csv or xlsx.
func (s *Service) Template(ctx context.Context, actor account.Principal, id, format string, w io.Writer) error {
	f, err := s.load(ctx, actor, id)
	if err != nil {
		return err
	}
	v, err := s.cfg.Catalog.LatestVersion(ctx, f.Product.ID)
	if err != nil {
		return err
	}
	return WriteTemplate(w, format, PPUItems(v))
}

// Upload stores a file's content as a new object and marks the file
// processing; the usage function processes it when S3 notifies it. The
// file points at the new key before the object exists, so that the
// notification always finds it; processing is set only once the object
// exists, so that a failed put never leaves the file in processing.
func (s *Service) Upload(ctx context.Context, actor account.Principal, id string, content []byte) (File, error) {
	f, err := s.loadAs(ctx, actor, id, ActUpload, account.Vendor)
	if err != nil {
		return File{}, err
	}
	if len(bytes.TrimSpace(content)) == 0 {
		return File{}, fault.Invalidf("the uploaded file is empty")
	}
	now := s.cfg.Now().UTC()
	key := NewObjectKey(f.ID, now)
	f.UploadKey = key
	f.Upload = &Upload{Key: key, Method: "multipart", Size: int64(len(content)), Created: now}
	if f, err = s.cfg.Store.Save(ctx, f, f.Status, now); err != nil {
		return File{}, err
	}
	_, err = s.cfg.Objects.PutObject(ctx, &s3.PutObjectInput{Bucket: &s.cfg.Bucket, Key: &key,
		Body: bytes.NewReader(content), ContentLength: ptr(int64(len(content))), ContentType: ptr(contentType(content))})
	if err != nil {
		return File{}, fmt.Errorf("usage: put s3://%s/%s: %w", s.cfg.Bucket, key, dynamo.Unavailable(err))
	}
	return s.markProcessing(ctx, f, now)
}

func ptr[T any](v T) *T { return &v }

func contentType(b []byte) string {
	if sheet.IsXLSX(b) {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv"
}

// markProcessing moves an uploaded file to processing unless the usage
// function got there first, in which case the file is answered as it is.
func (s *Service) markProcessing(ctx context.Context, f Stored, now time.Time) (File, error) {
	if f.Status == StatusProcessing {
		return f.File, nil
	}
	before := f.Status
	f.Status = StatusProcessing
	saved, err := s.cfg.Store.Save(ctx, f, before, now)
	if fault.Is(err, fault.Conflict) {
		cur, err := s.cfg.Store.Get(ctx, f.ID)
		return cur.File, err
	}
	return saved.File, err
}

// UploadURL is a presigned S3 request that uploads a file's content.
type UploadURL struct {
	File    File                `json:"file"`
	URL     string              `json:"url"`
	Method  string              `json:"method"`
	Headers map[string][]string `json:"headers"`
	Expires time.Time           `json:"expires"`
}

// PresignUpload answers a URL that uploads the file's content with a plain
// HTTP PUT for the next 15 minutes. The file is processed when the object
// lands; a later URL replaces an earlier one.
func (s *Service) PresignUpload(ctx context.Context, actor account.Principal, id string) (UploadURL, error) {
	f, err := s.loadAs(ctx, actor, id, ActUpload, account.Vendor)
	if err != nil {
		return UploadURL{}, err
	}
	now := s.cfg.Now().UTC()
	key := NewObjectKey(f.ID, now)
	f.UploadKey = key
	f.Upload = &Upload{Key: key, Method: "presigned", Created: now}
	if f, err = s.cfg.Store.Save(ctx, f, f.Status, now); err != nil {
		return UploadURL{}, err
	}
	req, err := s.cfg.Presign.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: &s.cfg.Bucket, Key: &key},
		s3.WithPresignExpires(PresignTTL))
	if err != nil {
		return UploadURL{}, fmt.Errorf("usage: presign upload of %s: %w", f.ID, err)
	}
	headers := map[string][]string{}
	for k, v := range req.SignedHeader {
		if !strings.EqualFold(k, "host") {
			headers[k] = v
		}
	}
	return UploadURL{File: f.File, URL: req.URL, Method: http.MethodPut, Headers: headers, Expires: now.Add(PresignTTL)}, nil
}

// Submit sends a ready file to the provider.
func (s *Service) Submit(ctx context.Context, actor account.Principal, id string) (File, error) {
	f, err := s.loadAs(ctx, actor, id, ActSubmit, account.Vendor)
	if err != nil {
		return File{}, err
	}
	now := s.cfg.Now().UTC()
	f.Submitted = &now
	return s.move(ctx, f, StatusPending, now)
}

// Accept is the provider's acceptance: the file's records become billable.
func (s *Service) Accept(ctx context.Context, actor account.Principal, id string, in NoteInput) (File, error) {
	f, note, err := s.decision(ctx, actor, id, ActAccept, in.Note)
	if err != nil {
		return File{}, err
	}
	now := s.cfg.Now().UTC()
	f.Accepted, f.AcceptanceNote = &now, note
	return s.move(ctx, f, StatusAccepted, now)
}

// Reject is the provider's refusal, with the reason in the note.
func (s *Service) Reject(ctx context.Context, actor account.Principal, id string, in NoteInput) (File, error) {
	f, note, err := s.decision(ctx, actor, id, ActReject, in.Note)
	if err != nil {
		return File{}, err
	}
	now := s.cfg.Now().UTC()
	f.RejectionNote = note
	return s.move(ctx, f, StatusRejected, now)
}

// Close ends a file's life: nothing changes it after. An accepted file
// stays billed.
func (s *Service) Close(ctx context.Context, actor account.Principal, id string) (File, error) {
	f, err := s.loadAs(ctx, actor, id, ActClose, account.Vendor)
	if err != nil {
		return File{}, err
	}
	now := s.cfg.Now().UTC()
	f.Closed = &now
	return s.move(ctx, f, StatusClosed, now)
}

// decision loads the file the provider accepts or rejects and checks the
// note, which a rejection requires; the note comes back trimmed.
func (s *Service) decision(ctx context.Context, actor account.Principal, id string, act Action, note string) (Stored, string, error) {
	f, err := s.loadAs(ctx, actor, id, act, account.Provider)
	if err != nil {
		return Stored{}, "", err
	}
	if err := checkNote(note, act == ActReject); err != nil {
		return Stored{}, "", err
	}
	return f, strings.TrimSpace(note), nil
}

func checkNote(note string, required bool) error {
	switch n := strings.TrimSpace(note); {
	case required && n == "":
		return fault.Invalidf("note is required: tell the vendor why the file is rejected")
	case len(n) > maxText:
		return fault.Invalidf("note must be at most %d characters", maxText)
	}
	return nil
}

func (s *Service) move(ctx context.Context, f Stored, status string, now time.Time) (File, error) {
	before := f.Status
	f.Status = status
	saved, err := s.cfg.Store.Save(ctx, f, before, now)
	if fault.Is(err, fault.Conflict) {
		return File{}, fault.Conflictf("usage file %s was changed by another request; reload it and retry", f.ID)
	}
	return saved.File, err
}

// Records returns a page of a file's records and their total.
func (s *Service) Records(ctx context.Context, actor account.Principal, fileID string, offset, limit int) ([]Record, int, error) {
	f, err := s.load(ctx, actor, fileID)
	if err != nil {
		return nil, 0, err
	}
	total := 0
	if f.RecordsGen != 0 {
		total = f.Stats.Records
	}
	recs, err := s.cfg.Store.RecordPage(ctx, f, offset, min(limit, max(total-offset, 0)))
	return recs, total, err
}

// AllRecords returns every record of a file, for filtered lists of files
// small enough to filter in memory.
func (s *Service) AllRecords(ctx context.Context, actor account.Principal, fileID string, max int) ([]Record, error) {
	f, err := s.load(ctx, actor, fileID)
	if err != nil {
		return nil, err
	}
	if f.Stats.Records > max {
		return nil, fault.Invalidf("usage file %s has %d records: filter its records by usage_file.id alone and page with limit and offset", fileID, f.Stats.Records)
	}
	var out []Record
	if err := s.cfg.Store.EachRecord(ctx, f, func(rs []Record) error { out = append(out, rs...); return nil }); err != nil {
		return nil, err
	}
	// Shards are read one after the other; the list is in row order.
	slices.SortFunc(out, func(a, b Record) int { return cmp.Compare(a.Row, b.Row) })
	return out, nil
}
