package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mercato-dev/mercato/internal/layout"
	"github.com/mercato-dev/mercato/internal/usage"
)

// usageRecordsAcrossShards pages a file whose records span several
// shards: every page is the right slice of the whole, in row order, and
// costs the Queries of the shards it covers, not of the records before
// it. Processing it again writes no second copy.
func usageRecordsAcrossShards(t *testing.T, s *usageShop) {
	const n = 5*layout.RecordBlock + 7 // six shards, the last one partly filled
	ids, qty := make([]string, n), make([]string, n)
	for i := range n {
		ids[i], qty[i] = fmt.Sprintf("sh-%03d", i), "1"
	}
	content := []byte(s.rows(ids, qty))
	f := s.newFile(t)
	up := s.upload(t, f.ID, content)
	f = s.process(t, up)
	if f.Status != usage.StatusReady || f.Stats.Records != n {
		t.Fatalf("file = %+v", f)
	}
	if got := shardsUsed(t, s, f.ID); got != 6 {
		t.Errorf("records in %d shards, want 6", got)
	}
	// The pages are read on an instance whose clock stands still, so the
	// token it authenticates on the first read stays in its cache however
	// slowly the test runs, and each page's calls are the page's own.
	still := s.on(s.instance(t, nil))
	var all []usage.Record
	res := still.do(http.MethodGet, "/public/v1/usage/records?usage_file.id="+f.ID+"&limit=1000", s.vendor.Token.Value, nil, http.StatusOK, &all)
	if len(all) != n || res.header.Get("Content-Range") != fmt.Sprintf("items 0-%d/%d", n-1, n) {
		t.Fatalf("whole list: %d records (%s)", len(all), res.header.Get("Content-Range"))
	}
	for i, r := range all {
		if r.RecordID != ids[i] || r.ID != usage.RecordID(f.ID, i) {
			t.Fatalf("record %d = %s (%s), want %s", i, r.RecordID, r.ID, ids[i])
		}
	}
	for _, c := range []struct {
		name          string
		offset, limit int
		queries       int // shards the page covers
	}{
		{"first record", 0, 1, 1},
		{"within one shard", 3, 20, 1},
		{"across a shard boundary", 20, 10, 2},
		{"three shards", 24, 27, 3},
		{"deep page costs what a first page does", 100, 30, 2},
		{"last page, partly past the end", 130, 10, 1},
		{"past the end", 200, 10, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			var page []usage.Record
			still.counter.Reset()
			path := fmt.Sprintf("/public/v1/usage/records?usage_file.id=%s&offset=%d&limit=%d", f.ID, c.offset, c.limit)
			res := still.do(http.MethodGet, path, s.vendor.Token.Value, nil, http.StatusOK, &page)
			want := all[min(c.offset, n):min(c.offset+c.limit, n)]
			if !cmp.Equal(page, want) {
				t.Errorf("page:\n%s", cmp.Diff(want, page))
			}
			first := min(c.offset, n) // writePage's rule past the end
			rng := fmt.Sprintf("items %d-%d/%d", first, max(first+len(want)-1, first), n)
			if got := res.header.Get("Content-Range"); got != rng {
				t.Errorf("Content-Range = %q, want %q", got, rng)
			}
			// The file is one GetItem (the token is in the instance's cache).
			if diff := cmp.Diff(nonZero(map[string]int{"GetItem": 1, "Query": c.queries}), nonZero(still.counter.Calls())); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}

	// A filtered list reads the whole file: the six shards that hold it,
	// not all 64.
	var found []usage.Record
	still.counter.Reset()
	still.do(http.MethodGet, "/public/v1/usage/records?usage_file.id="+f.ID+"&record_id="+ids[n-1], s.vendor.Token.Value, nil, http.StatusOK, &found)
	if len(found) != 1 || found[0].RecordID != ids[n-1] || !cmp.Equal(nonZero(still.counter.Calls()), map[string]int{"GetItem": 1, "Query": 6}) {
		t.Errorf("filtered list = %+v, calls %v", found, still.counter.Calls())
	}

	// The same notification again is skipped, and a re-upload of the same
	// content replaces the records: one copy of each, the same list.
	if again := s.process(t, up); again.Updated != f.Updated {
		t.Errorf("a duplicate notification processed the file again: %+v", again)
	}
	s.process(t, s.upload(t, f.ID, content))
	if got := recordItems(t, s.fixture, f.ID); got != n {
		t.Errorf("%d record items after processing twice, want %d", got, n)
	}
	var after []usage.Record
	s.do(http.MethodGet, "/public/v1/usage/records?usage_file.id="+f.ID+"&limit=1000", s.vendor.Token.Value, nil, http.StatusOK, &after)
	if !cmp.Equal(all, after) {
		t.Errorf("records differ after reprocessing:\n%s", cmp.Diff(all, after))
	}
}

// shardsUsed counts the shards that hold a record of the file.
func shardsUsed(t *testing.T, s *usageShop, fileID string) int {
	t.Helper()
	used := 0
	for _, n := range recordsPerShard(t, s.fixture, fileID) {
		if n > 0 {
			used++
		}
	}
	return used
}

func nonZero(m map[string]int) map[string]int {
	for k, v := range m {
		if v == 0 {
			delete(m, k)
		}
	}
	return m
}

// usageParamSearch finds assets by a parameter value with a key lookup:
// the same calls and read units with one asset of the value among the
// vendor's few as among fifty more, and a file whose rows name their
// asset by the parameter is processed to that asset.
func usageParamSearch(t *testing.T, s *usageShop) {
	ctx := context.Background()
	unique := fmt.Sprintf("solo%d", time.Now().UnixNano()%1_000_000)
	asset := s.purchaseFor(t, 1, unique)
	s.purchaseFor(t, 1, "contoso") // the shop's asset's value: two assets hold it
	f := s.newFile(t)
	version, err := s.app.Catalog.LatestVersion(ctx, s.lab.product.ID)
	if err != nil {
		t.Fatal(err)
	}
	var tenantID string
	for _, p := range version.Parameters {
		if p.Name == "param_tenant" {
			tenantID = p.ID
		}
	}
	type result struct {
		assets []string
		calls  map[string]int
		units  float64
	}
	search := func(name, value string) result {
		t.Helper()
		assets := usage.NewStoreAssets(s.app.FulfillmentStore, f, version)
		s.counter.Reset()
		found, err := assets.ByParam(ctx, name, value)
		if err != nil {
			t.Fatal(err)
		}
		r := result{calls: nonZero(s.counter.Calls()), units: s.counter.Capacity()}
		for _, a := range found {
			r.assets = append(r.assets, a.ID)
		}
		return r
	}
	cases := []struct {
		name, param, value string
		assets             int
		calls              map[string]int
	}{
		// The index, then the asset with its requests.
		{"one asset, by name", "param_tenant", unique, 1, map[string]int{"Query": 2}},
		{"one asset, by id", tenantID, unique, 1, map[string]int{"Query": 2}},
		{"no asset", "param_tenant", "nobody", 0, map[string]int{"Query": 1}},
		// Many are told by the index alone.
		{"many assets", "param_tenant", "contoso", 2, map[string]int{"Query": 1}},
		{"unknown parameter", "param_nothing", unique, 0, nil},
	}
	before := map[string]result{}
	for _, c := range cases {
		r := search(c.param, c.value)
		if len(r.assets) != c.assets || !cmp.Equal(nonNil(r.calls), nonNil(c.calls)) || (c.assets == 1 && r.assets[0] != asset) {
			t.Errorf("%s: assets %v, calls %v; want %d assets, calls %v", c.name, r.assets, r.calls, c.assets, c.calls)
		}
		before[c.name] = r
	}

	// Fifty more assets of the vendor change nothing of a search.
	for i := range 50 {
		s.purchaseFor(t, 1, fmt.Sprintf("other%d", i))
	}
	for _, c := range cases {
		if got, want := search(c.param, c.value), before[c.name]; !cmp.Equal(got, want, cmp.AllowUnexported(result{})) {
			t.Errorf("%s with 50 more assets: %+v, before %+v", c.name, got, want)
		}
	}

	// A file whose rows name the asset by the parameter.
	start := time.Now().UTC().Truncate(time.Second).Add(time.Second)
	var b strings.Builder
	b.WriteString(strings.Join(usage.Columns, ",") + "\n")
	for i := range 3 {
		fmt.Fprintf(&b, "ps-%d,,item.mpn,%s,1,%s,%s,parameter.param_tenant,%s\n", i, s.ppu.MPN,
			start.Format(time.DateTime), start.Add(time.Minute).Format(time.DateTime), unique)
	}
	fmt.Fprintf(&b, "ps-x,,item.mpn,%s,1,%s,%s,parameter.param_tenant,contoso\n", s.ppu.MPN,
		start.Format(time.DateTime), start.Add(time.Minute).Format(time.DateTime))
	got := s.process(t, s.upload(t, f.ID, []byte(b.String())))
	if got.Status != usage.StatusInvalid || !strings.Contains(got.ErrorDetail, `row 5: more than one asset has parameter param_tenant = "contoso"`) ||
		got.Stats.Errors != 1 {
		t.Fatalf("file with an ambiguous row = %+v", got)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	got = s.process(t, s.upload(t, f.ID, []byte(strings.Join(lines[:4], "\n")+"\n")))
	recs, _ := s.records(t, f.ID)
	if got.Status != usage.StatusReady || len(recs) != 3 || recs[0].Asset.ID != asset || recs[2].Asset.ID != asset {
		t.Fatalf("file by parameter = %+v, records %+v", got, recs)
	}
}

func nonNil(m map[string]int) map[string]int {
	if m == nil {
		return map[string]int{}
	}
	return m
}
