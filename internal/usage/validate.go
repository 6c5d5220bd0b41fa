package usage

import (
	"context"
	"fmt"
	"hash/maphash"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/mercato-dev/mercato/internal/catalog"
	"github.com/mercato-dev/mercato/internal/fulfillment/timeline"
)

// MaxErrors is how many row messages a file's error_detail keeps; the
// count of all of them follows.
const MaxErrors = 100

// maxRecordID bounds a record id, which is stored and shown as it is.
const maxRecordID = 255

// AssetInfo is what row validation needs to know about an asset.
type AssetInfo struct {
	ID          string
	Vendor      string
	Product     string
	Marketplace string
	Timeline    timeline.Timeline
	// Prices are the asset's prices by item id.
	Prices map[string]string
}

// Assets finds the assets rows name. The validator caches the answers for
// the file, so each distinct asset is looked up once, not once per row
// (up to maxCachedAssets distinct ones; past that, one now and then again).
type Assets interface {
	// ByID returns the asset with id, nil when there is none.
	ByID(ctx context.Context, id string) (*AssetInfo, error)
	// ByParam returns the file's product's assets on its marketplace whose
	// parameter name holds value; it may stop at two, which is enough to
	// tell one from many.
	ByParam(ctx context.Context, name, value string) ([]*AssetInfo, error)
}

// Claims tells which record ids another file already had accepted.
type Claims interface {
	// Owners returns, for each of the product's record ids that an
	// accepted file holds, that file's id.
	Owners(ctx context.Context, productID string, recordIDs []string) (map[string]string, error)
}

// Catalog is what the validator knows of the file's product and listing,
// read once per file.
type Catalog struct {
	Items []catalog.Item
	// Prices are the listing's prices by item id.
	Prices map[string]string
}

type itemInfo struct {
	item     catalog.Item
	decimals int
	total    quantitySum
	records  int
}

// Validator checks a file's rows one at a time. It keeps a 64-bit hash of
// each record id (not the id) to find duplicates within the file, 16 MiB
// in memory at most and the rest on disk; two different ids colliding is a
// one in 2^64 chance per pair, with a seed new for every file.
type Validator struct {
	file       File
	byMPN      map[string]*itemInfo
	byItemID   map[string]*itemInfo // by id and by local id
	prices     map[string]string
	assets     Assets
	byID       map[string]*AssetInfo
	byParam    map[string][]*AssetInfo
	serials    bool // XLSX: dates may be serial numbers
	cols       [9]int
	header     bool
	seed       maphash.Seed
	seen       idSet
	errs       errorList
	badRows    int
	records    int
	rowHadErrs bool
	// keep builds the records' text fields; a validation-only pass
	// (no sink) skips it.
	keep bool
	// maxRows is MaxRows, but in the benchmarks' memory measurement.
	maxRows int
}

// NewValidator returns a validator of file f's rows.
func NewValidator(f File, c Catalog, assets Assets) *Validator {
	v := &Validator{file: f, prices: c.Prices, assets: assets, byMPN: map[string]*itemInfo{}, byItemID: map[string]*itemInfo{},
		byID: map[string]*AssetInfo{}, byParam: map[string][]*AssetInfo{}, seed: maphash.MakeSeed(), seen: newIDSet(""), maxRows: MaxRows}
	for _, it := range c.Items {
		info := &itemInfo{item: it, decimals: catalog.Decimals(it.Precision)}
		v.byMPN[it.MPN] = info
		v.byItemID[it.ID] = info
		if it.LocalID != "" {
			v.byItemID[it.LocalID] = info
		}
	}
	return v
}

type errorList struct {
	msgs  []string
	count int
}

func (e *errorList) add(msg string) {
	e.count++
	if len(e.msgs) < MaxErrors {
		e.msgs = append(e.msgs, msg)
	}
}

func (v *Validator) fail(row int, format string, args ...any) {
	v.rowHadErrs = true
	v.errs.add(fmt.Sprintf("row %d: ", row) + fmt.Sprintf(format, args...))
}

// FileError records a problem of the whole file (not of a row).
func (v *Validator) FileError(msg string) { v.errs.add(msg) }

// Failed reports whether any row or the file itself was invalid.
func (v *Validator) Failed() bool { return v.errs.count > 0 }

// Header reads the header row: every column of Columns but record_note
// must be there, in any order and case.
func (v *Validator) Header(row int, cells []string) bool {
	for i := range v.cols {
		v.cols[i] = -1
	}
	for i, c := range cells {
		name := strings.ToLower(strings.TrimSpace(c))
		if j := slices.Index(Columns, name); j >= 0 {
			if v.cols[j] >= 0 {
				v.fail(row, "column %s appears twice", name)
			}
			v.cols[j] = i
		}
	}
	var missing []string
	for j, name := range Columns {
		if v.cols[j] < 0 && name != "record_note" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		v.fail(row, "the header lacks the columns %s; download the template for the expected columns", strings.Join(missing, ", "))
	}
	v.header = true
	return !v.rowHadErrs
}

// column indices into Columns.
const (
	colRecordID = iota
	colNote
	colItemCriteria
	colItemValue
	colQuantity
	colStart
	colEnd
	colAssetCriteria
	colAssetValue
)

func (v *Validator) cell(cells []string, col int) string {
	i := v.cols[col]
	if i < 0 || i >= len(cells) {
		return ""
	}
	return trim(cells[i])
}

// trim is strings.TrimSpace with a fast path for the usual cell, which
// has nothing to trim.
func trim(s string) string {
	if s == "" || (s[0] > ' ' && s[len(s)-1] > ' ') {
		return s
	}
	return strings.TrimSpace(s)
}

// lower is strings.ToLower with a fast path for the expected spellings.
func lower(s string, expected ...string) string {
	for _, e := range expected {
		if s == e {
			return s
		}
	}
	return strings.ToLower(s)
}

func blank(cells []string) bool {
	for _, c := range cells {
		if trim(c) != "" {
			return false
		}
	}
	return true
}

// Row validates one data row. It returns the record and true when the row
// is valid; every problem of an invalid row is recorded with its number.
func (v *Validator) Row(ctx context.Context, row int, cells []string) (Record, bool, error) {
	v.rowHadErrs = false
	rec := Record{Row: row, UsageFile: Ref{ID: v.file.ID}, Product: v.file.Product, Currency: v.file.Currency}
	rec.RecordID = v.cell(cells, colRecordID)
	rec.Note = v.cell(cells, colNote)
	v.checkRecordID(row, rec.RecordID)
	item := v.checkItem(row, cells)
	rec.Quantity = v.checkQuantity(row, v.cell(cells, colQuantity), item)
	rec.Start, rec.End = v.checkInterval(row, cells)
	asset, err := v.checkAsset(ctx, row, cells, rec.Start, rec.End)
	if err != nil {
		return Record{}, false, err
	}
	if item != nil && asset != nil {
		rec.Price = v.price(row, item, asset)
	}
	if v.rowHadErrs {
		v.badRows++
		return Record{}, false, nil
	}
	if err := v.seen.add(maphash.String(v.seed, rec.RecordID), row); err != nil {
		return Record{}, false, err
	}
	rec.Item = ItemRef{ID: item.item.ID, MPN: item.item.MPN, Name: item.item.Name}
	rec.Asset = Ref{ID: asset.ID}
	item.records++
	v.records++
	return rec, true, nil
}

func (v *Validator) checkRecordID(row int, id string) {
	switch {
	case id == "":
		v.fail(row, "record_id is required")
		return
	case len(id) > maxRecordID:
		v.fail(row, "record_id must be at most %d characters", maxRecordID)
		return
	}
}

func (v *Validator) checkItem(row int, cells []string) *itemInfo {
	criteria, value := lower(v.cell(cells, colItemCriteria), "item.mpn", "item.id"), v.cell(cells, colItemValue)
	var it *itemInfo
	var ok bool
	switch criteria {
	case "item.mpn":
		it, ok = v.byMPN[value]
	case "item.id":
		it, ok = v.byItemID[value]
	default:
		v.fail(row, "item_search_criteria must be item.mpn or item.id (got %q)", criteria)
		return nil
	}
	switch {
	case value == "":
		v.fail(row, "item_search_value is required")
		return nil
	case !ok:
		v.fail(row, "product %s has no item with %s %s", v.file.Product.ID, strings.TrimPrefix(criteria, "item."), value)
		return nil
	case it.item.Type != catalog.ItemPPU:
		v.fail(row, "item %s (%s) is a reservation item; usage is reported for pay-per-use items only", it.item.ID, it.item.MPN)
		return nil
	}
	return it
}

func (v *Validator) checkQuantity(row int, raw string, it *itemInfo) string {
	if raw == "" {
		v.fail(row, "quantity is required")
		return ""
	}
	if it == nil {
		if _, err := parseQuantity(raw, 8); err != nil && err != errPrecision {
			v.fail(row, "quantity %s", err.Error())
		}
		return ""
	}
	q, err := parseQuantity(raw, it.decimals)
	switch {
	case err == errPrecision:
		v.fail(row, "quantity %s has more decimals than item %s allows (precision %s)", raw, it.item.MPN, it.item.Precision)
		return ""
	case err != nil:
		v.fail(row, "quantity %s", err.Error())
		return ""
	}
	it.total.add(q)
	if !v.keep {
		return ""
	}
	return q.String()
}

func (v *Validator) checkInterval(row int, cells []string) (time.Time, time.Time) {
	start, err1 := parseTime(v.cell(cells, colStart), v.serials)
	if err1 != nil {
		v.fail(row, "start_time_utc %s", err1.Error())
	}
	end, err2 := parseTime(v.cell(cells, colEnd), v.serials)
	if err2 != nil {
		v.fail(row, "end_time_utc %s", err2.Error())
	}
	if err1 != nil || err2 != nil {
		return start, end
	}
	p := v.file.Period
	switch {
	case !start.Before(end):
		v.fail(row, "start_time_utc %s must be before end_time_utc %s", stampOf(start), stampOf(end))
	case start.Before(p.From) || end.After(p.To):
		v.fail(row, "the interval %s to %s is outside the file's period %s to %s", stampOf(start), stampOf(end), stampOf(p.From), stampOf(p.To))
	}
	return start, end
}

func stampOf(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (v *Validator) checkAsset(ctx context.Context, row int, cells []string, start, end time.Time) (*AssetInfo, error) {
	criteria, value := v.cell(cells, colAssetCriteria), v.cell(cells, colAssetValue)
	a, msg, err := v.findAsset(ctx, lower(criteria, "asset.id"), criteria, value)
	if err != nil || msg != "" {
		if msg != "" {
			v.fail(row, "%s", msg)
		}
		return nil, err
	}
	switch {
	case a.Product != v.file.Product.ID:
		v.fail(row, "asset %s is of product %s, not the file's product %s", a.ID, a.Product, v.file.Product.ID)
		return nil, nil
	case a.Marketplace != v.file.Marketplace.ID:
		v.fail(row, "asset %s is on marketplace %s, not the file's marketplace %s", a.ID, a.Marketplace, v.file.Marketplace.ID)
		return nil, nil
	case !start.IsZero() && !end.IsZero() && start.Before(end) && !a.Timeline.ActiveThrough(start, end):
		v.fail(row, "asset %s was not active for the whole interval %s to %s", a.ID, stampOf(start), stampOf(end))
		return nil, nil
	}
	return a, nil
}

// findAsset resolves a row's asset search, through the file's caches. A
// message is a row problem; an error is an outage.
func (v *Validator) findAsset(ctx context.Context, criteria, raw, value string) (*AssetInfo, string, error) {
	if value == "" {
		return nil, "asset_search_value is required", nil
	}
	if criteria == "asset.id" {
		a, ok := v.byID[value]
		if !ok {
			var err error
			if a, err = v.assets.ByID(ctx, value); err != nil {
				return nil, "", err
			}
			if a != nil && a.Vendor != v.file.Vendor.ID {
				a = nil // another vendor's asset does not exist for this one
			}
			cachePut(v.byID, value, a)
		}
		if a == nil {
			return nil, fmt.Sprintf("asset %s not found", value), nil
		}
		return a, "", nil
	}
	name, ok := strings.CutPrefix(criteria, "parameter.")
	if !ok || name == "" {
		return nil, fmt.Sprintf("asset_search_criteria must be asset.id or parameter.<name> (got %q)", raw), nil
	}
	name = raw[len("parameter."):]
	key := name + "\x00" + value
	found, ok := v.byParam[key]
	if !ok {
		var err error
		if found, err = v.assets.ByParam(ctx, name, value); err != nil {
			return nil, "", err
		}
		cachePut(v.byParam, key, found)
	}
	switch len(found) {
	case 0:
		return nil, fmt.Sprintf("no asset of product %s on marketplace %s has parameter %s = %q", v.file.Product.ID, v.file.Marketplace.ID, name, value), nil
	case 1:
		return found[0], "", nil
	}
	return nil, fmt.Sprintf("more than one asset has parameter %s = %q; search by asset.id", name, value), nil
}

// maxCachedAssets bounds each of the validator's asset caches, whose
// entries (an asset's timeline and prices, or a value that named none)
// would otherwise grow with the distinct values of a file.
const maxCachedAssets = 10_000

// cachePut adds an entry to a cache, first dropping an arbitrary one (Go
// randomises where a map's iteration starts) when it is full.
func cachePut[V any](m map[string]V, k string, v V) {
	if len(m) >= maxCachedAssets {
		for old := range m {
			delete(m, old)
			break
		}
	}
	m[k] = v
}

func (v *Validator) price(row int, it *itemInfo, a *AssetInfo) string {
	if p, ok := a.Prices[it.item.ID]; ok && p != "" {
		return p
	}
	if p, ok := v.prices[it.item.ID]; ok && p != "" {
		return p
	}
	v.fail(row, "item %s has no price on marketplace %s", it.item.MPN, v.file.Marketplace.ID)
	return ""
}

// Report is the outcome of a file's rows.
type Report struct {
	Records  int
	BadRows  int
	Errors   []string
	Count    int
	Stats    []ItemStat
	Detailed string
}

// Report summarises the rows seen so far.
func (v *Validator) Report() Report {
	r := Report{Records: v.records, BadRows: v.badRows, Errors: v.errs.msgs, Count: v.errs.count}
	seen := map[*itemInfo]bool{}
	for _, k := range slices.Sorted(maps.Keys(v.byItemID)) {
		it := v.byItemID[k]
		if seen[it] || it.records == 0 {
			continue
		}
		seen[it] = true
		r.Stats = append(r.Stats, ItemStat{ID: it.item.ID, MPN: it.item.MPN, Quantity: it.total.String(it.decimals), Records: it.records})
	}
	slices.SortFunc(r.Stats, func(a, b ItemStat) int { return strings.Compare(a.ID, b.ID) })
	r.Detailed = detail(r.Errors, r.Count)
	return r
}

// detail is a file's error_detail: one line per kept message, then how
// many more there were.
func detail(msgs []string, count int) string {
	if count == 0 {
		return ""
	}
	out := strings.Join(msgs, "\n")
	if more := count - len(msgs); more > 0 {
		out += fmt.Sprintf("\n… and %d more errors (%d in all)", more, count)
	}
	return out
}
