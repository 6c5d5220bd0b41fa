package sheet

import (
	"encoding/binary"
	"math/bits"
)

// fastCell reads the cell at the scanner's position in one go, without
// tokens, when it has one of the shapes spreadsheet writers use:
//
//	<c r="B2" t="s"><v>3</v></c>
//	<c r="B2" s="1"><v>1.5</v></c>
//	<c r="B2" t="inlineStr"><is><t>text</t></is></c>
//	<c r="B2" s="1"/>
//
// Any other shape (a formula, rich text, a CDATA section, an attribute
// other than r, t and s, a cell cut by the buffer's end) reports false
// with nothing read, and the token path reads it. Tokens cost several
// times as much, and a sheet is mostly cells: this is one loop, with no
// call in the common case.
func (x *sheetRows) fastCell() (bool, error) {
	sc := x.sc
	if sc.w-sc.r < scanAhead && !sc.eof {
		sc.fill()
	}
	b := sc.buf[sc.r:sc.w]
	if len(b) < 3 || b[0] != '<' || b[1] != 'c' || b[2] != ' ' {
		return false, nil
	}
	col, typ, i := x.lastCol+1, cellOther, 3
	for {
		for i < len(b) && b[i] == ' ' {
			i++
		}
		if i+3 >= len(b) {
			return false, nil
		}
		name := b[i]
		if name == '>' || name == '/' {
			break
		}
		if b[i+1] != '=' || b[i+2] != '"' {
			return false, nil
		}
		j := i + 3
		var k int
		switch name {
		case 'r':
			if col, k = fastColumn(b, j); k < 0 {
				return false, nil
			}
		case 't':
			typ, k = fastType(b, j)
		case 's':
			k = j
			for k < len(b) && b[k] != '"' {
				k++
			}
		default:
			return false, nil
		}
		if k >= len(b) {
			return false, nil
		}
		i = k + 1
	}
	if col >= maxSheetCols {
		return false, nil
	}
	if b[i] == '/' {
		if b[i+1] != '>' {
			return false, nil
		}
		x.lastCol = col
		sc.r += i + 2
		return true, nil
	}
	i++ // '>'
	i, k, end, special := fastValue(b, i, typ == cellInline)
	if k < 0 {
		return false, nil
	}
	start := len(x.buf)
	x.buf = append(x.buf, b[i:k]...)
	if special {
		x.decode(start, typ == cellInline)
	}
	if len(x.buf) > maxRowBytes {
		return false, errRowSize(x.row)
	}
	x.lastCol = col
	sc.r += k + end
	if typ == cellShared {
		return true, x.sharedCell(cellState{col: col, typ: typ, vStart: start, vEnd: len(x.buf)})
	}
	x.refs = append(x.refs, cellRef{col: int32(col), start: int32(start), end: int32(len(x.buf)), shared: -1})
	return true, nil
}

// The tags around a cell's value, as little-endian words: comparing a
// word costs less than comparing the strings.
const (
	tagV     = '<' | 'v'<<8 | '>'<<16                                                   // <v>
	tagVEnd  = '<' | '/'<<8 | 'v'<<16 | '>'<<24 | '<'<<32 | '/'<<40 | 'c'<<48 | '>'<<56 // </v></c>
	tagIS    = '<' | 'i'<<8 | 's'<<16 | '>'<<24 | '<'<<32 | 't'<<40 | '>'<<48           // <is><t>
	tagISEnd = '<' | '/'<<8 | 't'<<16 | '>'<<24 | '<'<<32 | '/'<<40 | 'i'<<48 | 's'<<56 // </t></is
	tagCEnd  = '>' | '<'<<8 | '/'<<16 | 'c'<<24 | '>'<<32                               // ></c>
)

// fastValue finds the value of a cell whose content starts at b[i]: <v>
// or, for an inline string, <is><t>. It returns where the value starts
// and ends (k is -1 for another shape), the length of the tags that end
// the cell, and whether the value may need decoding.
func fastValue(b []byte, i int, inline bool) (start, k, end int, special bool) {
	if len(b)-i < 16 {
		return 0, -1, 0, false
	}
	w := binary.LittleEndian.Uint64(b[i:])
	switch {
	case inline && w&(1<<56-1) == tagIS:
		i += 7
	case !inline && w&(1<<24-1) == tagV:
		i += 3
	default:
		return 0, -1, 0, false
	}
	k, special = scanValue(b, i)
	if len(b)-k < 16 {
		return 0, -1, 0, false
	}
	w = binary.LittleEndian.Uint64(b[k:])
	switch {
	case !inline && w == tagVEnd:
		return i, k, 8, special
	case inline && w == tagISEnd && binary.LittleEndian.Uint64(b[k+8:])&(1<<40-1) == tagCEnd:
		return i, k, 13, special
	}
	return 0, -1, 0, false
}

// scanValue finds the '<' that ends a value starting at b[i], eight bytes
// at a time, and whether the value may hold an entity, a CR or an Excel
// escape (_x000D_), which need decoding. special may be a false alarm,
// which only costs a decoding that changes nothing.
func scanValue(b []byte, i int) (int, bool) {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	has := func(w uint64, c byte) uint64 {
		v := w ^ (ones * uint64(c))
		return (v - ones) &^ v & highs
	}
	var sp uint64
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		s := has(w, '&') | has(w, '\r') | has(w, '_')
		if lt := has(w, '<'); lt != 0 {
			// The lowest match is exact; s only matters below it.
			n := bits.TrailingZeros64(lt)
			return i + n/8, sp|s&(1<<n-1) != 0
		}
		sp |= s
	}
	special := sp != 0
	for ; i < len(b) && b[i] != '<'; i++ {
		special = special || b[i] == '&' || b[i] == '\r' || b[i] == '_'
	}
	return i, special
}

// decode unescapes the value that starts at x.buf[start]; an inline
// string's Excel escapes (_x000D_) too.
func (x *sheetRows) decode(start int, inline bool) {
	x.buf = x.buf[:start+len(unescape(x.buf[start:]))]
	if inline {
		x.buf = x.buf[:start+len(unescapeBSTR(x.buf[start:]))]
	}
}

// fastColumn reads the column of a reference such as B12 at b[j], up to
// its closing quote, which it returns the index of (-1 for another
// shape: lower case, or too many letters).
func fastColumn(b []byte, j int) (col, k int) {
	k = j
	for k < len(b) && b[k]-'A' < 26 {
		col = col*26 + int(b[k]-'A'+1)
		k++
	}
	if k == j || k-j > 3 {
		return 0, -1
	}
	for k < len(b) && b[k]-'0' < 10 {
		k++
	}
	if k >= len(b) || b[k] != '"' {
		return 0, -1
	}
	return col - 1, k
}

// fastType reads a t attribute's value at b[j] and returns the index of
// its closing quote.
func fastType(b []byte, j int) (typ, k int) {
	const shared, inline = `s"`, `inlineStr"`
	switch {
	case len(b)-j >= len(shared) && string(b[j:j+len(shared)]) == shared:
		return cellShared, j + len(shared) - 1
	case len(b)-j >= len(inline) && string(b[j:j+len(inline)]) == inline:
		return cellInline, j + len(inline) - 1
	}
	k = j
	for k < len(b) && b[k] != '"' {
		k++
	}
	return cellTypeOf(b[j:min(k, len(b))]), k
}

// cellTypeOf reads a cell's t attribute.
func cellTypeOf(t []byte) int {
	switch string(t) {
	case "s":
		return cellShared
	case "inlineStr":
		return cellInline
	}
	return cellOther
}
