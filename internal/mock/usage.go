package mock

import (
	"context"
	"io"

	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/usage"
)

// UsageService stands in for usage.Service: each method calls its Fn field.
type UsageService struct {
	AcceptFn        func(ctx context.Context, actor account.Principal, id string, in usage.NoteInput) (usage.File, error)
	AllRecordsFn    func(ctx context.Context, actor account.Principal, fileID string, max int) ([]usage.Record, error)
	CloseFn         func(ctx context.Context, actor account.Principal, id string) (usage.File, error)
	CreateFn        func(ctx context.Context, actor account.Principal, in usage.CreateInput) (usage.File, error)
	GetFn           func(ctx context.Context, actor account.Principal, id string) (usage.File, error)
	FileCountFn     func(ctx context.Context, actor account.Principal) (int, error)
	FilePageFn      func(ctx context.Context, actor account.Principal, q fulfillment.ListQuery[usage.File]) (fulfillment.Page[usage.File], error)
	PresignUploadFn func(ctx context.Context, actor account.Principal, id string) (usage.UploadURL, error)
	RecordsFn       func(ctx context.Context, actor account.Principal, fileID string, offset, limit int) ([]usage.Record, int, error)
	RejectFn        func(ctx context.Context, actor account.Principal, id string, in usage.NoteInput) (usage.File, error)
	SubmitFn        func(ctx context.Context, actor account.Principal, id string) (usage.File, error)
	TemplateFn      func(ctx context.Context, actor account.Principal, id, format string, w io.Writer) error
	UploadFn        func(ctx context.Context, actor account.Principal, id string, content []byte) (usage.File, error)
}

func (s *UsageService) Accept(ctx context.Context, actor account.Principal, id string, in usage.NoteInput) (usage.File, error) {
	return s.AcceptFn(ctx, actor, id, in)
}

func (s *UsageService) AllRecords(ctx context.Context, actor account.Principal, fileID string, max int) ([]usage.Record, error) {
	return s.AllRecordsFn(ctx, actor, fileID, max)
}

func (s *UsageService) Close(ctx context.Context, actor account.Principal, id string) (usage.File, error) {
	return s.CloseFn(ctx, actor, id)
}

func (s *UsageService) Create(ctx context.Context, actor account.Principal, in usage.CreateInput) (usage.File, error) {
	return s.CreateFn(ctx, actor, in)
}

func (s *UsageService) Get(ctx context.Context, actor account.Principal, id string) (usage.File, error) {
	return s.GetFn(ctx, actor, id)
}

func (s *UsageService) FileCount(ctx context.Context, actor account.Principal) (int, error) {
	return s.FileCountFn(ctx, actor)
}

func (s *UsageService) FilePage(ctx context.Context, actor account.Principal, q fulfillment.ListQuery[usage.File]) (fulfillment.Page[usage.File], error) {
	return s.FilePageFn(ctx, actor, q)
}

func (s *UsageService) PresignUpload(ctx context.Context, actor account.Principal, id string) (usage.UploadURL, error) {
	return s.PresignUploadFn(ctx, actor, id)
}

func (s *UsageService) Records(ctx context.Context, actor account.Principal, fileID string, offset int, limit int) ([]usage.Record, int, error) {
	return s.RecordsFn(ctx, actor, fileID, offset, limit)
}

func (s *UsageService) Reject(ctx context.Context, actor account.Principal, id string, in usage.NoteInput) (usage.File, error) {
	return s.RejectFn(ctx, actor, id, in)
}

func (s *UsageService) Submit(ctx context.Context, actor account.Principal, id string) (usage.File, error) {
	return s.SubmitFn(ctx, actor, id)
}

func (s *UsageService) Template(ctx context.Context, actor account.Principal, id string, format string, w io.Writer) error {
	return s.TemplateFn(ctx, actor, id, format, w)
}

func (s *UsageService) Upload(ctx context.Context, actor account.Principal, id string, content []byte) (usage.File, error) {
	return s.UploadFn(ctx, actor, id, content)
}
