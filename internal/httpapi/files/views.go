package files

import (
	"cmp"
	"encoding/json"
	"time"

	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/usage"
)

// usageFileInput is a usage file in either dialect. Mercato has no
// distribution contracts: a usage file is about a product on a
// marketplace, and Connect's contract.id names that marketplace.
type usageFileInput struct {
	usage.CreateInput
	Contract *catalog.RefInput `json:"contract"`
}

func (in usageFileInput) input() usage.CreateInput {
	out := in.CreateInput
	if in.Contract != nil && out.Marketplace.ID == "" {
		out.Marketplace = *in.Contract
	}
	return out
}

// usageFileView is a usage file as Connect renders it: the period in
// dates, the marketplace as the contract.
type usageFileView struct {
	usage.File
	Period      periodView `json:"period"`
	Contract    usage.Ref  `json:"contract"`
	Environment string     `json:"environment"`
}

type periodView struct {
	From string `json:"from"`
	To   string `json:"to"`
}

func viewUsageFile(f usage.File) usageFileView {
	return usageFileView{File: f, Contract: f.Marketplace, Environment: "production",
		Period: periodView{From: f.Period.From.UTC().Format(time.DateOnly), To: f.Period.To.UTC().Format(time.DateOnly)}}
}

// usageRecordView is a usage record as Connect renders it: its file is
// usagefile, its quantity the number usage.
type usageRecordView struct {
	usage.Record
	UsageFile usage.Ref   `json:"usagefile"`
	Usage     json.Number `json:"usage"`
}

func viewUsageRecord(r usage.Record) usageRecordView {
	return usageRecordView{Record: r, UsageFile: r.UsageFile, Usage: json.Number(cmp.Or(r.Quantity, "0"))}
}

// noteInput is the note of a usage file transition: Connect names it
// acceptance_note or rejection_note.
type noteInput struct {
	usage.NoteInput
	AcceptanceNote *string `json:"acceptance_note"`
	RejectionNote  *string `json:"rejection_note"`
}

func (in noteInput) input() usage.NoteInput {
	out := in.NoteInput
	for _, n := range []*string{in.AcceptanceNote, in.RejectionNote} {
		if n != nil && out.Note == "" {
			out.Note = *n
		}
	}
	return out
}

// usageFileCreated is the answer to a new usage file: Connect's names the
// accounts and the marketplace by id, and the product flat.
type usageFileCreated struct {
	usageFileView
	Vendor      string `json:"vendor"`
	Provider    string `json:"provider"`
	Marketplace string `json:"marketplace"`
	ProductID   string `json:"product_id"`
	ProductName string `json:"product_name"`
}

func viewUsageFileCreated(f usage.File) usageFileCreated {
	return usageFileCreated{usageFileView: viewUsageFile(f), Vendor: f.Vendor.ID, Provider: f.Provider.ID,
		Marketplace: f.Marketplace.ID, ProductID: f.Product.ID, ProductName: f.Product.Name}
}
