package sheet

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"unicode/utf8"
)

// The parts of a workbook are read with a small scanner of our own rather
// than encoding/xml, whose Token allocates for every element: a worksheet
// of a hundred thousand rows has millions of them. It knows only what
// SpreadsheetML uses: elements, attributes, text, entities, CDATA,
// comments and processing instructions. A document type declaration is
// refused (OOXML parts have none, and their entities are a bomb).

type tokenKind uint8

const (
	tokStart tokenKind = iota + 1
	tokEnd
	tokText
)

// span is a range of the scanner's buffer. Tokens and attributes are
// spans rather than slices: they hold no pointer, so that writing them
// costs no GC write barrier, which slices did, millions of times a sheet.
type span struct{ from, to int }

type attrSpan struct{ name, value span }

// maxToken bounds one tag, and the part of a text that must be seen whole
// (an entity), so that a malformed part cannot make the buffer grow
// without end.
const maxToken = 1 << 20

// scanBuf is a readerSource's buffer, which grows for a longer tag;
// scanAhead is how much input the scanner keeps ahead before it reads a
// tag, so that a tag is seldom cut by the buffer's end.
const (
	scanBuf   = 64 << 10
	scanAhead = 1 << 10
)

var errNotXML = errors.New("not well-formed XML")

// xmlScanner splits XML into tokens. The current token is in its fields,
// valid until the next call of next: its kind; for a start or end tag, its
// local name (a prefix such as x: is dropped) and, for a start tag, its
// attributes and whether it is empty (<c r="A1"/>, which has no end
// token); for text, the raw text (entities not decoded, and a long text in
// several tokens) and whether it is a CDATA section's (which has none).
type xmlScanner struct {
	src   source
	buf   []byte
	r, w  int // unread bytes are buf[r:w]
	eof   bool
	err   error // a read error other than io.EOF
	kind  tokenKind
	name  span
	text  span
	empty bool
	cdata bool
	attrs []attrSpan
}

// source is what a scanner reads.
type source interface {
	// more returns more input after tail, the bytes the scanner has not
	// read yet, which it puts before it; len(b) > len(tail) when there is
	// more. The scanner's buffer is b until the next call.
	more(tail []byte) (b []byte, err error)
}

func newXMLScanner(src source) *xmlScanner { return &xmlScanner{src: src} }

func (s *xmlScanner) bytes(sp span) []byte { return s.buf[sp.from:sp.to] }

// attr returns the value of the current start tag's attribute name.
func (s *xmlScanner) attr(name string) ([]byte, bool) {
	for _, a := range s.attrs {
		if string(s.bytes(a.name)) == name {
			return s.bytes(a.value), true
		}
	}
	return nil, false
}

// fill reads more input, keeping the unread bytes. It reports whether
// any byte was added.
func (s *xmlScanner) fill() bool {
	if s.eof || s.err != nil {
		return false
	}
	tail := s.buf[s.r:s.w]
	if len(tail) >= maxToken {
		s.err = errors.New("an XML token is longer than 1 MB")
		return false
	}
	b, err := s.src.more(tail)
	if errors.Is(err, io.EOF) {
		s.eof = true
	} else if err != nil {
		s.err = err
	}
	if len(b) <= len(tail) {
		return false
	}
	s.buf, s.r, s.w = b, 0, len(b)
	return true
}

// readerSource reads an io.Reader through a buffer of its own, which
// grows for a long token.
type readerSource struct {
	r   io.Reader
	buf []byte
}

func newReaderSource(r io.Reader) *readerSource {
	return &readerSource{r: r, buf: make([]byte, scanBuf)}
}

func (rs *readerSource) more(tail []byte) ([]byte, error) {
	n := copy(rs.buf, tail) // tail is in buf, or empty
	if n == len(rs.buf) {
		rs.buf = append(rs.buf, make([]byte, len(rs.buf))...)
	}
	for range 100 {
		k, err := rs.r.Read(rs.buf[n:])
		if k > 0 || err != nil {
			return rs.buf[:n+k], err
		}
	}
	return rs.buf[:n], io.ErrNoProgress
}

// failure is the error that ends the input early: a read error, or
// errNotXML when the part ends inside a token.
func (s *xmlScanner) failure() error {
	if s.err != nil {
		return s.err
	}
	return errNotXML
}

// next reads the next token, or returns io.EOF at the end of the input.
func (s *xmlScanner) next() (tokenKind, error) {
	for {
		if s.w-s.r < scanAhead && !s.eof {
			s.fill()
		}
		if s.r == s.w {
			if s.err != nil {
				return 0, s.err
			}
			return 0, io.EOF
		}
		if s.buf[s.r] != '<' {
			s.readText()
			return tokText, nil
		}
		if s.r+1 < s.w && s.buf[s.r+1] == '/' {
			return tokEnd, s.endTag()
		}
		kind, err := s.markup()
		if kind != 0 || err != nil {
			return kind, err
		}
	}
}

// readText reads the text up to the next '<' or the end of the buffer.
func (s *xmlScanner) readText() {
	for {
		rest := s.buf[s.r:s.w]
		n := bytes.IndexByte(rest, '<')
		if n < 0 {
			n = s.cut(rest)
			if n == 0 && s.fill() {
				continue
			}
			if n == 0 {
				n = len(rest)
			}
		}
		s.kind, s.text, s.cdata = tokText, span{s.r, s.r + n}, false
		s.r += n
		return
	}
}

// cut is how much of a text that the buffer's end cuts can be returned
// now: an entity or a CR LF cut in two is left for the next token, so
// that each text token can be unescaped on its own.
func (s *xmlScanner) cut(rest []byte) int {
	if s.eof {
		return len(rest)
	}
	if amp := bytes.LastIndexByte(rest, '&'); amp >= 0 && len(rest)-amp < 16 && bytes.IndexByte(rest[amp:], ';') < 0 {
		return amp
	}
	if rest[len(rest)-1] == '\r' {
		return len(rest) - 1
	}
	return len(rest)
}

// need makes at least n unread bytes available, or fails.
func (s *xmlScanner) need(n int) bool {
	for s.w-s.r < n {
		if !s.fill() {
			return false
		}
	}
	return true
}

// markup reads what starts at '<' other than an end tag. It returns no
// kind and no error for what is skipped: comments and processing
// instructions.
func (s *xmlScanner) markup() (tokenKind, error) {
	if !s.need(2) {
		return 0, s.failure()
	}
	switch s.buf[s.r+1] {
	case '?':
		return 0, s.skipPast("?>")
	case '!':
		return s.bang()
	}
	return tokStart, s.startTag()
}

// skipPast drops everything up to and including end.
func (s *xmlScanner) skipPast(end string) error {
	from := s.r + 2
	for {
		if i := bytes.Index(s.buf[from:s.w], []byte(end)); i >= 0 {
			s.r = from + i + len(end)
			return nil
		}
		// Keep the bytes that may start end; the rest is dropped now, so
		// that a long comment needs no buffer.
		s.r = max(s.w-len(end)+1, from)
		if !s.fill() {
			return s.failure()
		}
		from = 0
	}
}

func (s *xmlScanner) bang() (tokenKind, error) {
	s.need(len("<![CDATA["))
	rest := s.buf[s.r:s.w]
	switch {
	case bytes.HasPrefix(rest, []byte("<!--")):
		return 0, s.skipPast("-->")
	case bytes.HasPrefix(rest, []byte("<![CDATA[")):
		return tokText, s.readCDATA()
	case len(rest) < len("<![CDATA["):
		return 0, s.failure()
	}
	return 0, errors.New("a document type declaration or other markup XLSX parts do not have")
}

// readCDATA reads the content of a CDATA section as one text token.
func (s *xmlScanner) readCDATA() error {
	from := s.r + len("<![CDATA[")
	for {
		if i := bytes.Index(s.buf[from:s.w], []byte("]]>")); i >= 0 {
			s.kind, s.text, s.cdata = tokText, span{from, from + i}, true
			s.r = from + i + 3
			return nil
		}
		off := from - s.r
		if !s.fill() {
			return s.failure()
		}
		from = s.r + off
	}
}

func (s *xmlScanner) endTag() error {
	for {
		b := s.buf[s.r:s.w]
		// Names are short: a loop beats IndexByte's set-up.
		i, colon := 2, 1
		for i < len(b) && b[i] != '>' {
			if b[i] == ':' {
				colon = i
			}
			i++
		}
		if i < len(b) {
			end := i
			for end > colon+1 && isSpace(b[end-1]) {
				end--
			}
			s.kind, s.name = tokEnd, span{s.r + colon + 1, s.r + end}
			s.r += i + 1
			return nil
		}
		if !s.fill() {
			return s.failure()
		}
	}
}

// startTag reads a start tag and its attributes. A '>' may appear inside
// an attribute's value, so the tag's end is found by walking them.
func (s *xmlScanner) startTag() error {
	for {
		complete, err := s.parseStart()
		if err != nil || complete {
			return err
		}
		if !s.fill() {
			return s.failure()
		}
	}
}

// parseStart parses the start tag at s.r if the buffer holds all of it.
func (s *xmlScanner) parseStart() (bool, error) {
	b := s.buf[s.r:s.w]
	i, colon := 1, 0
	for i < len(b) && !isNameEnd(b[i]) {
		if b[i] == ':' {
			colon = i
		}
		i++
	}
	if i == 1 && i < len(b) {
		return false, errNotXML
	}
	name := span{s.r + colon + 1, s.r + i}
	s.attrs = s.attrs[:0]
	for {
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i >= len(b) {
			return false, nil
		}
		switch b[i] {
		case '>':
			s.kind, s.name, s.empty = tokStart, name, false
			s.r += i + 1
			return true, nil
		case '/':
			if i+1 >= len(b) {
				return false, nil
			}
			if b[i+1] != '>' {
				return false, errNotXML
			}
			s.kind, s.name, s.empty = tokStart, name, true
			s.r += i + 2
			return true, nil
		}
		n, ok, err := s.parseAttr(b[i:], s.r+i)
		if err != nil || !ok {
			return false, err
		}
		i += n
	}
}

// parseAttr parses name="value" at the start of b, which is at off in the
// buffer, and adds it to the tag's attributes. ok is false when b ends
// before the attribute does.
func (s *xmlScanner) parseAttr(b []byte, off int) (int, bool, error) {
	i, colon := 0, -1
	for i < len(b) && b[i] != '=' && !isSpace(b[i]) {
		switch b[i] {
		case '<', '>', '/', '"', '\'':
			return 0, false, errNotXML
		case ':':
			colon = i
		}
		i++
	}
	name := span{off + colon + 1, off + i}
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	if i >= len(b) {
		return 0, false, nil
	}
	if b[i] != '=' || name.to == name.from {
		return 0, false, errNotXML
	}
	i++
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	if i >= len(b) {
		return 0, false, nil
	}
	q := b[i]
	if q != '"' && q != '\'' {
		return 0, false, errNotXML
	}
	i++
	start := i
	for i < len(b) && b[i] != q {
		if b[i] == '<' {
			return 0, false, errNotXML
		}
		i++
	}
	if i >= len(b) {
		return 0, false, nil
	}
	s.attrs = append(s.attrs, attrSpan{name: name, value: span{off + start, off + i}})
	return i + 1, true, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func isNameEnd(c byte) bool { return isSpace(c) || c == '>' || c == '/' }

// unescape decodes the entities and character references of text in
// place, normalises line ends as XML does, and returns the shortened
// text. An unknown entity is kept as it is.
func unescape(b []byte) []byte {
	if bytes.IndexByte(b, '&') < 0 && bytes.IndexByte(b, '\r') < 0 {
		return b
	}
	w := 0
	for r := 0; r < len(b); {
		c := b[r]
		switch {
		case c == '\r':
			b[w] = '\n'
			w++
			r++
			if r < len(b) && b[r] == '\n' {
				r++
			}
			continue
		case c != '&':
			b[w] = c
			w++
			r++
			continue
		}
		n, rest, ok := entity(b[r:])
		if !ok {
			b[w] = c
			w++
			r++
			continue
		}
		r += rest
		w += utf8.EncodeRune(b[w:], n)
	}
	return b[:w]
}

// entity decodes the entity at the start of b ("&amp;", "&#233;",
// "&#xE9;") and returns its rune and length. An encoded rune is never
// longer than its reference, which unescape relies on.
func entity(b []byte) (rune, int, bool) {
	end := bytes.IndexByte(b, ';')
	if end < 2 || end > 12 {
		return 0, 0, false
	}
	name := string(b[1:end])
	switch name {
	case "amp":
		return '&', end + 1, true
	case "lt":
		return '<', end + 1, true
	case "gt":
		return '>', end + 1, true
	case "quot":
		return '"', end + 1, true
	case "apos":
		return '\'', end + 1, true
	}
	if name[0] != '#' || len(name) < 2 {
		return 0, 0, false
	}
	base, digits := 10, name[1:]
	if digits[0] == 'x' {
		base, digits = 16, digits[1:]
	}
	if digits == "" {
		return 0, 0, false
	}
	var v rune
	for i := 0; i < len(digits); i++ {
		d := hexDigit(digits[i])
		if d < 0 || d >= base {
			return 0, 0, false
		}
		v = v*rune(base) + rune(d)
		if v > utf8.MaxRune {
			return 0, 0, false
		}
	}
	if !utf8.ValidRune(v) || v == 0 {
		return 0, 0, false
	}
	return v, end + 1, true
}

func hexDigit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// unescapeBSTR decodes Excel's escapes of characters XML cannot hold
// (_x000D_ is a carriage return, _x005F_ an underscore), in place, as
// Excel and excelize read them. An escape of a surrogate is dropped.
func unescapeBSTR(b []byte) []byte {
	if bytes.IndexByte(b, '_') < 0 {
		return b
	}
	w := 0
	for r := 0; r < len(b); {
		if v, ok := bstrEscape(b[r:]); ok {
			if v >= 0 {
				w += utf8.EncodeRune(b[w:], v)
			}
			r += 7
			continue
		}
		b[w] = b[r]
		w++
		r++
	}
	return b[:w]
}

// bstrEscape reads _xHHHH_ at the start of b; the rune is -1 for an
// escape that is no character (a surrogate). Seven bytes always hold the
// rune's UTF-8 encoding.
func bstrEscape(b []byte) (rune, bool) {
	if len(b) < 7 || b[0] != '_' || b[1] != 'x' || b[6] != '_' {
		return 0, false
	}
	var v rune
	for _, c := range b[2:6] {
		d := hexDigit(c)
		if d < 0 {
			return 0, false
		}
		v = v<<4 | rune(d)
	}
	if v >= 0xD800 && v <= 0xDFFF {
		return -1, true
	}
	return v, true
}

// readAhead reads its source in a goroutine of its own, a few blocks
// ahead of its reader: inflating a worksheet costs about as much as
// parsing it, and on two cores the two overlap. The scanner reads the
// blocks where they are; each has room before its data for the bytes of
// a token the previous block's end cut.
type readAhead struct {
	full chan []byte
	free chan []byte
	done chan struct{}
	wg   sync.WaitGroup
	once sync.Once
	held []byte // the block the scanner reads
	err  error  // set before full is closed
}

const (
	aheadBlocks = 4
	aheadBlock  = 128 << 10
	aheadRoom   = 4 << 10
)

func newReadAhead(src io.Reader) *readAhead {
	a := &readAhead{full: make(chan []byte, aheadBlocks), free: make(chan []byte, aheadBlocks), done: make(chan struct{})}
	for range aheadBlocks {
		a.free <- make([]byte, aheadRoom+aheadBlock)
	}
	a.wg.Add(1)
	go a.run(src)
	return a
}

func (a *readAhead) run(src io.Reader) {
	defer a.wg.Done()
	defer close(a.full)
	for {
		var b []byte
		select {
		case b = <-a.free:
		case <-a.done:
			return
		}
		n, err := io.ReadFull(src, b[aheadRoom:cap(b)])
		if n > 0 {
			select {
			case a.full <- b[:aheadRoom+n]:
			case <-a.done:
				return
			}
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = io.EOF
		}
		if err != nil {
			a.err = err
			return
		}
	}
}

// more hands the next block to the scanner, tail copied into its room,
// and takes back the block the scanner read. A tail longer than the room
// (a tag of kilobytes) goes with the block into a new buffer.
func (a *readAhead) more(tail []byte) ([]byte, error) {
	b, ok := <-a.full
	if !ok {
		return nil, a.err
	}
	var out []byte
	if len(tail) <= aheadRoom {
		start := aheadRoom - len(tail)
		copy(b[start:], tail)
		out = b[start:]
	} else {
		out = append(append(make([]byte, 0, len(tail)+len(b)-aheadRoom), tail...), b[aheadRoom:]...)
	}
	if a.held != nil {
		a.free <- a.held[:cap(a.held)]
	}
	a.held = b
	return out, nil
}

// Close stops the goroutine and waits for it, so that the source can be
// closed after it.
func (a *readAhead) Close() {
	a.once.Do(func() { close(a.done) })
	a.wg.Wait()
}
