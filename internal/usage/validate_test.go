package usage_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/fulfillment/timeline"
	"github.com/mercato-dev/mercato/internal/sheet"
	"github.com/mercato-dev/mercato/internal/usage"
)

var (
	nov1  = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	dec1  = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	minut = catalog.Item{ID: "PRD-111-222-333-0003", LocalID: "0003", MPN: "MIN", Name: "Minutes", Type: catalog.ItemPPU, Precision: "decimal(2)"}
	gbs   = catalog.Item{ID: "PRD-111-222-333-0004", LocalID: "0004", MPN: "GB", Name: "Storage", Type: catalog.ItemPPU, Precision: "integer"}
	seats = catalog.Item{ID: "PRD-111-222-333-0001", LocalID: "0001", MPN: "SEATS", Name: "Seats", Type: catalog.ItemReservation, Precision: "integer"}
)

func testFile() usage.File {
	return usage.File{ID: "UF-2026-11-0000-0001", Status: usage.StatusProcessing, Period: usage.Period{From: nov1, To: dec1},
		Currency: "USD", Product: usage.Ref{ID: "PRD-111-222-333"}, Marketplace: usage.Ref{ID: "MP-12345"},
		Vendor: usage.Ref{ID: "VA-111-111"}, Provider: usage.Ref{ID: "PA-222-222"}}
}

// active is an asset activated at the given time, suspended at suspended
// (when not zero).
func active(id, product, marketplace string, from, suspended time.Time) *usage.AssetInfo {
	tl := timeline.Timeline{{At: from, Status: fulfillment.AssetActive}}
	if !suspended.IsZero() {
		tl = append(tl, timeline.State{At: suspended, Status: fulfillment.AssetSuspended})
	}
	return &usage.AssetInfo{ID: id, Vendor: "VA-111-111", Product: product, Marketplace: marketplace, Timeline: tl,
		Prices: map[string]string{minut.ID: "0.05"}}
}

// fakeAssets serves assets from a map and counts the lookups.
type fakeAssets struct {
	byID    map[string]*usage.AssetInfo
	byParam map[string][]*usage.AssetInfo
	calls   int
}

func (f *fakeAssets) ByID(_ context.Context, id string) (*usage.AssetInfo, error) {
	f.calls++
	return f.byID[id], nil
}

func (f *fakeAssets) ByParam(_ context.Context, name, value string) ([]*usage.AssetInfo, error) {
	f.calls++
	return f.byParam[name+"="+value], nil
}

func newAssets() *fakeAssets {
	good := active("AS-0000-0000-0001", "PRD-111-222-333", "MP-12345", nov1.Add(-24*time.Hour), time.Time{})
	other := &usage.AssetInfo{ID: "AS-0000-0000-0009", Vendor: "VA-999-999", Product: "PRD-111-222-333", Marketplace: "MP-12345", Timeline: good.Timeline}
	return &fakeAssets{
		byID: map[string]*usage.AssetInfo{
			good.ID:             good,
			"AS-0000-0000-0002": active("AS-0000-0000-0002", "PRD-999-999-999", "MP-12345", nov1, time.Time{}),
			"AS-0000-0000-0003": active("AS-0000-0000-0003", "PRD-111-222-333", "MP-99999", nov1, time.Time{}),
			"AS-0000-0000-0004": active("AS-0000-0000-0004", "PRD-111-222-333", "MP-12345", nov1, nov1.AddDate(0, 0, 10)),
			"AS-0000-0000-0005": active("AS-0000-0000-0005", "PRD-111-222-333", "MP-12345", nov1.AddDate(0, 0, 4), time.Time{}),
			other.ID:            other,
		},
		byParam: map[string][]*usage.AssetInfo{"tenant=contoso": {good}, "tenant=twins": {good, good}},
	}
}

const header = "record_id,record_note,item_search_criteria,item_search_value,quantity,start_time_utc,end_time_utc,asset_search_criteria,asset_search_value\n"

// scan validates a CSV body of rows after the header.
func scan(t *testing.T, body string, claims usage.Claims) usage.Report {
	t.Helper()
	cat := usage.Catalog{Items: []catalog.Item{minut, gbs, seats}, Prices: map[string]string{minut.ID: "0.06", gbs.ID: "0.10"}}
	v := usage.NewValidator(testFile(), cat, newAssets())
	if err := v.Scan(context.Background(), sheet.NewCSV(strings.NewReader(body)), claims, nil); err != nil {
		t.Fatal(err)
	}
	return v.Report()
}

const good = "r-1,,item.mpn,MIN,12.5,2026-11-02 00:00:00,2026-11-03 00:00:00,asset.id,AS-0000-0000-0001\n"

func TestValidator_Row(t *testing.T) {
	tests := []struct {
		name string
		row  string
		want string // fragment of the single error; "" for a valid row
	}{
		{"valid", good, ""},
		{"by item id and parameter", "r-1,note,item.id,0003,1,2026-11-02T00:00:00Z,2026-11-03T00:00:00Z,parameter.tenant,contoso\n", ""},
		{"iso times with offset", "r-1,,item.mpn,MIN,1,2026-11-02T01:00:00+01:00,2026-11-03,asset.id,AS-0000-0000-0001\n", ""},
		{"trailing zeros past precision", "r-1,,item.mpn,GB,3.000,2026-11-02,2026-11-03,asset.id,AS-0000-0000-0001\n", ""},
		{"unknown item", "r-1,,item.mpn,NOPE,1,2026-11-02,2026-11-03,asset.id,AS-0000-0000-0001\n", "row 2: product PRD-111-222-333 has no item with mpn NOPE"},
		{"reservation item", "r-1,,item.mpn,SEATS,1,2026-11-02,2026-11-03,asset.id,AS-0000-0000-0001\n", "is a reservation item"},
		{"bad item criteria", "r-1,,item.name,MIN,1,2026-11-02,2026-11-03,asset.id,AS-0000-0000-0001\n", "item_search_criteria must be item.mpn or item.id"},
		{"unknown asset", "r-1,,item.mpn,MIN,1,2026-11-02,2026-11-03,asset.id,AS-0000-0000-0077\n", "asset AS-0000-0000-0077 not found"},
		{"another vendor's asset", "r-1,,item.mpn,MIN,1,2026-11-02,2026-11-03,asset.id,AS-0000-0000-0009\n", "asset AS-0000-0000-0009 not found"},
		{"foreign product asset", "r-1,,item.mpn,MIN,1,2026-11-02,2026-11-03,asset.id,AS-0000-0000-0002\n", "is of product PRD-999-999-999"},
		{"other marketplace asset", "r-1,,item.mpn,MIN,1,2026-11-02,2026-11-03,asset.id,AS-0000-0000-0003\n", "is on marketplace MP-99999"},
		{"asset suspended during interval", "r-1,,item.mpn,MIN,1,2026-11-10,2026-11-12,asset.id,AS-0000-0000-0004\n", "was not active for the whole interval"},
		{"asset not yet active", "r-1,,item.mpn,MIN,1,2026-11-02,2026-11-06,asset.id,AS-0000-0000-0005\n", "asset AS-0000-0000-0005 was not active for the whole interval"},
		{"parameter matches none", "r-1,,item.mpn,MIN,1,2026-11-02,2026-11-03,parameter.tenant,nobody\n", "has parameter tenant = \"nobody\""},
		{"parameter matches two", "r-1,,item.mpn,MIN,1,2026-11-02,2026-11-03,parameter.tenant,twins\n", "more than one asset has parameter tenant"},
		{"bad asset criteria", "r-1,,item.mpn,MIN,1,2026-11-02,2026-11-03,asset.name,x\n", "asset_search_criteria must be asset.id or parameter.<name>"},
		{"before the period", "r-1,,item.mpn,MIN,1,2026-10-31,2026-11-02,asset.id,AS-0000-0000-0001\n", "outside the file's period"},
		{"after the period", "r-1,,item.mpn,MIN,1,2026-11-30,2026-12-02,asset.id,AS-0000-0000-0001\n", "outside the file's period"},
		{"start after end", "r-1,,item.mpn,MIN,1,2026-11-03,2026-11-02,asset.id,AS-0000-0000-0001\n", "must be before end_time_utc"},
		{"start equals end", "r-1,,item.mpn,MIN,1,2026-11-03,2026-11-03,asset.id,AS-0000-0000-0001\n", "must be before end_time_utc"},
		{"bad time", "r-1,,item.mpn,MIN,1,yesterday,2026-11-03,asset.id,AS-0000-0000-0001\n", "start_time_utc \"yesterday\" is not a time"},
		{"impossible date", "r-1,,item.mpn,MIN,1,2026-11-31,2026-12-01,asset.id,AS-0000-0000-0001\n", "start_time_utc \"2026-11-31\" is not a time"},
		{"negative quantity", "r-1,,item.mpn,MIN,-1,2026-11-02,2026-11-03,asset.id,AS-0000-0000-0001\n", "quantity -1 is negative"},
		{"over precision", "r-1,,item.mpn,MIN,1.234,2026-11-02,2026-11-03,asset.id,AS-0000-0000-0001\n", "quantity 1.234 has more decimals than item MIN allows (precision decimal(2))"},
		{"integer item with decimals", "r-1,,item.mpn,GB,1.5,2026-11-02,2026-11-03,asset.id,AS-0000-0000-0001\n", "precision integer"},
		{"not a number", "r-1,,item.mpn,MIN,lots,2026-11-02,2026-11-03,asset.id,AS-0000-0000-0001\n", "quantity \"lots\" is not a decimal number"},
		{"missing quantity", "r-1,,item.mpn,MIN,,2026-11-02,2026-11-03,asset.id,AS-0000-0000-0001\n", "quantity is required"},
		{"missing record id", ",,item.mpn,MIN,1,2026-11-02,2026-11-03,asset.id,AS-0000-0000-0001\n", "record_id is required"},
		{"record id accepted in another file", "taken,,item.mpn,MIN,1,2026-11-02,2026-11-03,asset.id,AS-0000-0000-0001\n", "record_id \"taken\" was already accepted in usage file UF-2026-10-0000-0009"},
	}
	claims := usage.MapClaims{"taken": "UF-2026-10-0000-0009", "r-1": "UF-2026-11-0000-0001"} // its own claim is fine
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := scan(t, header+tt.row, claims)
			if tt.want == "" {
				if rep.Count != 0 || rep.Records != 1 {
					t.Fatalf("valid row refused: %v", rep.Errors)
				}
				return
			}
			if rep.Count != 1 || rep.Records != 0 || rep.BadRows != 1 || !strings.Contains(rep.Errors[0], tt.want) {
				t.Fatalf("errors = %q (count %d, records %d), want one containing %q", rep.Errors, rep.Count, rep.Records, tt.want)
			}
			if !strings.HasPrefix(rep.Errors[0], "row 2: ") {
				t.Errorf("error %q does not name its row", rep.Errors[0])
			}
		})
	}
}

func TestValidator_DuplicateRecordID(t *testing.T) {
	rep := scan(t, header+good+"\n"+good, nil)
	want := []string{`row 4: record_id is a duplicate of row 2's`}
	if diff := cmp.Diff(want, rep.Errors); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func TestValidator_TenGoodOneBad(t *testing.T) {
	var b strings.Builder
	b.WriteString(header)
	for i := range 10 {
		fmt.Fprintf(&b, "r-%d,,item.mpn,MIN,0.5,2026-11-02,2026-11-03,asset.id,AS-0000-0000-0001\n", i)
		if i == 6 {
			b.WriteString("bad,,item.mpn,MIN,-3,2026-11-02,2026-11-03,asset.id,AS-0000-0000-0001\n")
		}
	}
	rep := scan(t, b.String(), nil)
	if rep.Count != 1 || rep.BadRows != 1 || rep.Records != 10 || !strings.HasPrefix(rep.Errors[0], "row 9: quantity -3 is negative") {
		t.Fatalf("report = %+v", rep)
	}
	if !strings.Contains(rep.Detailed, "row 9") {
		t.Errorf("error_detail = %q", rep.Detailed)
	}
}

func TestValidator_ErrorDetailIsCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString(header)
	for i := range 150 {
		fmt.Fprintf(&b, "r-%d,,item.mpn,NOPE,1,2026-11-02,2026-11-03,asset.id,AS-0000-0000-0001\n", i)
	}
	rep := scan(t, b.String(), nil)
	if rep.Count != 150 || len(rep.Errors) != usage.MaxErrors {
		t.Fatalf("count %d, kept %d", rep.Count, len(rep.Errors))
	}
	if !strings.HasSuffix(rep.Detailed, "… and 50 more errors (150 in all)") {
		t.Errorf("error_detail ends %q", rep.Detailed[len(rep.Detailed)-60:])
	}
}

func TestValidator_FileProblems(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"empty", "", "the file has no usage records"},
		{"header only", header, "the file has no usage records"},
		{"missing columns", "record_id,quantity\nr-1,1\n", "row 1: the header lacks the columns item_search_criteria, item_search_value, start_time_utc, end_time_utc, asset_search_criteria, asset_search_value"},
		{"broken quotes", header + "\"r-1,,item.mpn\n", "not valid CSV"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := scan(t, tt.body, nil)
			if rep.Count == 0 || !strings.Contains(rep.Errors[0], tt.want) {
				t.Fatalf("errors = %q, want %q", rep.Errors, tt.want)
			}
		})
	}
}

func TestValidator_StatsAndLookupsPerFile(t *testing.T) {
	var b strings.Builder
	b.WriteString("\xEF\xBB\xBF" + header)
	for i := range 50 {
		fmt.Fprintf(&b, "r-%d,,item.mpn,MIN,0.25,2026-11-02,2026-11-03,asset.id,AS-0000-0000-0001\n", i)
		fmt.Fprintf(&b, "g-%d,,item.id,%s,2,2026-11-02,2026-11-03,parameter.tenant,contoso\n", i, gbs.ID)
	}
	assets := newAssets()
	cat := usage.Catalog{Items: []catalog.Item{minut, gbs, seats}, Prices: map[string]string{gbs.ID: "0.10"}}
	v := usage.NewValidator(testFile(), cat, assets)
	var recs []usage.Record
	err := v.Scan(context.Background(), sheet.NewCSV(strings.NewReader(b.String())), nil, func(r usage.Record) error {
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rep := v.Report()
	want := []usage.ItemStat{{ID: minut.ID, MPN: "MIN", Quantity: "12.5", Records: 50}, {ID: gbs.ID, MPN: "GB", Quantity: "100", Records: 50}}
	if rep.Count != 0 || rep.Records != 100 {
		t.Fatalf("report = %+v", rep)
	}
	if diff := cmp.Diff(want, rep.Stats); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if assets.calls != 2 {
		t.Errorf("%d asset lookups for 100 rows naming 2 assets, want 2 (cached per file)", assets.calls)
	}
	// The asset's own price wins over the listing's; the listing's is the
	// fallback.
	if recs[0].Price != "0.05" || recs[1].Price != "0.10" || recs[0].Quantity != "0.25" || recs[0].Row != 2 {
		t.Errorf("records = %+v, %+v", recs[0], recs[1])
	}
}
