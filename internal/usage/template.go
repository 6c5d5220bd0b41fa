package usage

import (
	"encoding/csv"
	"fmt"
	"io"

	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/sheet"
)

// Columns are the Connect usage template's columns that an upload must
// have, in template order. Other columns (the item reference columns of the
// template, a spreadsheet's own notes) are ignored.
var Columns = []string{
	"record_id", "record_note", "item_search_criteria", "item_search_value", "quantity",
	"start_time_utc", "end_time_utc", "asset_search_criteria", "asset_search_value",
}

// referenceColumns follow Columns in the template: what the item of a row
// is, for the person filling it in.
var referenceColumns = []string{"item_name", "item_unit", "item_precision"}

// Template formats.
const (
	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
)

// Sheet names of the XLSX template; uploads are read from the first sheet.
const (
	recordsSheet = "usage_records"
	itemsSheet   = "items"
)

// PPUItems returns the pay-per-use items of a product version that are on
// sale, which are what usage can be reported for.
func PPUItems(v catalog.Version) []catalog.Item {
	var out []catalog.Item
	for _, it := range v.Items {
		if it.Type == catalog.ItemPPU && it.Status != catalog.StatusEndOfSale {
			out = append(out, it)
		}
	}
	return out
}

// templateRows are the header and one row per pay-per-use item, with the
// item already searched for by mpn: the vendor adds the record id, the
// quantity, the interval and the asset.
func templateRows(items []catalog.Item) [][]string {
	header := append(append([]string{}, Columns...), referenceColumns...)
	rows := [][]string{header}
	for _, it := range items {
		rows = append(rows, []string{"", "", "item.mpn", it.MPN, "", "", "", "asset.id", "", it.Name, string(it.Unit), it.Precision})
	}
	return rows
}

// WriteTemplate writes the template of a file whose product has the given
// pay-per-use items, in format csv or xlsx.
func WriteTemplate(w io.Writer, format string, items []catalog.Item) error {
	switch format {
	case FormatCSV:
		cw := csv.NewWriter(w)
		if err := cw.WriteAll(templateRows(items)); err != nil {
			return fmt.Errorf("usage: write csv template: %w", err)
		}
		return nil
	case FormatXLSX:
		return writeXLSXTemplate(w, items)
	}
	return fmt.Errorf("usage: unknown template format %q", format)
}

func writeXLSXTemplate(w io.Writer, items []catalog.Item) error {
	ref := [][]string{{"id", "mpn", "name", "unit", "precision", "description"}}
	for _, it := range items {
		ref = append(ref, []string{it.ID, it.MPN, it.Name, string(it.Unit), it.Precision, it.Description})
	}
	err := sheet.WriteXLSX(w, []sheet.Sheet{{Name: recordsSheet, Rows: templateRows(items)}, {Name: itemsSheet, Rows: ref}})
	if err != nil {
		return fmt.Errorf("usage: write xlsx template: %w", err)
	}
	return nil
}
