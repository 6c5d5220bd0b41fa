package usage

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// idMemory is how many record id hashes the duplicate check keeps in
// memory (16 MiB); past it, they go to a temporary file in sorted runs,
// so that memory does not grow with the file.
const idMemory = 1 << 20

// idChunk is how many hashes one chunk of an idSet holds (1 MiB).
const idChunk = 1 << 16

// idRecord is the size of a hash and its row in a run on disk.
const idRecord = 12

type idEntry struct {
	hash uint64
	row  int32
}

// idSet collects the hashes of a file's record ids to find the duplicates
// at the end: 16 bytes a row, in chunks that never move once allocated,
// then each chunk sorted and all of them merged, which is cheaper than a
// map in time and memory. Past limit hashes, the chunks are merged into a
// sorted run in a temporary file and reused; the runs are merged with the
// last chunks at the end. A million rows stay in memory; ten million cost
// 16 MiB of memory and 120 MB of disk.
type idSet struct {
	dir    string // for the temporary file; "" is the system's
	limit  int    // hashes kept in memory; idMemory unless a test sets it
	chunks [][]idEntry
	n      int // hashes in chunks
	file   *os.File
	runs   []int64 // hashes in each run, one after the other in file
}

func newIDSet(dir string) idSet { return idSet{dir: dir, limit: idMemory} }

func (s *idSet) add(h uint64, row int) error {
	if s.n == s.limit {
		if err := s.spill(); err != nil {
			return err
		}
	}
	size := min(idChunk, s.limit)
	i := s.n / size
	if i == len(s.chunks) {
		s.chunks = append(s.chunks, make([]idEntry, 0, size))
	}
	s.chunks[i] = append(s.chunks[i], idEntry{h, int32(row)})
	s.n++
	return nil
}

// spill writes the chunks as one sorted run and empties them.
func (s *idSet) spill() error {
	if s.file == nil {
		f, err := os.CreateTemp(s.dir, "usage-ids-*")
		if err != nil {
			return fmt.Errorf("usage: duplicate check temp file: %w", err)
		}
		s.file = f
	}
	w := bufio.NewWriterSize(s.file, 64<<10)
	var rec [idRecord]byte
	err := mergeIDs(s.sortedChunks(), func(e idEntry) error {
		binary.LittleEndian.PutUint64(rec[:], e.hash)
		binary.LittleEndian.PutUint32(rec[8:], uint32(e.row))
		_, err := w.Write(rec[:])
		return err
	})
	if err = errors.Join(err, w.Flush()); err != nil {
		return fmt.Errorf("usage: duplicate check run: %w", err)
	}
	s.runs = append(s.runs, int64(s.n))
	for i := range s.chunks {
		s.chunks[i] = s.chunks[i][:0]
	}
	s.n = 0
	return nil
}

// sortedChunks sorts each chunk and returns a cursor on each.
func (s *idSet) sortedChunks() []*idCursor {
	var out []*idCursor
	var tmp []idEntry
	var count []int32
	for _, c := range s.chunks {
		if len(c) > 0 {
			tmp, count = radixSort(c, tmp, count)
			out = append(out, &idCursor{buf: c})
		}
	}
	return out
}

// radixSort sorts a chunk by hash, and by row for equal hashes: an LSD
// radix sort, stable, and rows were added in order. The hashes are
// uniform, which suits it; it is several times faster here than a
// comparison sort. tmp and count are scratch space, returned for the next chunk.
func radixSort(c, tmp []idEntry, count []int32) ([]idEntry, []int32) {
	if cap(tmp) < len(c) {
		tmp = make([]idEntry, len(c))
	}
	if count == nil {
		count = make([]int32, 1<<16)
	}
	tmp = tmp[:len(c)]
	src, dst := c, tmp
	for shift := 0; shift < 64; shift += 16 {
		clear(count)
		for _, e := range src {
			count[e.hash>>shift&0xFFFF]++
		}
		var sum int32
		for i, n := range count {
			count[i] = sum
			sum += n
		}
		for _, e := range src {
			d := e.hash >> shift & 0xFFFF
			dst[count[d]] = e
			count[d]++
		}
		src, dst = dst, src
	}
	// Four passes: the sorted entries are back in c.
	return tmp, count
}

// duplicate is a row whose record id an earlier row has.
type duplicate struct{ row, first int }

// duplicates returns the first limit rows, by row, whose id an earlier
// row has, each with the first row that has it, and how many such rows
// there are in all. It removes the temporary file; the set is empty after
// it.
func (s *idSet) duplicates(limit int) ([]duplicate, int, error) {
	defer s.close()
	cursors := s.sortedChunks()
	var off int64
	for _, n := range s.runs {
		c, err := newRunCursor(s.file, off, n)
		if err != nil {
			return nil, 0, fmt.Errorf("usage: duplicate check: %w", err)
		}
		cursors = append(cursors, c)
		off += n * idRecord
	}
	var out []duplicate
	total, first := 0, -1
	var prev uint64
	err := mergeIDs(cursors, func(e idEntry) error {
		if first < 0 || e.hash != prev {
			first, prev = int(e.row), e.hash
			return nil
		}
		total++
		if limit > 0 {
			out = append(out, duplicate{int(e.row), first})
			if len(out) == 2*limit {
				out = lowestRows(out, limit)
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("usage: duplicate check: %w", err)
	}
	return lowestRows(out, limit), total, nil
}

// lowestRows returns the limit duplicates of the lowest rows, sorted: the
// duplicates are kept at most twice that many at a time, so that they
// stay few whatever the file.
func lowestRows(dups []duplicate, limit int) []duplicate {
	slices.SortFunc(dups, func(a, b duplicate) int { return cmp.Compare(a.row, b.row) })
	return dups[:min(len(dups), limit)]
}

// close removes the temporary file and forgets the hashes.
func (s *idSet) close() {
	if s.file != nil {
		_ = s.file.Close()
		_ = os.Remove(s.file.Name())
	}
	*s = idSet{dir: s.dir, limit: s.limit}
}

// idCursor is a sorted source of hashes: a chunk, or a run on disk read
// a buffer at a time.
type idCursor struct {
	buf    []idEntry
	refill func() ([]idEntry, error) // nil for a chunk
}

// advance drops the head; ok is false once the cursor is exhausted.
func (c *idCursor) advance() (bool, error) {
	c.buf = c.buf[1:]
	if len(c.buf) > 0 {
		return true, nil
	}
	if c.refill == nil {
		return false, nil
	}
	var err error
	c.buf, err = c.refill()
	return len(c.buf) > 0, err
}

// newRunCursor reads the n hashes at off in f.
func newRunCursor(f *os.File, off, n int64) (*idCursor, error) {
	r := bufio.NewReaderSize(io.NewSectionReader(f, off, n*idRecord), 32<<10)
	buf := make([]idEntry, 0, 2048)
	c := &idCursor{}
	c.refill = func() ([]idEntry, error) {
		buf = buf[:0]
		var rec [idRecord]byte
		for len(buf) < cap(buf) {
			if _, err := io.ReadFull(r, rec[:]); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return nil, err
			}
			buf = append(buf, idEntry{binary.LittleEndian.Uint64(rec[:]), int32(binary.LittleEndian.Uint32(rec[8:]))})
		}
		return buf, nil
	}
	var err error
	c.buf, err = c.refill()
	return c, err
}

// mergeIDs calls emit with every hash of the cursors in order: a k-way
// merge through a binary heap of the cursors by their heads.
func mergeIDs(cursors []*idCursor, emit func(idEntry) error) error {
	h := idHeap(slices.DeleteFunc(cursors, func(c *idCursor) bool { return len(c.buf) == 0 }))
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
	for len(h) > 0 {
		if err := emit(h[0].buf[0]); err != nil {
			return err
		}
		ok, err := h[0].advance()
		if err != nil {
			return err
		}
		if !ok {
			h[0] = h[len(h)-1]
			h = h[:len(h)-1]
		}
		h.down(0)
	}
	return nil
}

type idHeap []*idCursor

func (h idHeap) less(i, j int) bool {
	a, b := h[i].buf[0], h[j].buf[0]
	return a.hash < b.hash || a.hash == b.hash && a.row < b.row
}

func (h idHeap) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		if r := l + 1; r < len(h) && h.less(r, l) {
			l = r
		}
		if !h.less(l, i) {
			return
		}
		h[i], h[l] = h[l], h[i]
		i = l
	}
}
