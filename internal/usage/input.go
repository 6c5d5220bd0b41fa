package usage

import (
	"fmt"
	"strings"
	"time"

	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/fault"
)

// Limits of a file's free text and period.
const (
	maxName      = 200
	maxText      = 4000
	maxPeriodAge = 366 * 24 * time.Hour
)

// PeriodInput is the period of a create body, as RFC 3339 times or dates.
type PeriodInput struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// CreateInput is the body of POST /usage/files.
type CreateInput struct {
	Name        string           `json:"name"`
	Description string           `json:"description"`
	Note        string           `json:"note"`
	ExternalID  string           `json:"external_id"`
	Product     catalog.RefInput `json:"product"`
	Marketplace catalog.RefInput `json:"marketplace"`
	Period      PeriodInput      `json:"period"`
}

// NoteInput is the body of accept, reject and close.
type NoteInput struct {
	Note string `json:"note"`
}

// check returns the file's period, or every broken rule of the body.
func (in *CreateInput) check() (Period, error) {
	var msgs []string
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > maxName {
		msgs = append(msgs, fmt.Sprintf("name is required and must be at most %d characters", maxName))
	}
	if len(in.Description) > maxText || len(in.Note) > maxText {
		msgs = append(msgs, fmt.Sprintf("description and note must be at most %d characters", maxText))
	}
	if len(in.ExternalID) > maxName {
		msgs = append(msgs, fmt.Sprintf("external_id must be at most %d characters", maxName))
	}
	if in.Product.ID == "" {
		msgs = append(msgs, "product is required: the id of one of your products")
	}
	if in.Marketplace.ID == "" {
		msgs = append(msgs, "marketplace is required: the id of a marketplace the product is listed on")
	}
	p, pmsgs := in.Period.parse()
	msgs = append(msgs, pmsgs...)
	if len(msgs) > 0 {
		return Period{}, fault.InvalidList(msgs...)
	}
	return p, nil
}

func (in PeriodInput) parse() (Period, []string) {
	var msgs []string
	from, err := parseInstant(in.From)
	if err != nil {
		msgs = append(msgs, "period.from "+err.Error())
	}
	to, err := parseInstant(in.To)
	if err != nil {
		msgs = append(msgs, "period.to "+err.Error())
	}
	if len(msgs) > 0 {
		return Period{}, msgs
	}
	switch {
	case !from.Before(to):
		msgs = append(msgs, fmt.Sprintf("period.from (%s) must be before period.to (%s)", from.Format(time.RFC3339), to.Format(time.RFC3339)))
	case to.Sub(from) > maxPeriodAge:
		msgs = append(msgs, "a usage file's period is at most 366 days; report longer spans in several files")
	}
	return Period{From: from, To: to}, msgs
}

// parseInstant reads an RFC 3339 time or a date (midnight UTC).
func parseInstant(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("is required, as 2026-11-01 or 2026-11-01T00:00:00Z")
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date (2026-11-01) or an RFC 3339 time (2026-11-01T00:00:00Z)", s)
}
