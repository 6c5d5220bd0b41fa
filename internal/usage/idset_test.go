package usage

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/fulfillment/timeline"
	"github.com/mercato-dev/mercato/internal/sheet"
)

// naiveDuplicates is what idSet.duplicates must find, with a map.
func naiveDuplicates(hashes []uint64, limit int) ([]duplicate, int) {
	first := map[uint64]int{}
	var all []duplicate
	for i, h := range hashes {
		row := i + 2
		if f, ok := first[h]; ok {
			all = append(all, duplicate{row, f})
			continue
		}
		first[h] = row
	}
	return all[:min(len(all), limit)], len(all)
}

func TestIDSet_Duplicates(t *testing.T) {
	tests := []struct {
		name   string
		rows   int
		ids    uint64 // hashes are drawn from [0, ids)
		budget int    // hashes in memory
		limit  int
		runs   int // runs spilled to disk
	}{
		{"in memory", 1000, 700, idMemory, MaxErrors, 0},
		{"tiny budget, many runs", 1000, 700, 7, MaxErrors, 142},
		{"budget of one chunk and a half", 3*idChunk + 1, 3 * idChunk, idChunk + idChunk/2, MaxErrors, 2},
		{"every row the same id", 500, 1, 50, MaxErrors, 9},
		{"no duplicates on disk", 200, 1 << 62, 16, MaxErrors, 12},
		{"all kept", 300, 100, 32, 1000, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			r := rand.New(rand.NewPCG(uint64(tt.rows), tt.ids))
			hashes := make([]uint64, tt.rows)
			s := idSet{dir: dir, limit: tt.budget}
			for i := range hashes {
				hashes[i] = r.Uint64N(tt.ids)
				if err := s.add(hashes[i], i+2); err != nil {
					t.Fatal(err)
				}
			}
			if len(s.runs) != tt.runs {
				t.Errorf("%d runs on disk, want %d", len(s.runs), tt.runs)
			}
			got, total, err := s.duplicates(tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			want, wantTotal := naiveDuplicates(hashes, tt.limit)
			if total != wantTotal {
				t.Errorf("%d duplicates in all, want %d", total, wantTotal)
			}
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(duplicate{})); diff != "" {
				t.Errorf("duplicates (-want +got):\n%s", diff)
			}
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
	}
}

// TestValidator_DuplicatesAcrossRuns validates a file whose duplicate
// check spills every three rows: duplicates in different runs are found
// with their rows, and the messages are those of the lowest rows.
func TestValidator_DuplicatesAcrossRuns(t *testing.T) {
	ids := []string{"a", "b", "c", "d", "a", "e", "f", "c", "g", "a"} // rows 2 to 11
	for range 150 {                                                   // rows 12 to 161, each the same as row 3's
		ids = append(ids, "b")
	}
	dir := t.TempDir()
	v := NewValidator(testFile(), Catalog{Items: []catalog.Item{testItem}}, oneAsset{})
	v.seen = idSet{dir: dir, limit: 3}
	if err := v.Scan(context.Background(), sheet.NewCSV(strings.NewReader(csvOfIDs(ids))), nil, nil); err != nil {
		t.Fatal(err)
	}
	rep := v.Report()
	want := []string{
		"row 6: record_id is a duplicate of row 2's",
		"row 9: record_id is a duplicate of row 4's",
		"row 11: record_id is a duplicate of row 2's",
	}
	for r := 12; len(want) < MaxErrors; r++ {
		want = append(want, fmt.Sprintf("row %d: record_id is a duplicate of row 3's", r))
	}
	if diff := cmp.Diff(want, rep.Errors); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if rep.Count != 153 || rep.BadRows != 153 || rep.Records != 7 {
		t.Errorf("count %d, bad rows %d, records %d; want 153, 153, 7", rep.Count, rep.BadRows, rep.Records)
	}
	if !strings.HasSuffix(rep.Detailed, "… and 53 more errors (153 in all)") {
		t.Errorf("error_detail ends %q", rep.Detailed[max(0, len(rep.Detailed)-60):])
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// csvOfIDs is a usage file of one good row per record id, from row 2.
func csvOfIDs(ids []string) string {
	var b strings.Builder
	b.WriteString(strings.Join(Columns, ",") + "\n")
	for _, id := range ids {
		fmt.Fprintf(&b, "%s,,item.mpn,MIN,1,2026-11-02,2026-11-03,asset.id,AS-0000-0000-0001\n", id)
	}
	return b.String()
}

// TestValidator_ClaimsAreCapped checks that record ids other files had
// accepted are reported for the lowest rows, in order, and counted past
// MaxErrors without being kept.
func TestValidator_ClaimsAreCapped(t *testing.T) {
	var ids []string
	claims := MapClaims{}
	for i := range 1000 {
		ids = append(ids, fmt.Sprintf("r-%d", i))
		if i%4 == 1 {
			claims[ids[i]] = "UF-2026-10-0000-0009"
		}
	}
	v := NewValidator(testFile(), Catalog{Items: []catalog.Item{testItem}}, oneAsset{})
	if err := v.Scan(context.Background(), sheet.NewCSV(strings.NewReader(csvOfIDs(ids))), claims, nil); err != nil {
		t.Fatal(err)
	}
	rep := v.Report()
	if rep.Count != 250 || rep.BadRows != 250 || rep.Records != 750 || len(rep.Errors) != MaxErrors {
		t.Fatalf("count %d, bad rows %d, records %d, kept %d", rep.Count, rep.BadRows, rep.Records, len(rep.Errors))
	}
	for i, msg := range rep.Errors {
		want := fmt.Sprintf("row %d: record_id \"r-%d\" was already accepted in usage file UF-2026-10-0000-0009", 4*i+3, 4*i+1)
		if msg != want {
			t.Fatalf("error %d = %q, want %q", i, msg, want)
		}
	}
}

func testFile() File {
	nov1 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	return File{ID: "UF-2026-11-0000-0001", Status: StatusProcessing, Period: Period{From: nov1, To: nov1.AddDate(0, 1, 0)},
		Currency: "USD", Product: Ref{ID: "PRD-111-222-333"}, Marketplace: Ref{ID: "MP-12345"}, Vendor: Ref{ID: "VA-111-111"}}
}

func activeSince(from time.Time) timeline.Timeline {
	return timeline.Timeline{{At: from, Status: fulfillment.AssetActive}}
}

var testItem = catalog.Item{ID: "PRD-111-222-333-0003", MPN: "MIN", Type: catalog.ItemPPU, Precision: "decimal(2)"}

// oneAsset serves every asset id as an asset of the test file's product,
// active throughout.
type oneAsset struct{}

func (oneAsset) ByID(_ context.Context, id string) (*AssetInfo, error) {
	f := testFile()
	return &AssetInfo{ID: id, Vendor: f.Vendor.ID, Product: f.Product.ID, Marketplace: f.Marketplace.ID,
		Timeline: activeSince(f.Period.From.AddDate(0, -1, 0)), Prices: map[string]string{testItem.ID: "0.05"}}, nil
}

func (oneAsset) ByParam(context.Context, string, string) ([]*AssetInfo, error) { return nil, nil }

func TestCachePut_Bounded(t *testing.T) {
	m := map[string]int{}
	for i := range 3 * maxCachedAssets {
		cachePut(m, fmt.Sprint(i), i)
	}
	if len(m) != maxCachedAssets {
		t.Fatalf("cache holds %d entries, want %d", len(m), maxCachedAssets)
	}
	if _, ok := m[fmt.Sprint(3*maxCachedAssets-1)]; !ok {
		t.Error("the last entry put is not in the cache")
	}
}
