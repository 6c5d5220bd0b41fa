package usage

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/mercato-dev/mercato/internal/catalog"
)

func TestWriteTemplate_XLSX(t *testing.T) {
	items := []catalog.Item{{ID: "PRD-1-0001", MPN: "GB-HOUR", Name: "Storage & transfer", Unit: "unit", Precision: "decimal(2)", Description: "per <GB>"}}
	var buf bytes.Buffer
	if err := WriteTemplate(&buf, FormatXLSX, items); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatalf("not a workbook: %v", err)
	}
	defer func() { _ = f.Close() }()
	records, err := f.GetRows(recordsSheet)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(templateRows(items), records); diff != "" {
		t.Errorf("%s (-want +got):\n%s", recordsSheet, diff)
	}
	ref, err := f.GetRows(itemsSheet)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"id", "mpn", "name", "unit", "precision", "description"}, {"PRD-1-0001", "GB-HOUR", "Storage & transfer", "unit", "decimal(2)", "per <GB>"}}
	if diff := cmp.Diff(want, ref); diff != "" {
		t.Errorf("%s (-want +got):\n%s", itemsSheet, diff)
	}
	if got := f.GetSheetList(); got[0] != recordsSheet {
		t.Errorf("first sheet %q, uploads are read from %q", got[0], recordsSheet)
	}
}
