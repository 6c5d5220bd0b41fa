package usage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
)

// MaxRows bounds the rows of a file. The duplicate check keeps 16 bytes
// a row; the cap keeps the usage function's memory bounded whatever the
// file's size.
const MaxRows = 2_000_000

// claimBatch is how many record ids one Claims call checks: DynamoDB's
// BatchGetItem limit.
const claimBatch = 100

// claimWorkers bounds the Claims calls in flight while the file is read.
const claimWorkers = 4

type claimRef struct {
	id  string
	row int
}

// claimChecker checks record ids against other files' accepted records in
// batches, in the background, while the rows are read.
type claimChecker struct {
	claims  Claims
	product string
	fileID  string
	buf     []claimRef
	wg      sync.WaitGroup
	sem     chan struct{}
	mu      sync.Mutex
	msgs    []string
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
			c.msgs = append(c.msgs, fmt.Sprintf("row %d: record_id %q was already accepted in usage file %s", r.row, r.id, f))
		}
	}
}

// wait returns the messages of every batch, once all are checked.
func (c *claimChecker) wait(ctx context.Context) ([]string, error) {
	c.flush(ctx)
	c.wg.Wait()
	return c.msgs, c.err
}

// Scan reads every row of a file and validates it. The first non-blank
// row is the header; blank rows are skipped. With claims, every record id
// is also checked against the records other files had accepted. sink, when
// not nil, receives each valid record in order. A file that cannot be read
// as CSV or XLSX is a file error, not a failure: Scan fails only when
// reading the object or a lookup fails, which is worth retrying.
func (v *Validator) Scan(ctx context.Context, rows Rows, claims Claims, sink func(Record) error) error {
	var cc *claimChecker
	if claims != nil {
		cc = newClaimChecker(claims, v.file.Product.ID, v.file.ID)
	}
	v.keep = sink != nil
	err := v.scanRows(ctx, rows, cc, sink)
	for _, d := range v.seen.duplicates() {
		v.errs.add(fmt.Sprintf("row %d: record_id is a duplicate of row %d's", d.row, d.first))
		v.badRows++
		v.records--
	}
	if cc != nil {
		msgs, cerr := cc.wait(ctx)
		err = errors.Join(err, cerr)
		for _, m := range msgs {
			v.errs.add(m)
			v.badRows++
			v.records--
		}
	}
	if err != nil {
		return err
	}
	if v.records+v.badRows == 0 && v.errs.count == 0 {
		v.FileError("the file has no usage records: fill in the template's rows below the header")
	}
	return nil
}

func (v *Validator) scanRows(ctx context.Context, rows Rows, cc *claimChecker, sink func(Record) error) error {
	for {
		cells, row, err := rows.Next()
		var fe *FormatError
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case errors.As(err, &fe):
			v.FileError(fe.Msg)
			return nil
		case err != nil:
			return err
		}
		if blank(cells) {
			continue
		}
		if v.records+v.badRows >= MaxRows {
			v.FileError(fmt.Sprintf("the file has more than %d rows; split it into several files", MaxRows))
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
