package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/dynamo"
	"github.com/mercato-dev/mercato/internal/layout"
	"github.com/mercato-dev/mercato/internal/sleep"
	usagefiles "github.com/mercato-dev/mercato/internal/usage"
)

// The backfill of the list counts. The counted lists whose rows can predate
// their count items are one partition each of gsi1 or gsi2: the catalog's
// (layout.ListCountOf, kept by the relay) and the usage files' (usagefiles.VendorFiles,
// counted in the creating transaction). A Scan of those two indexes finds
// every such list; each list is then counted with a Query of its partition
// and its count items are set to that number.
//
// Concurrent writers. Per page, the command reads the lists' count items,
// waits -settle, counts the rows, waits -settle again, and writes each
// list's count in one transaction whose every item is conditional on the
// value read first. An increment that lands in between (a relay batch, a
// new usage file) fails the condition and the list is counted again. A
// row whose index entry or relay increment takes longer than -settle to
// arrive is the one case that can still be counted twice or not at all,
// so -settle must exceed the relay's lag (RelayIteratorAgeAlarm) and the
// indexes' propagation; running the command again on a quiet list
// corrects it (it sets, never adds).

// scanIndexes are the indexes the counted lists live on, in scan order.
var scanIndexes = []string{dynamo.GSI1, dynamo.GSI2}

// backfillTries is how often a list that keeps changing is counted before
// the command stops with its page's cursor.
const backfillTries = 3

// countedList reports whether an index key names a list whose rows can
// predate its count items: a catalog list or a usage-file list.
func countedList(pk string) bool {
	if _, ok := layout.ListCountOf(pk, 0); ok {
		return true
	}
	return strings.HasPrefix(pk, usagefiles.VendorFiles("").Prefix) || strings.HasPrefix(pk, usagefiles.ProviderFiles("").Prefix)
}

// listCount is one list's outcome.
type listCount struct {
	List    string `json:"list"`
	Index   string `json:"index"`
	Was     int    `json:"was"`
	Counted int    `json:"counted"`
	// Outcome is "unchanged", "set" or "would set" (a dry run).
	Outcome string `json:"outcome"`
}

// backfillPage is the line printed after each page: the cursor resumes
// after it.
type backfillPage struct {
	Scanned int         `json:"scanned"`
	Lists   []listCount `json:"lists"`
	Cursor  string      `json:"cursor"`
}

// BackfillSummary is the last line.
type BackfillSummary struct {
	Pages   int  `json:"pages"`
	Lists   int  `json:"lists"`
	Changed int  `json:"changed"`
	Done    bool `json:"done"`
	// Cursor resumes the run when it stopped at -pages; "" when Done.
	Cursor string `json:"cursor"`
}

// cursor is where the scan resumes: an index of scanIndexes and the key
// its Scan stopped at.
type cursor struct {
	Index string            `json:"index"`
	Key   map[string]string `json:"key,omitempty"`
}

func (c cursor) String() string {
	b, _ := json.Marshal(c) // a struct of strings always marshals
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseCursor(s string) (cursor, error) {
	if s == "" {
		return cursor{Index: scanIndexes[0]}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	var c cursor
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || (c.Index != dynamo.GSI1 && c.Index != dynamo.GSI2) {
		return cursor{}, fmt.Errorf("-cursor %q is not a cursor this command printed", s)
	}
	return c, nil
}

type backfill struct {
	table *dynamo.Table
	// scanner scans the indexes (the table's client has no Scan: nothing
	// else scans).
	scanner *dynamodb.Client
	page    int
	settle  time.Duration
	dryRun  bool
	out     *json.Encoder
	// seen are the lists counted in this run; a list that spans pages is
	// counted once.
	seen map[string]bool
}

// backfillCounts is the backfill-counts command. It prints one JSON line a
// page and a summary line.
func backfillCounts(ctx context.Context, a *app.App, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("backfill-counts", flag.ContinueOnError)
	from := fs.String("cursor", "", "resume after the page that printed this cursor")
	page := fs.Int("page", 1000, "index items scanned per page")
	pages := fs.Int("pages", 0, "stop after this many pages and print the cursor (0: run to the end)")
	settle := fs.Duration("settle", 5*time.Second, "wait before and after counting, longer than the relay's lag")
	dryRun := fs.Bool("dry-run", false, "count and report, write nothing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *page < 1 || *pages < 0 || *settle < 0 {
		return errors.New("-page must be positive, -pages and -settle not negative")
	}
	c, err := parseCursor(*from)
	if err != nil {
		return err
	}
	b := backfill{table: a.Table, scanner: dynamodb.NewFromConfig(a.AWS), page: *page, settle: *settle, dryRun: *dryRun, out: json.NewEncoder(out), seen: map[string]bool{}}
	sum := BackfillSummary{}
	for ; *pages == 0 || sum.Pages < *pages; sum.Pages++ {
		next, res, err := b.runPage(ctx, c)
		if err != nil {
			return fmt.Errorf("%w (resume with -cursor %s)", err, c)
		}
		sum.Lists += len(res.Lists)
		for _, l := range res.Lists {
			if l.Outcome != "unchanged" {
				sum.Changed++
			}
		}
		if next == nil {
			sum.Pages, sum.Done = sum.Pages+1, true
			break
		}
		c = *next
	}
	if !sum.Done {
		sum.Cursor = c.String()
	}
	return b.out.Encode(sum)
}

// runPage scans one page from c, sets the counts of the lists it found,
// prints the page's line and returns where the next page starts (nil at
// the end of the last index).
func (b *backfill) runPage(ctx context.Context, c cursor) (*cursor, backfillPage, error) {
	scanned, lists, last, err := b.scan(ctx, c)
	if err != nil {
		return nil, backfillPage{}, err
	}
	res := backfillPage{Scanned: scanned, Lists: []listCount{}}
	if res.Lists, err = b.reconcile(ctx, lists); err != nil {
		return nil, backfillPage{}, err
	}
	var next *cursor
	switch {
	case last != nil:
		next = &cursor{Index: c.Index, Key: last}
	case c.Index == dynamo.GSI1:
		next = &cursor{Index: dynamo.GSI2}
	}
	if next != nil {
		res.Cursor = next.String()
	}
	return next, res, b.out.Encode(res)
}

// list is a counted list found by the scan.
type list struct {
	index, pk string
}

// scan reads up to b.page items of c's index from c's key and returns the
// counted lists among them not seen before, and the key to go on from.
func (b *backfill) scan(ctx context.Context, c cursor) (int, []list, map[string]string, error) {
	pkName := c.Index + "pk"
	start, err := attributevalue.MarshalMap(c.Key)
	if err != nil || len(c.Key) == 0 {
		start = nil
	}
	var lists []list
	scanned := 0
	for scanned < b.page {
		out, err := b.scanner.Scan(ctx, &dynamodb.ScanInput{
			TableName: aws.String(b.table.Name), IndexName: aws.String(c.Index),
			ProjectionExpression: aws.String("#pk"), ExpressionAttributeNames: map[string]string{"#pk": pkName},
			Limit: aws.Int32(int32(b.page - scanned)), ExclusiveStartKey: start,
		})
		if err != nil {
			return 0, nil, nil, fmt.Errorf("scan %s: %w", c.Index, err)
		}
		scanned += int(out.ScannedCount)
		for _, it := range out.Items {
			pk, _ := it[pkName].(*types.AttributeValueMemberS)
			if pk == nil || !countedList(pk.Value) || b.seen[pk.Value] {
				continue
			}
			b.seen[pk.Value] = true
			lists = append(lists, list{index: c.Index, pk: pk.Value})
		}
		if start = out.LastEvaluatedKey; start == nil {
			return scanned, lists, nil, nil
		}
	}
	var key map[string]string
	if err := attributevalue.UnmarshalMap(start, &key); err != nil {
		return 0, nil, nil, fmt.Errorf("scan %s: the key to go on from: %w", c.Index, err)
	}
	return scanned, lists, key, nil
}

// countItem is one of a list's count items as read.
type countItem struct {
	dynamo.Key
	N int `dynamodbav:"n"`
}

// reconcile sets the count of each list to the number of its rows, under
// the rule of the file's comment.
func (b *backfill) reconcile(ctx context.Context, lists []list) ([]listCount, error) {
	done := make([]listCount, 0, len(lists))
	for try := 1; len(lists) > 0; try++ {
		if try > backfillTries {
			names := make([]string, len(lists))
			for i, l := range lists {
				names[i] = l.pk
			}
			return nil, fmt.Errorf("the counts of %s changed throughout %d tries; run again when they are quieter", strings.Join(names, ", "), backfillTries)
		}
		before, err := b.readCounts(ctx, lists)
		if err != nil {
			return nil, err
		}
		if err := b.wait(ctx); err != nil {
			return nil, err
		}
		counted := make([]int, len(lists))
		for i, l := range lists {
			if counted[i], err = b.countRows(ctx, l); err != nil {
				return nil, err
			}
		}
		if err := b.wait(ctx); err != nil {
			return nil, err
		}
		var again []list
		for i, l := range lists {
			res := listCount{List: l.pk, Index: l.index, Was: total(before[l.pk]), Counted: counted[i], Outcome: "unchanged"}
			if res.Was != res.Counted {
				res.Outcome = "would set"
				if !b.dryRun {
					res.Outcome = "set"
					err := b.setCount(ctx, l.pk, before[l.pk], counted[i])
					if _, conflict := dynamo.AsConditionFailed(err); conflict {
						again = append(again, l)
						continue
					}
					if err != nil {
						return nil, err
					}
				}
			}
			done = append(done, res)
		}
		lists = again
	}
	return done, nil
}

func (b *backfill) wait(ctx context.Context) error {
	if b.dryRun {
		return nil
	}
	return sleep.For(ctx, b.settle)
}

// readCounts reads the count items of lists, consistently: what each
// list's write is conditional on. A missing item is absent from its list's
// map.
func (b *backfill) readCounts(ctx context.Context, lists []list) (map[string]map[dynamo.Key]int, error) {
	var keys []dynamo.Key
	for _, l := range lists {
		keys = append(keys, layout.CountKeys(layout.List(l.pk))...)
	}
	items, err := dynamo.BatchGet[countItem](ctx, b.table, dynamo.BatchRead{Keys: keys, Consistent: true})
	if err != nil {
		return nil, err
	}
	out := make(map[string]map[dynamo.Key]int, len(lists))
	for _, l := range lists {
		out[l.pk] = map[dynamo.Key]int{}
	}
	byKey := map[dynamo.Key]string{}
	for _, l := range lists {
		for _, k := range layout.CountKeys(layout.List(l.pk)) {
			byKey[k] = l.pk
		}
	}
	for _, it := range items {
		out[byKey[it.Key]][it.Key] = it.N
	}
	return out, nil
}

func total(items map[dynamo.Key]int) int {
	n := 0
	for _, v := range items {
		n += v
	}
	return n
}

// countRows counts a list's rows with a Query of its partition that
// returns only the count.
func (b *backfill) countRows(ctx context.Context, l list) (int, error) {
	in, err := dynamo.Partition{Index: l.index, PK: l.pk}.Input(0, nil)
	if err != nil {
		return 0, err
	}
	in.Limit, in.Select, in.TableName = nil, types.SelectCount, aws.String(b.table.Name)
	n := 0
	for {
		out, err := b.table.Client.Query(ctx, in)
		if err != nil {
			return 0, fmt.Errorf("count %s: %w", l.pk, err)
		}
		n += int(out.Count)
		if out.LastEvaluatedKey == nil {
			return n, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// setCount writes n into count item 0 and 0 into the others that hold a
// value, in one transaction conditional on every item still holding what
// was read.
func (b *backfill) setCount(ctx context.Context, pk string, before map[dynamo.Key]int, n int) error {
	tx := b.table.Tx()
	for m, k := range layout.CountKeys(layout.List(pk)) {
		was, exists := before[k]
		cond := expression.Name("n").Equal(expression.Value(was))
		if !exists {
			cond = expression.AttributeNotExists(expression.Name(dynamo.PK))
		}
		label := fmt.Sprintf("count %d of %s", m, pk)
		switch {
		case m == 0:
			tx.Put(label, countItem{Key: k, N: n}, &cond)
		case exists:
			tx.Put(label, countItem{Key: k, N: 0}, &cond)
		default:
			tx.Check(label, k, cond)
		}
	}
	return tx.Commit(ctx)
}
