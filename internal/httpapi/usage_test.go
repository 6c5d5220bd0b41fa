package httpapi_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/app/usagefn"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/event"
	"github.com/mercato-dev/mercato/internal/fulfillment"
	"github.com/mercato-dev/mercato/internal/layout"
	"github.com/mercato-dev/mercato/internal/usage"
)

// usageShop is the shop with an active asset that holds the monthly item
// (5 users at 10) and the pay-per-use item (minutes at 0.05), bought
// through a Connect purchase request and approved by the vendor.
type usageShop struct {
	*shop
	asset string
	// units are the deletion units already run.
	units map[string]bool
}

func newUsageShop(t *testing.T) *usageShop {
	t.Helper()
	s := &usageShop{shop: newShop(t), units: map[string]bool{}}
	s.asset = s.purchase(t, 5)
	return s
}

// purchase buys qty users and the minutes, and approves the request.
func (s *usageShop) purchase(t *testing.T, qty int) string {
	t.Helper()
	return s.purchaseFor(t, qty, "contoso")
}

// purchaseFor is purchase with the tenant parameter's value.
func (s *usageShop) purchaseFor(t *testing.T, qty int, tenant string) string {
	t.Helper()
	var r fulfillment.Request
	s.do(http.MethodPost, "/public/v1/requests", s.provider.Token.Value, map[string]any{"type": "purchase", "asset": map[string]any{
		"product": map[string]any{"id": s.lab.product.ID}, "marketplace": map[string]any{"id": s.mp.ID},
		"tiers":  map[string]any{"customer": map[string]any{"name": "Contoso Ltd"}},
		"items":  []any{map[string]any{"id": s.lab.item.ID, "quantity": qty}, map[string]any{"id": s.ppu.ID, "quantity": 0}},
		"params": []any{map[string]any{"id": "param_tenant", "value": tenant}},
	}}, http.StatusCreated, &r)
	path := "/public/v1/requests/" + r.ID
	s.do(http.MethodPut, path, s.vendor.Token.Value, map[string]any{"asset": map[string]any{"params": []any{
		map[string]any{"id": "param_admin_email", "value": "admin@contoso.example"}}}}, http.StatusOK, nil)
	s.do(http.MethodPost, path+"/approve", s.vendor.Token.Value, map[string]any{"template_id": s.lab.template.ID}, http.StatusOK, nil)
	return r.Asset.ID
}

// thisMonth is the period of a file about the current month.
func thisMonth() (time.Time, time.Time) {
	now := time.Now().UTC()
	from := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	return from, from.AddDate(0, 1, 0)
}

func (s *usageShop) newFile(t *testing.T) usage.File {
	t.Helper()
	from, to := thisMonth()
	var f usage.File
	s.do(http.MethodPost, "/public/v1/usage/files", s.vendor.Token.Value, map[string]any{
		"name": "Recording minutes", "product": s.lab.product.ID, "marketplace": map[string]any{"id": s.mp.ID},
		"period": map[string]any{"from": from.Format(time.DateOnly), "to": to.Format(time.RFC3339)},
	}, http.StatusCreated, &f)
	return f
}

// rows renders usage rows of the shop's asset, each at quantity q, inside
// the hours since the start of today (so that the asset was active).
func (s *usageShop) rows(ids []string, quantities []string) string {
	var b strings.Builder
	b.WriteString(strings.Join(usage.Columns, ",") + "\n")
	start := time.Now().UTC().Truncate(time.Second).Add(time.Second)
	for i, id := range ids {
		fmt.Fprintf(&b, "%s,note %d,item.mpn,%s,%s,%s,%s,asset.id,%s\n", id, i, s.ppu.MPN, quantities[i],
			start.Format(time.DateTime), start.Add(time.Minute).Format(time.DateTime), s.asset)
	}
	return b.String()
}

// multipartBody is a form with the file part.
func multipartBody(t *testing.T, name string, content []byte) (string, []byte) {
	t.Helper()
	return multipartPart(t, "file", name, content)
}

func (s *usageShop) post(t *testing.T, path, ctype string, body []byte, token string) response {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Authorization", "ApiKey "+token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	rec := httptest.NewRecorder()
	s.api.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// upload sends content as multipart and checks the 200.
func (s *usageShop) upload(t *testing.T, id string, content []byte) usage.File {
	t.Helper()
	ctype, body := multipartBody(t, "usage.csv", content)
	res := s.post(t, "/public/v1/usage/files/"+id+"/upload", ctype, body, s.vendor.Token.Value)
	var f usage.File
	if res.status != http.StatusOK || json.Unmarshal(res.body, &f) != nil {
		t.Fatalf("upload = %d %s", res.status, res.body)
	}
	if f.Status != usage.StatusProcessing || f.Upload == nil || f.Upload.Method != "multipart" {
		t.Fatalf("uploaded file = %+v", f)
	}
	return f
}

// process runs the usage function on the file's upload, as its S3
// notification would, then on the deletion units it committed, and the
// units they continue with, as the relay would route them; and reads the
// file back.
func (s *usageShop) process(t *testing.T, f usage.File) usage.File {
	t.Helper()
	p := s.app.UsageProcessor()
	if err := p.Process(context.Background(), f.Upload.Key, false); err != nil {
		t.Fatalf("process %s: %v", f.ID, err)
	}
	h := usagefn.Handler(s.app.Base, p)
	for units := s.deletionUnits(t, f.ID); len(units) > 0; units = s.deletionUnits(t, f.ID) {
		res, err := h(context.Background(), events.SQSEvent{Records: units})
		if err != nil || len(res.BatchItemFailures) > 0 {
			t.Fatalf("deletion units of %s: %v, failed %v", f.ID, err, res.BatchItemFailures)
		}
	}
	return s.file(t, f.ID)
}

// deletionUnits are the file's deletion units not run yet.
func (s *usageShop) deletionUnits(t *testing.T, id string) []events.SQSMessage {
	t.Helper()
	return stacktest.Outbox(t, s.app.Table, event.JobUsageDelete, `"file":"`+id+`"`, s.units)
}

func (s *usageShop) file(t *testing.T, id string) usage.File {
	t.Helper()
	var f usage.File
	s.do(http.MethodGet, "/public/v1/usage/files/"+id, s.vendor.Token.Value, nil, http.StatusOK, &f)
	return f
}

func (s *usageShop) records(t *testing.T, fileID string) ([]usage.Record, string) {
	t.Helper()
	var recs []usage.Record
	res := s.do(http.MethodGet, "/public/v1/usage/records?usage_file.id="+fileID, s.provider.Token.Value, nil, http.StatusOK, &recs)
	return recs, res.header.Get("Content-Range")
}

// recordItems counts the file's record items of every generation, in
// every shard.
func recordItems(t *testing.T, f *fixture, fileID string) int {
	t.Helper()
	n := 0
	for _, c := range recordsPerShard(t, f, fileID) {
		n += c
	}
	return n
}

// recordsPerShard counts the file's record items in each of its shards.
func recordsPerShard(t *testing.T, f *fixture, fileID string) []int {
	t.Helper()
	var counts []int
	for _, part := range layout.UsageRecords(fileID, layout.UsageRecordShards).Partitions() {
		items, err := dynamo.QueryAll[map[string]any](context.Background(), f.app.Table, part)
		if err != nil {
			t.Fatal(err)
		}
		counts = append(counts, len(items))
	}
	return counts
}

func usageEvents(t *testing.T, f *fixture, account, fileID string) []string {
	t.Helper()
	var statuses []string
	for _, it := range accountEvents(t, f, account) {
		ev, err := it.Event()
		if err != nil || ev.Type != event.UsageFileUpdated || !containsID(string(ev.Data), fileID) {
			continue
		}
		var uf usage.File
		_ = json.Unmarshal(ev.Data, &uf)
		statuses = append(statuses, uf.Status)
	}
	return statuses
}

// TestUsage runs its cases on one shop: building a shop is most of a
// case's cost on the emulator. Each case makes its own files.
func TestUsage(t *testing.T) {
	s := newUsageShop(t)
	for _, c := range []struct {
		name string
		run  func(*testing.T, *usageShop)
	}{
		{"lifecycle", usageLifecycle},
		{"ten good rows and a bad one", usageTenGoodOneBad},
		{"a duplicate found after records were written", usageLateDuplicate},
		{"processed twice", usageProcessedTwice},
		{"xlsx", usageXLSX},
		{"presigned upload", usagePresigned},
		{"record id accepted in another file", usageRecordElsewhere},
		{"bad input", usageBadInput},
		{"records page across shards", usageRecordsAcrossShards},
		{"parameter search by key", usageParamSearch},
		{"files list pages", usageFilesPaging},
	} {
		t.Run(c.name, func(t *testing.T) {
			s.t = t // the fixture reports to the running case
			c.run(t, s)
		})
	}
}

func usageLifecycle(t *testing.T, s *usageShop) {
	f := s.newFile(t)
	if f.Status != usage.StatusDraft || f.Currency != "USD" || f.Provider.ID != s.provider.ID || !strings.HasPrefix(f.ID, "UF-") {
		t.Fatalf("new file = %+v", f)
	}

	// The template lists the columns and the product's ppu item.
	res := s.do(http.MethodGet, "/public/v1/usage/files/"+f.ID+"/template", s.vendor.Token.Value, nil, http.StatusOK, nil)
	tpl, err := csv.NewReader(bytes.NewReader(res.body)).ReadAll()
	if err != nil || len(tpl) != 2 || !cmp.Equal(tpl[0][:9], usage.Columns) || tpl[1][3] != s.ppu.MPN || tpl[1][9] != "Recording minutes" {
		t.Fatalf("template = %q (%v)", tpl, err)
	}
	if cd := res.header.Get("Content-Disposition"); !strings.Contains(cd, f.ID+".csv") {
		t.Errorf("Content-Disposition = %q", cd)
	}

	f = s.process(t, s.upload(t, f.ID, []byte(s.rows([]string{"a", "b", "c"}, []string{"10", "2.5", "0.25"}))))
	want := usage.Stats{Records: 3, Items: []usage.ItemStat{{ID: s.ppu.ID, MPN: s.ppu.MPN, Quantity: "12.75", Records: 3}}}
	if f.Status != usage.StatusReady || f.ErrorDetail != "" || !cmp.Equal(f.Stats, want) || f.Records.Valid != 3 {
		t.Fatalf("processed file = %+v", f)
	}
	recs, rng := s.records(t, f.ID)
	if len(recs) != 3 || rng != "items 0-2/3" || recs[1].RecordID != "b" || recs[1].Quantity != "2.5" || recs[1].Price != "0.05" ||
		recs[1].Status != "valid" || recs[1].Asset.ID != s.asset || recs[1].ID != usage.RecordID(f.ID, 1) {
		t.Fatalf("records (%s) = %+v", rng, recs)
	}
	var page []usage.Record
	res = s.do(http.MethodGet, "/public/v1/usage/records?usage_file.id="+f.ID+"&offset=1&limit=1", s.vendor.Token.Value, nil, http.StatusOK, &page)
	if len(page) != 1 || page[0].RecordID != "b" || res.header.Get("Content-Range") != "items 1-1/3" {
		t.Errorf("page = %+v (%s)", page, res.header.Get("Content-Range"))
	}
	var filtered []usage.Record
	s.do(http.MethodGet, "/public/v1/usage/records?usage_file.id="+f.ID+"&record_id=c", s.vendor.Token.Value, nil, http.StatusOK, &filtered)
	if len(filtered) != 1 || filtered[0].Quantity != "0.25" {
		t.Errorf("filtered = %+v", filtered)
	}

	base := "/public/v1/usage/files/" + f.ID
	connectError(t, s.call(http.MethodPost, base+"/accept", s.provider.Token.Value, nil), 400, "REQ_003", "is ready", "accept needs a file that is pending")
	connectError(t, s.call(http.MethodPost, base+"/submit", s.provider.Token.Value, nil), 403, "AUTH_002", "only the file's vendor")
	s.do(http.MethodPost, base+"/submit", s.vendor.Token.Value, nil, http.StatusOK, &f)
	connectError(t, s.call(http.MethodPost, base+"/accept", s.vendor.Token.Value, nil), 403, "AUTH_002", "only the file's provider")
	connectError(t, s.call(http.MethodPost, base+"/upload", s.vendor.Token.Value, nil), 400, "REQ_003", "is pending")
	s.do(http.MethodPost, base+"/accept", s.provider.Token.Value, map[string]any{"note": "thanks"}, http.StatusOK, &f)
	if f.Status != usage.StatusAccepted || f.AcceptanceNote != "thanks" || f.Accepted == nil {
		t.Fatalf("accepted file = %+v", f)
	}
	recs, _ = s.records(t, f.ID)
	if recs[0].Status != "approved" {
		t.Errorf("record of an accepted file is %s", recs[0].Status)
	}
	connectError(t, s.call(http.MethodPost, base+"/reject", s.provider.Token.Value, map[string]any{"note": "late"}), 400, "REQ_003", "is accepted")
	s.do(http.MethodPost, base+"/close", s.vendor.Token.Value, nil, http.StatusOK, &f)
	connectError(t, s.call(http.MethodPost, base+"/close", s.vendor.Token.Value, nil), 400, "REQ_003", "is closed")

	// Every transition was announced to both parties.
	wantEvents := []string{"draft", "processing", "ready", "pending", "accepted", "closed"}
	for _, acct := range []string{s.vendor.ID, s.provider.ID} {
		if got := usageEvents(t, s.fixture, acct, f.ID); !cmp.Equal(got, wantEvents) {
			t.Errorf("events of %s = %v, want %v", acct, got, wantEvents)
		}
	}
	// Both parties list it; another vendor does not see it.
	var mine, theirs []usage.File
	s.do(http.MethodGet, "/public/v1/usage/files?status=closed", s.vendor.Token.Value, nil, http.StatusOK, &mine)
	s.do(http.MethodGet, "/public/v1/usage/files?id="+f.ID, s.provider.Token.Value, nil, http.StatusOK, &theirs)
	if len(mine) != 1 || mine[0].ID != f.ID || len(theirs) != 1 {
		t.Errorf("vendor lists %v, provider %v", mine, theirs)
	}
	other := s.createAccount("vendor", "Other Vendor")
	connectError(t, s.call(http.MethodGet, base, other.Token.Value, nil), 404, "OBJ_001")
}

func usageTenGoodOneBad(t *testing.T, s *usageShop) {
	f := s.newFile(t)
	ids := []string{"r0", "r1", "r2", "r3", "r4", "r5", "bad", "r6", "r7", "r8", "r9"}
	qty := []string{"1", "1", "1", "1", "1", "1", "1.234", "1", "1", "1", "1"}
	f = s.process(t, s.upload(t, f.ID, []byte(s.rows(ids, qty))))
	if f.Status != usage.StatusInvalid || f.Records.Invalid != 1 || f.Stats.Errors != 1 || f.Stats.Records != 0 ||
		!strings.HasPrefix(f.ErrorDetail, "row 8: quantity 1.234 has more decimals than item "+s.ppu.MPN) {
		t.Fatalf("file = %+v", f)
	}
	recs, rng := s.records(t, f.ID)
	if len(recs) != 0 || rng != "items 0-0/0" || recordItems(t, s.fixture, f.ID) != 0 {
		t.Errorf("an invalid file kept records: %v (%s)", recs, rng)
	}
	connectError(t, s.call(http.MethodPost, "/public/v1/usage/files/"+f.ID+"/submit", s.vendor.Token.Value, nil), 400, "REQ_003", "is invalid")

	// A corrected upload replaces it.
	qty[6] = "1.23"
	f = s.process(t, s.upload(t, f.ID, []byte(s.rows(ids, qty))))
	if f.Status != usage.StatusReady || f.Stats.Records != 11 || f.ErrorDetail != "" {
		t.Fatalf("corrected file = %+v", f)
	}
}

// usageLateDuplicate: records are written while the rows are read, so a
// fault found only at the end (a record id repeated by the last row) comes
// after several batches were written; the invalid file keeps none of them.
func usageLateDuplicate(t *testing.T, s *usageShop) {
	f := s.newFile(t)
	const n = 3*layout.RecordBlock + 10
	ids, qty := make([]string, n+1), make([]string, n+1)
	for i := range n {
		ids[i], qty[i] = fmt.Sprintf("late-%03d", i), "1"
	}
	ids[n], qty[n] = ids[0], "1"
	f = s.process(t, s.upload(t, f.ID, []byte(s.rows(ids, qty))))
	want := fmt.Sprintf("row %d: record_id is a duplicate of row 2's", n+2)
	if f.Status != usage.StatusInvalid || f.Stats.Errors != 1 || f.ErrorDetail != want {
		t.Fatalf("file = %+v, want the error %q", f, want)
	}
	if got := recordItems(t, s.fixture, f.ID); got != 0 {
		t.Errorf("the invalid file kept %d record items", got)
	}
}

func usageProcessedTwice(t *testing.T, s *usageShop) {
	f := s.newFile(t)
	content := []byte(s.rows([]string{"t-a", "t-b", "t-c"}, []string{"1", "2", "3"}))
	up := s.upload(t, f.ID, content)
	first := s.process(t, up)
	before, _ := s.records(t, f.ID)
	// The same notification again is recognised and skipped.
	again := s.process(t, up)
	if again.Updated != first.Updated || again.Status != usage.StatusReady {
		t.Errorf("a duplicate notification processed the file again: %+v", again)
	}
	// A re-upload of the same content is processed anew, to the same
	// records, and the previous generation's records are gone.
	second := s.process(t, s.upload(t, f.ID, content))
	after, _ := s.records(t, f.ID)
	if second.Status != usage.StatusReady || !cmp.Equal(before, after) {
		t.Errorf("records differ after reprocessing:\n%s", cmp.Diff(before, after))
	}
	if n := recordItems(t, s.fixture, f.ID); n != 3 {
		t.Errorf("%d record items stored, want 3", n)
	}
	// A stale upload (an older key) is ignored.
	if err := s.app.UsageProcessor().Process(context.Background(), up.Upload.Key, false); err != nil {
		t.Fatal(err)
	}
	if cur := s.file(t, f.ID); cur.Updated != second.Updated {
		t.Errorf("an older upload was processed: %+v", cur)
	}
}

func usageXLSX(t *testing.T, s *usageShop) {
	f := s.newFile(t)
	res := s.do(http.MethodGet, "/public/v1/usage/files/"+f.ID+"/template?format=xlsx", s.vendor.Token.Value, nil, http.StatusOK, nil)
	wb, err := excelize.OpenReader(bytes.NewReader(res.body))
	if err != nil {
		t.Fatalf("template is not XLSX: %v", err)
	}
	sheets := wb.GetSheetList()
	items, _ := wb.GetRows("items")
	if len(sheets) != 2 || len(items) != 2 || items[1][1] != s.ppu.MPN {
		t.Fatalf("sheets %v, items %v", sheets, items)
	}
	// Fill the template's item row, with a real date cell for the start.
	start := time.Now().UTC().Truncate(time.Second).Add(time.Second)
	sheet := sheets[0]
	for col, v := range map[string]any{"A2": "x-1", "E2": 7.5, "F2": start, "G2": start.Add(time.Minute).Format(time.DateTime), "I2": s.asset} {
		if err := wb.SetCellValue(sheet, col, v); err != nil {
			t.Fatal(err)
		}
	}
	_ = wb.SetSheetRow(sheet, "A3", &[]any{"x-2", "", "item.id", s.ppu.ID, "2", start.Format(time.DateTime), start.Add(time.Hour).Format(time.DateTime), "parameter.param_tenant", "contoso"})
	var buf bytes.Buffer
	if _, err := wb.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	f = s.process(t, s.upload(t, f.ID, buf.Bytes()))
	if f.Status != usage.StatusReady || f.Stats.Records != 2 || f.Stats.Items[0].Quantity != "9.5" {
		t.Fatalf("xlsx file = %+v", f)
	}
	recs, _ := s.records(t, f.ID)
	if !recs[0].Start.Equal(start) {
		t.Errorf("date cell read as %s, want %s", recs[0].Start, start)
	}
}

func usagePresigned(t *testing.T, s *usageShop) {
	f := s.newFile(t)
	var u usage.UploadURL
	s.do(http.MethodPost, "/public/v1/usage/files/"+f.ID+"/upload", s.vendor.Token.Value, nil, http.StatusOK, &u)
	if u.Method != http.MethodPut || !strings.Contains(u.URL, "X-Amz-Signature") || u.File.Upload.Method != "presigned" ||
		time.Until(u.Expires) > 15*time.Minute || time.Until(u.Expires) < 14*time.Minute {
		t.Fatalf("upload url = %+v", u)
	}
	putObject(t, u, []byte(s.rows([]string{"p-1"}, []string{"4"})))
	f = s.process(t, u.File)
	if f.Status != usage.StatusReady || f.Stats.Records != 1 {
		t.Fatalf("file = %+v", f)
	}
}

// putObject uploads content to a presigned URL with a plain HTTP PUT.
func putObject(t *testing.T, u usage.UploadURL, content []byte) {
	t.Helper()
	req, err := http.NewRequest(u.Method, u.URL, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range u.Headers {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("PUT %s = %d %s", u.URL, res.StatusCode, body)
	}
}

func usageRecordElsewhere(t *testing.T, s *usageShop) {
	first := s.newFile(t)
	first = s.process(t, s.upload(t, first.ID, []byte(s.rows([]string{"dup", "only-a"}, []string{"1", "1"}))))
	base := "/public/v1/usage/files/" + first.ID
	s.do(http.MethodPost, base+"/submit", s.vendor.Token.Value, nil, http.StatusOK, nil)
	s.do(http.MethodPost, base+"/accept", s.provider.Token.Value, nil, http.StatusOK, nil)
	if err := s.app.Biller().Run(context.Background(), s.provider.ID); err != nil {
		t.Fatal(err)
	}
	second := s.newFile(t)
	second = s.process(t, s.upload(t, second.ID, []byte(s.rows([]string{"new", "dup"}, []string{"1", "1"}))))
	want := fmt.Sprintf(`row 3: record_id "dup" was already accepted in usage file %s`, first.ID)
	if second.Status != usage.StatusInvalid || second.ErrorDetail != want {
		t.Fatalf("second file = %s %q, want %q", second.Status, second.ErrorDetail, want)
	}
}

func usageBadInput(t *testing.T, s *usageShop) {
	f := s.newFile(t)
	v, p := s.vendor.Token.Value, s.provider.Token.Value
	files := "/public/v1/usage/files"
	base := files + "/" + f.ID
	other := s.createAccount("vendor", "Other Vendor")
	period := map[string]any{"from": "2026-11-01", "to": "2026-12-01"}
	tests := []struct {
		name      string
		res       response
		status    int
		code      string
		fragments []string
	}{
		{"create without fields", s.call(http.MethodPost, files, v, map[string]any{}), 400, "VAL_001",
			[]string{"name is required", "product is required", "marketplace is required", "period.from is required"}},
		{"create with a backwards period", s.call(http.MethodPost, files, v, map[string]any{"name": "x", "product": s.lab.product.ID,
			"marketplace": s.mp.ID, "period": map[string]any{"from": "2026-12-01", "to": "2026-11-01"}}), 400, "VAL_001", []string{"must be before period.to"}},
		{"create with a bad date", s.call(http.MethodPost, files, v, map[string]any{"name": "x", "product": s.lab.product.ID,
			"marketplace": s.mp.ID, "period": map[string]any{"from": "yesterday", "to": "2026-11-01"}}), 400, "VAL_001", []string{`period.from "yesterday" is not a date`}},
		{"create with an unknown field", s.call(http.MethodPost, files, v, map[string]any{"nmae": "x"}), 400, "VAL_001", []string{"unknown field"}},
		{"create on an unlisted marketplace", s.call(http.MethodPost, files, v, map[string]any{"name": "x", "product": s.lab.product.ID,
			"marketplace": "MP-00000", "period": period}), 404, "OBJ_001", []string{"not listed"}},
		{"create for another vendor's product", s.call(http.MethodPost, files, other.Token.Value, map[string]any{"name": "x",
			"product": s.lab.product.ID, "marketplace": s.mp.ID, "period": period}), 404, "OBJ_001", []string{"product " + s.lab.product.ID + " not found"}},
		{"create by a provider", s.call(http.MethodPost, files, p, map[string]any{"name": "x"}), 403, "AUTH_002", nil},
		{"list by an admin", s.call(http.MethodGet, files, s.admin.Token.Value, nil), 403, "AUTH_002", nil},
		{"unknown file", s.call(http.MethodGet, files+"/UF-2026-11-0000-0000", v, nil), 404, "OBJ_001", nil},
		{"template format", s.call(http.MethodGet, base+"/template?format=pdf", v, nil), 400, "VAL_001", []string{"format must be csv or xlsx"}},
		{"upload neither multipart nor empty", s.call(http.MethodPost, base+"/upload", v, "a,b\n1,2\n", "Content-Type", "text/csv"), 415, "REQ_004", []string{"multipart/form-data"}},
		{"upload by the provider", s.call(http.MethodPost, base+"/upload", p, nil), 403, "AUTH_002", nil},
		{"upload by another vendor", s.call(http.MethodPost, base+"/upload", other.Token.Value, nil), 404, "OBJ_001", nil},
		{"reject without a note", s.call(http.MethodPost, base+"/reject", p, nil), 400, "REQ_003", []string{"is draft"}},
		{"submit a draft", s.call(http.MethodPost, base+"/submit", v, nil), 400, "REQ_003", []string{"usage file " + f.ID + " is draft", "submit needs a file that is ready"}},
		{"action body not JSON", s.call(http.MethodPost, base+"/accept", p, "{"), 400, "REQ_001", nil},
		{"a note sent to submit, which takes none", s.call(http.MethodPost, base+"/submit", v, map[string]any{"note": "x"}), 400, "VAL_001", []string{`unknown field "note"`}},
		{"records without a file", s.call(http.MethodGet, "/public/v1/usage/records", v, nil), 400, "VAL_001", []string{"usage_file.id"}},
		{"records of an unknown field", s.call(http.MethodGet, "/public/v1/usage/records?usage_file.id="+f.ID+"&colour=red", v, nil), 400, "VAL_001", nil},
		{"records of another vendor's file", s.call(http.MethodGet, "/public/v1/usage/records?usage_file.id="+f.ID, other.Token.Value, nil), 404, "OBJ_001", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			connectError(t, tt.res, tt.status, tt.code, tt.fragments...)
		})
	}
	t.Run("multipart over 10 MB", func(t *testing.T) {
		ctype, body := multipartBody(t, "big.csv", bytes.Repeat([]byte("x"), usage.MaxUploadBytes+1))
		connectError(t, s.post(t, base+"/upload", ctype, body, v), 413, "REQ_002", "exceeds 10 MB", "presigned upload URL")
	})
	t.Run("multipart without a file part", func(t *testing.T) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("name", "x")
		_ = mw.Close()
		connectError(t, s.post(t, base+"/upload", mw.FormDataContentType(), buf.Bytes(), v), 400, "VAL_001", "no file part")
	})
	t.Run("reject needs a note", func(t *testing.T) {
		ready := s.process(t, s.upload(t, f.ID, []byte(s.rows([]string{"n-1"}, []string{"1"}))))
		s.do(http.MethodPost, "/public/v1/usage/files/"+ready.ID+"/submit", v, nil, http.StatusOK, nil)
		connectError(t, s.call(http.MethodPost, base+"/reject", p, map[string]any{"note": "  "}), 400, "VAL_001", "note is required")
		var got usage.File
		s.do(http.MethodPost, base+"/reject", p, map[string]any{"note": "wrong month"}, http.StatusOK, &got)
		if got.Status != usage.StatusRejected || got.RejectionNote != "wrong month" {
			t.Errorf("rejected = %+v", got)
		}
	})
	// Unknown objects in the bucket and unknown files are acknowledged.
	for _, key := range []string{"elsewhere/x.csv", "usage/UF-2026-11-0000-0000/upload.csv"} {
		if err := s.app.UsageProcessor().Process(context.Background(), key, false); err != nil {
			t.Errorf("key %s: %v", key, err)
		}
	}
}
