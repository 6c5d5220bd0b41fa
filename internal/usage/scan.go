package usage

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/mercato-dev/mercato/internal/sheet"
)

// MaxRows bounds the rows of a file. It bounds processing time, not
// memory, which no longer grows with the file (the duplicate check spills
// to disk past a million rows; messages are capped). A file is read once:
// its records are written (at up to 40,000 a second, DefaultWorkers over
// layout.UsageRecordShards partitions) while its rows are validated and
// their claims read, so two million rows take about 62 s of the usage
// function's 300 s timeout (template.yaml; the model is in the README's
// "Usage at its stated limits"). A larger file is refused at once, and its
// vendor told to split it. Raise it together with the timeout.
const MaxRows = 2_000_000

// claimBatch is how many record ids one Claims call checks: DynamoDB's
// BatchGetItem limit.
const claimBatch = 100

// claimWorkers bounds the Claims calls in flight while the file is read:
// 16 BatchGetItem calls of 100 ids at about 15 ms each check 100,000 ids a
// second, which keeps ahead of reading at a Lambda's share of a core.
const claimWorkers = 16

type claimRef struct {
	id  string
	row int
}

// claimed is a record id another file had accepted.
type claimed struct {
	claimRef
	file string
}

// claimChecker checks record ids against other files' accepted records in
// batches, in the background, while the rows are read. It keeps the
// MaxErrors claimed ids of the lowest rows and counts the others, so that
// a file of a million ids already billed costs no more memory than one.
type claimChecker struct {
	claims  Claims
	product string
	fileID  string
	buf     []claimRef
	wg      sync.WaitGroup
	sem     chan struct{}
	mu      sync.Mutex
	found   []claimed
	total   int
	err     error
}

func newClaimChecker(c Claims, product, fileID string) *claimChecker {
	return &claimChecker{claims: c, product: product, fileID: fileID, sem: make(chan struct{}, claimWorkers)}
}

func (c *claimChecker) add(ctx context.Context, id string, row int) {
	c.buf = append(c.buf, claimRef{id, row})
	if len(c.buf) == claimBatch {
		c.flush(ctx)
	}
}

func (c *claimChecker) flush(ctx context.Context) {
	if len(c.buf) == 0 {
		return
	}
	batch := c.buf
	c.buf = make([]claimRef, 0, claimBatch)
	c.sem <- struct{}{}
	c.wg.Add(1)
	go func() {
		defer func() { <-c.sem; c.wg.Done() }()
		c.check(ctx, batch)
	}()
}

func (c *claimChecker) check(ctx context.Context, batch []claimRef) {
	ids := make([]string, len(batch))
	for i, r := range batch {
		ids[i] = r.id
	}
	owners, err := c.claims.Owners(ctx, c.product, ids)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.err = errors.Join(c.err, err)
		return
	}
	for _, r := range batch {
		if f, ok := owners[r.id]; ok && f != c.fileID {
			c.total++
			c.found = append(c.found, claimed{r, f})
			if len(c.found) == 2*MaxErrors {
				c.found = lowestClaims(c.found)
			}
		}
	}
}

// lowestClaims keeps the MaxErrors claimed ids of the lowest rows, in
// row order: batches finish in any order.
func lowestClaims(found []claimed) []claimed {
	slices.SortFunc(found, func(a, b claimed) int { return cmp.Compare(a.row, b.row) })
	return found[:min(len(found), MaxErrors)]
}

// wait returns, once every batch is checked, the messages of the lowest
// rows whose ids another file had accepted, and how many rows those are.
func (c *claimChecker) wait(ctx context.Context) ([]string, int, error) {
	c.flush(ctx)
	c.wg.Wait()
	var msgs []string
	for _, f := range lowestClaims(c.found) {
		msgs = append(msgs, fmt.Sprintf("row %d: record_id %q was already accepted in usage file %s", f.row, f.id, f.file))
	}
	return msgs, c.total, c.err
}

// Scan reads every row of a file and validates it. The first non-blank
// row is the header; blank rows are skipped. With claims, every record id
// is also checked against the records other files had accepted. sink, when
// not nil, receives each valid record in order. A file that cannot be read
// as CSV or XLSX is a file error, not a failure: Scan fails only when
// reading the object or a lookup fails, which is worth retrying.
func (v *Validator) Scan(ctx context.Context, rows sheet.Rows, claims Claims, sink func(Record) error) error {
	var cc *claimChecker
	if claims != nil {
		cc = newClaimChecker(claims, v.file.Product.ID, v.file.ID)
	}
	v.keep = sink != nil
	err := v.scanRows(ctx, rows, cc, sink)
	if err == nil {
		err = v.addDuplicates()
	} else {
		v.seen.close()
	}
	if cc != nil {
		msgs, n, cerr := cc.wait(ctx)
		err = errors.Join(err, cerr)
		v.addRowErrors(msgs, n)
	}
	if err != nil {
		return err
	}
	if v.records+v.badRows == 0 && v.errs.count == 0 {
		v.FileError("the file has no usage records: fill in the template's rows below the header")
	}
	return nil
}

// addDuplicates reports the rows whose record id an earlier row has.
func (v *Validator) addDuplicates() error {
	dups, n, err := v.seen.duplicates(MaxErrors)
	if err != nil {
		return err
	}
	msgs := make([]string, len(dups))
	for i, d := range dups {
		msgs[i] = fmt.Sprintf("row %d: record_id is a duplicate of row %d's", d.row, d.first)
	}
	v.addRowErrors(msgs, n)
	return nil
}

// addRowErrors records n bad rows found after the rows were read, of
// which msgs are the first.
func (v *Validator) addRowErrors(msgs []string, n int) {
	for _, m := range msgs {
		v.errs.add(m)
	}
	v.errs.count += n - len(msgs)
	v.badRows += n
	v.records -= n
}

// readError ends the reading of the rows: at the end, at a file that
// cannot be read as CSV or XLSX (a file error), or at an outage.
func (v *Validator) readError(err error) error {
	var fe *sheet.FormatError
	switch {
	case errors.Is(err, io.EOF):
		return nil
	case errors.As(err, &fe):
		v.FileError(fe.Msg)
		return nil
	}
	return err
}

func (v *Validator) scanRows(ctx context.Context, rows sheet.Rows, cc *claimChecker, sink func(Record) error) error {
	for {
		cells, row, err := rows.Next()
		if err != nil {
			return v.readError(err)
		}
		if blank(cells) {
			continue
		}
		if v.records+v.badRows >= v.maxRows {
			v.FileError(fmt.Sprintf("the file has more than %d rows; split it into several files", v.maxRows))
			return nil
		}
		if !v.header {
			if !v.Header(row, cells) {
				return nil
			}
			continue
		}
		rec, ok, err := v.Row(ctx, row, cells)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if cc != nil {
			cc.add(ctx, rec.RecordID, row)
		}
		if sink != nil {
			if err := sink(rec); err != nil {
				return err
			}
		}
	}
}
