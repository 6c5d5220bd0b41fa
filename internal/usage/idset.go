package usage

import (
	"cmp"
	"slices"
)

// idChunk is how many record id hashes one chunk of an idSet holds (1 MiB).
const idChunk = 1 << 16

type idEntry struct {
	hash uint64
	row  int32
}

// idSet collects the hashes of a file's record ids to find the duplicates
// at the end: 16 bytes a row, in chunks that never move once allocated,
// then each chunk sorted and all of them merged. Cheaper than a map, in
// time and memory, for the million-row files it is made for.
type idSet struct {
	chunks [][]idEntry
}

func (s *idSet) add(h uint64, row int) {
	n := len(s.chunks)
	if n == 0 || len(s.chunks[n-1]) == idChunk {
		s.chunks = append(s.chunks, make([]idEntry, 0, idChunk))
		n++
	}
	s.chunks[n-1] = append(s.chunks[n-1], idEntry{h, int32(row)})
}

// duplicate is a row whose record id an earlier row has.
type duplicate struct{ row, first int }

// duplicates returns, ordered by row, every row whose id an earlier row
// has, with the first row that has it.
func (s *idSet) duplicates() []duplicate {
	heads := make([][]idEntry, 0, len(s.chunks))
	for _, c := range s.chunks {
		slices.SortFunc(c, func(a, b idEntry) int { return cmp.Compare(a.hash, b.hash) })
		if len(c) > 0 {
			heads = append(heads, c)
		}
	}
	var out []duplicate
	var group []int32
	flush := func() {
		if len(group) > 1 {
			first := slices.Min(group)
			for _, r := range group {
				if r != first {
					out = append(out, duplicate{int(r), int(first)})
				}
			}
		}
		group = group[:0]
	}
	var last uint64
	for len(heads) > 0 {
		// The chunks are few (16 for a million rows): a linear pick of
		// the smallest head beats a heap's indirect calls.
		m := 0
		for i := 1; i < len(heads); i++ {
			if heads[i][0].hash < heads[m][0].hash {
				m = i
			}
		}
		e := heads[m][0]
		if heads[m] = heads[m][1:]; len(heads[m]) == 0 {
			heads = slices.Delete(heads, m, m+1)
		}
		if len(group) > 0 && e.hash != last {
			flush()
		}
		group, last = append(group, e.row), e.hash
	}
	flush()
	slices.SortFunc(out, func(a, b duplicate) int { return cmp.Compare(a.row, b.row) })
	return out
}
