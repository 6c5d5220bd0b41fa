package sheet

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// sstMemory is how many bytes of shared strings (text and 4 bytes of
// offset each) a workbook may keep in memory; a larger table is moved to
// temporary files and read through a small cache. A workbook that Excel
// saved with a million rows, each with its own record id, needs about
// 17 MB: most stay in memory.
const sstMemory = 16 << 20

// maxSharedStrings bounds the text of a workbook's shared strings, which
// a larger table keeps on disk (Lambda's /tmp is 512 MB by default).
const maxSharedStrings = 256 << 20

// maxCell bounds the text of one cell or shared string (Excel's limit is
// 32,767 characters).
const maxCell = 1 << 20

// sharedStrings is a workbook's table of shared strings. In memory it is
// one string and the end offset of each entry, so that a cell's value is
// a substring that costs no allocation; past sstMemory it is two
// temporary files, texts and offsets, read through a page cache.
type sharedStrings struct {
	dir   string
	limit int // sstMemory but in tests
	text  strings.Builder
	ends  []uint32
	all   string // text, once the table is read
	spill *sstSpill
}

// sstSpill is the on-disk form of the table.
type sstSpill struct {
	text, offs   *os.File
	textW, offsW *bufio.Writer
	size         int64 // bytes of text
	count        int
	textC, offsC *pageCache
}

func (t *sharedStrings) add(s []byte) error {
	if t.spill == nil && t.text.Len()+len(s)+4*(len(t.ends)+1) > t.limit {
		if err := t.moveToDisk(); err != nil {
			return err
		}
	}
	if t.spill != nil {
		return t.spill.add(s)
	}
	t.text.Write(s)
	t.ends = append(t.ends, uint32(t.text.Len()))
	return nil
}

func (t *sharedStrings) moveToDisk() error {
	sp := &sstSpill{}
	t.spill = sp
	var err error
	if sp.text, err = os.CreateTemp(t.dir, "sheet-sst-text-*"); err != nil {
		return fmt.Errorf("sheet: shared strings temp file: %w", err)
	}
	if sp.offs, err = os.CreateTemp(t.dir, "sheet-sst-offsets-*"); err != nil {
		return fmt.Errorf("sheet: shared strings temp file: %w", err)
	}
	sp.textW, sp.offsW = bufio.NewWriterSize(sp.text, 64<<10), bufio.NewWriterSize(sp.offs, 64<<10)
	if _, err := sp.textW.WriteString(t.text.String()); err != nil {
		return fmt.Errorf("sheet: write shared strings: %w", err)
	}
	for _, end := range t.ends {
		if err := sp.addEnd(int64(end)); err != nil {
			return err
		}
	}
	t.text, t.ends = strings.Builder{}, nil
	return nil
}

func (sp *sstSpill) add(s []byte) error {
	if sp.size+int64(len(s)) > maxSharedStrings {
		return formatErrorf("the workbook's shared strings are larger than %d MB; send the usage as CSV", maxSharedStrings>>20)
	}
	if _, err := sp.textW.Write(s); err != nil {
		return fmt.Errorf("sheet: write shared strings: %w", err)
	}
	return sp.addEnd(sp.size + int64(len(s)))
}

func (sp *sstSpill) addEnd(end int64) error {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(end))
	if _, err := sp.offsW.Write(b[:]); err != nil {
		return fmt.Errorf("sheet: write shared strings: %w", err)
	}
	sp.size = end
	sp.count++
	return nil
}

// done ends the table's reading.
func (t *sharedStrings) done() error {
	if t.spill == nil {
		t.all = t.text.String()
		return nil
	}
	sp := t.spill
	if err := errors.Join(sp.textW.Flush(), sp.offsW.Flush()); err != nil {
		return fmt.Errorf("sheet: write shared strings: %w", err)
	}
	sp.textC, sp.offsC = newPageCache(sp.text), newPageCache(sp.offs)
	return nil
}

func (t *sharedStrings) count() int {
	if t.spill != nil {
		return t.spill.count
	}
	return len(t.ends)
}

// get returns entry i of a table in memory; ok is false when the table
// is on disk, where appendTo reads it.
func (t *sharedStrings) get(i int) (string, bool) {
	if t.spill != nil {
		return "", false
	}
	start := uint32(0)
	if i > 0 {
		start = t.ends[i-1]
	}
	return t.all[start:t.ends[i]], true
}

// appendTo appends entry i of a table on disk to dst.
func (t *sharedStrings) appendTo(dst []byte, i int) ([]byte, error) {
	sp := t.spill
	var buf [16]byte
	off, n := int64(i-1)*8, 16
	if i == 0 {
		off, n = 0, 8
	}
	b, err := sp.offsC.appendAt(buf[:0], off, n)
	if err != nil {
		return dst, err
	}
	start, end := uint64(0), binary.LittleEndian.Uint64(b[len(b)-8:])
	if i > 0 {
		start = binary.LittleEndian.Uint64(b)
	}
	return sp.textC.appendAt(dst, int64(start), int(end-start))
}

// Close removes the temporary files.
func (t *sharedStrings) Close() error {
	sp := t.spill
	if sp == nil {
		return nil
	}
	var errs []error
	for _, f := range []*os.File{sp.text, sp.offs} {
		if f != nil {
			errs = append(errs, f.Close(), os.Remove(f.Name()))
		}
	}
	return errors.Join(errs...)
}

// pageCache reads a file through a few cached pages, replaced first in
// first out: the cells of a sheet mostly name shared strings in the order
// the table lists them, and the few that recur (item.mpn, asset.id) cost a
// read now and then when their page is replaced.
type pageCache struct {
	f     io.ReaderAt
	slot  map[int64]int // page → index in pages
	pages []cachedPage
	hand  int
}

type cachedPage struct {
	n    int64
	data []byte
}

const (
	cachePage  = 32 << 10
	cachePages = 64
)

func newPageCache(f io.ReaderAt) *pageCache {
	return &pageCache{f: f, slot: make(map[int64]int, cachePages)}
}

// appendAt appends the n bytes at off to dst.
func (c *pageCache) appendAt(dst []byte, off int64, n int) ([]byte, error) {
	for n > 0 {
		p, err := c.page(off / cachePage)
		if err != nil {
			return dst, err
		}
		in := int(off % cachePage)
		if in >= len(p) {
			return dst, errors.New("sheet: shared strings file is shorter than its offsets")
		}
		k := min(n, len(p)-in)
		dst = append(dst, p[in:in+k]...)
		off, n = off+int64(k), n-k
	}
	return dst, nil
}

func (c *pageCache) page(n int64) ([]byte, error) {
	if i, ok := c.slot[n]; ok {
		return c.pages[i].data, nil
	}
	var pg *cachedPage
	if len(c.pages) < cachePages {
		c.pages = append(c.pages, cachedPage{data: make([]byte, cachePage)})
		pg = &c.pages[len(c.pages)-1]
		c.slot[n] = len(c.pages) - 1
	} else {
		pg = &c.pages[c.hand]
		delete(c.slot, pg.n)
		c.slot[n] = c.hand
		c.hand = (c.hand + 1) % cachePages
	}
	pg.n, pg.data = n, pg.data[:cachePage]
	k, err := c.f.ReadAt(pg.data, n*cachePage)
	if err != nil && !errors.Is(err, io.EOF) {
		delete(c.slot, n)
		pg.n = -1
		return nil, fmt.Errorf("sheet: read shared strings: %w", err)
	}
	pg.data = pg.data[:k]
	return pg.data, nil
}

// readSharedStrings reads the shared strings part: the text of each <si>,
// its rich text runs (<r><t>) joined and its phonetic runs (<rPh>) left
// out, as Excel shows it.
func readSharedStrings(src source, dir string, limit int) (*sharedStrings, error) {
	t := &sharedStrings{dir: dir, limit: limit}
	if err := t.read(newXMLScanner(src)); err != nil {
		_ = t.Close()
		return nil, err
	}
	if err := t.done(); err != nil {
		_ = t.Close()
		return nil, err
	}
	return t, nil
}

func (t *sharedStrings) read(sc *xmlScanner) error {
	var cur []byte
	var inSI, inT, inPh bool
	for {
		kind, err := sc.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return formatErrorf("the workbook's shared strings cannot be read: %v", err)
		}
		switch kind {
		case tokText:
			if inT {
				if cur = appendText(cur, sc); len(cur) > maxCell {
					return errCellSize
				}
			}
		case tokStart:
			switch string(sc.bytes(sc.name)) {
			case "si":
				inSI, cur = !sc.empty, cur[:0]
				if sc.empty {
					if err := t.add(nil); err != nil {
						return err
					}
				}
			case "t":
				inT = inSI && !inPh && !sc.empty
			case "rPh":
				inPh = !sc.empty
			}
		case tokEnd:
			switch string(sc.bytes(sc.name)) {
			case "t":
				inT = false
			case "rPh":
				inPh = false
			case "si":
				if err := t.add(unescapeBSTR(cur)); err != nil {
					return err
				}
				inSI = false
			}
		}
	}
}

// appendText appends the scanner's text token to dst, its entities
// decoded.
func appendText(dst []byte, sc *xmlScanner) []byte {
	start := len(dst)
	dst = append(dst, sc.bytes(sc.text)...)
	if sc.cdata {
		return dst
	}
	return dst[:start+len(unescape(dst[start:]))]
}

var errCellSize = formatErrorf("a cell of the workbook holds more than %d MB of text", maxCell>>20)
