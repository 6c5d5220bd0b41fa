// Package usage holds the pay-as-you-go usage files of Connect's Usage
// module: a vendor reports, per product and marketplace and period, how much
// each asset consumed of the product's pay-per-use items. A file is uploaded
// to S3 (through the API or a presigned URL), streamed and validated row by
// row by the usage function, submitted by the vendor and accepted or
// rejected by the marketplace's provider; accepted records are what billing
// rates. The rules (statuses, row validation, the template) are plain Go;
// the DynamoDB and S3 code sits beside them.
package usage

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/ident"
)

// File statuses, in lifecycle order.
const (
	StatusDraft      = "draft"
	StatusProcessing = "processing"
	StatusReady      = "ready"
	StatusInvalid    = "invalid"
	StatusPending    = "pending"
	StatusAccepted   = "accepted"
	StatusRejected   = "rejected"
	StatusClosed     = "closed"
)

// Ref is a reference to another object.
type Ref = catalog.Ref

// Period is the span a file reports usage for: every record's interval lies
// inside [From, To].
type Period struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// UnmarshalJSON reads RFC 3339 times or, as Connect shows a period, dates
// (midnight UTC).
func (p *Period) UnmarshalJSON(b []byte) error {
	var raw struct{ From, To string }
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	for _, f := range []struct {
		s   string
		dst *time.Time
	}{{raw.From, &p.From}, {raw.To, &p.To}} {
		if f.s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, f.s)
		if err != nil {
			if t, err = time.Parse(time.DateOnly, f.s); err != nil {
				return err
			}
		}
		*f.dst = t
	}
	return nil
}

// ItemStat is the total quantity of one item in a file.
type ItemStat struct {
	ID       string `json:"id"`
	MPN      string `json:"mpn"`
	Quantity string `json:"quantity"`
	Records  int    `json:"records"`
}

// Stats summarise a processed file.
type Stats struct {
	Records int        `json:"records"`
	Errors  int        `json:"errors"`
	Items   []ItemStat `json:"items"`
}

// RecordCounts are Connect's counts of a file's records by outcome.
type RecordCounts struct {
	Valid   int `json:"valid"`
	Invalid int `json:"invalid"`
}

// Upload describes the object the file was last uploaded as.
type Upload struct {
	Key      string     `json:"key"`
	Method   string     `json:"method"` // multipart or presigned
	Size     int64      `json:"size,omitempty"`
	Created  time.Time  `json:"created"`
	Received *time.Time `json:"received,omitempty"`
}

// File is a usage file as the API shows it.
type File struct {
	ID             string       `json:"id"`
	Name           string       `json:"name"`
	Description    string       `json:"description"`
	Note           string       `json:"note"`
	ExternalID     string       `json:"external_id"`
	Status         string       `json:"status"`
	Period         Period       `json:"period"`
	Currency       string       `json:"currency"`
	Schema         string       `json:"schema"`
	Product        Ref          `json:"product"`
	Marketplace    Ref          `json:"marketplace"`
	Vendor         Ref          `json:"vendor"`
	Provider       Ref          `json:"provider"`
	Stats          Stats        `json:"stats"`
	Records        RecordCounts `json:"records"`
	Upload         *Upload      `json:"upload"`
	AcceptanceNote string       `json:"acceptance_note"`
	RejectionNote  string       `json:"rejection_note"`
	ErrorDetail    string       `json:"error_detail"`
	Created        time.Time    `json:"created"`
	Updated        time.Time    `json:"updated"`
	Submitted      *time.Time   `json:"submitted"`
	Accepted       *time.Time   `json:"accepted"`
	Closed         *time.Time   `json:"closed"`
}

// UnmarshalJSON reads the vendor, the provider and the marketplace as
// references or, as Connect answers a new file, as bare ids.
func (f *File) UnmarshalJSON(b []byte) error {
	type plain File
	var v struct {
		plain
		Vendor      json.RawMessage `json:"vendor"`
		Provider    json.RawMessage `json:"provider"`
		Marketplace json.RawMessage `json:"marketplace"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = File(v.plain)
	for _, r := range []struct {
		raw json.RawMessage
		dst *Ref
	}{{v.Vendor, &f.Vendor}, {v.Provider, &f.Provider}, {v.Marketplace, &f.Marketplace}} {
		if err := refOf(r.raw, r.dst); err != nil {
			return err
		}
	}
	return nil
}

func refOf(raw json.RawMessage, dst *Ref) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if raw[0] == '"' {
		return json.Unmarshal(raw, &dst.ID)
	}
	return json.Unmarshal(raw, dst)
}

// NewFileID returns a usage file id as Connect numbers them:
// UF-<year>-<month>-dddd-dddd.
func NewFileID(now time.Time) string {
	return fmt.Sprintf("UF-%s-%s", now.UTC().Format("2006-01"), strings.TrimPrefix(ident.Digits("", 4, 4), "-"))
}

// Action is a lifecycle step of a file.
type Action string

// The actions of POST /usage/files/{id}/<action>, plus the usage function's
// steps.
const (
	ActUpload  Action = "upload"
	ActProcess Action = "process"
	ActFinish  Action = "finish"
	ActSubmit  Action = "submit"
	ActAccept  Action = "accept"
	ActReject  Action = "reject"
	ActClose   Action = "close"
)

// from lists the statuses each action may start from. A file accepts a new
// upload until it is submitted, also while processing, so that a vendor can
// always replace a file that is taking too long.
var from = map[Action][]string{
	ActUpload:  {StatusDraft, StatusProcessing, StatusReady, StatusInvalid},
	ActProcess: {StatusDraft, StatusProcessing, StatusReady, StatusInvalid},
	ActFinish:  {StatusProcessing},
	ActSubmit:  {StatusReady},
	ActAccept:  {StatusPending},
	ActReject:  {StatusPending},
	ActClose:   {StatusDraft, StatusReady, StatusInvalid, StatusAccepted, StatusRejected},
}

// Allowed reports whether action a may start from status, or says why not
// in a sentence that names the status.
func Allowed(id, status string, a Action) error {
	ok := from[a]
	if slices.Contains(ok, status) {
		return nil
	}
	return fault.Transitionf("usage file %s is %s; %s needs a file that is %s", id, status, a, orList(ok))
}

func orList(s []string) string {
	if len(s) == 1 {
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// Billable reports whether a file's records are charged: once accepted,
// also after it is closed.
func (f File) Billable() bool { return f.Accepted != nil }

// RecordStatus is the status of a file's records, which follows the file.
func (f File) RecordStatus() string {
	switch {
	case f.Status == StatusClosed && f.Billable():
		return "closed"
	case f.Status == StatusAccepted:
		return "approved"
	case f.Status == StatusRejected || f.Status == StatusClosed:
		return "rejected"
	}
	return "valid"
}
