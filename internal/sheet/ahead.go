package sheet

import (
	"io"
	"sync"
)

// An XLSX file is read in three goroutines: one inflates the sheet
// (readAhead), one parses its XML into rows (aheadRows), and the caller
// validates them; a CSV file in two (aheadRows parses it). Each costs about as much as another, so on two cores
// the three overlap; on a Lambda share of one core (512 MB is about a
// third) they cost little more than one goroutine would: a channel
// operation per 256 rows and per 128 KiB.

// rowBatch is rows read ahead, their cells one after the other.
type rowBatch struct {
	cells  []string
	ends   []int // where each row's cells end in cells
	rows   []int // each row's number
	err    error // what ended the reading, after these rows
	errRow int
}

const (
	batchRows    = 256
	batchesAhead = 4
)

// aheadRows reads rows of src in a goroutine of its own, a few batches
// ahead of its caller.
type aheadRows struct {
	src  Rows
	full chan *rowBatch
	free chan *rowBatch
	done chan struct{}
	once sync.Once
	wg   sync.WaitGroup
	cur  *rowBatch
	i    int
	err  error // sticky, once returned
	row  int
}

func newAheadRows(src Rows) *aheadRows {
	a := &aheadRows{src: src, full: make(chan *rowBatch, batchesAhead), free: make(chan *rowBatch, batchesAhead), done: make(chan struct{})}
	for range batchesAhead {
		a.free <- &rowBatch{}
	}
	a.wg.Add(1)
	go a.run()
	return a
}

func (a *aheadRows) run() {
	defer a.wg.Done()
	defer close(a.full)
	for {
		var b *rowBatch
		select {
		case b = <-a.free:
		case <-a.done:
			return
		}
		last := a.fill(b)
		select {
		case a.full <- b:
		case <-a.done:
			return
		}
		if last {
			return
		}
	}
}

// fill reads a batch of rows into b; it reports whether the reading has
// ended.
func (a *aheadRows) fill(b *rowBatch) bool {
	clear(b.cells)
	b.cells, b.ends, b.rows, b.err = b.cells[:0], b.ends[:0], b.rows[:0], nil
	for len(b.rows) < batchRows {
		cells, row, err := a.src.Next()
		if err != nil {
			b.err, b.errRow = err, row
			return true
		}
		b.cells = append(b.cells, cells...)
		b.ends = append(b.ends, len(b.cells))
		b.rows = append(b.rows, row)
	}
	return false
}

func (a *aheadRows) Next() ([]string, int, error) {
	for {
		if a.err != nil {
			return nil, a.row, a.err
		}
		if b := a.cur; b != nil && a.i < len(b.rows) {
			from := 0
			if a.i > 0 {
				from = b.ends[a.i-1]
			}
			cells, row := b.cells[from:b.ends[a.i]], b.rows[a.i]
			a.i++
			return cells, row, nil
		}
		if b := a.cur; b != nil {
			if b.err != nil {
				a.err, a.row = b.err, b.errRow
				continue
			}
			a.free <- b
			a.cur = nil
		}
		b, ok := <-a.full
		if !ok {
			a.err = io.EOF
			continue
		}
		a.cur, a.i = b, 0
	}
}

// Close stops the goroutine, then closes the source.
func (a *aheadRows) Close() error {
	a.once.Do(func() { close(a.done) })
	a.wg.Wait()
	return a.src.Close()
}
