package smb2

import (
	"math/bits"
	"strings"
	"unicode"
)

// Wildcard characters of MS-FSA 2.1.4.4. The DOS variants are what
// Windows clients send after translating "*." and "?" patterns.
const (
	dosStar = '<' // DOS_STAR
	dosQM   = '>' // DOS_QM
	dosDot  = '"' // DOS_DOT
)

// MaxPatternLength is the longest QUERY_DIRECTORY search pattern, in
// UTF-16 code units, that Windows accepts: a pattern must be a valid
// file name component (MS-FSA 2.1.5.6.3, MS-FSCC 2.1.5), at most 255
// characters. Longer ones are STATUS_OBJECT_NAME_INVALID.
const MaxPatternLength = 255

// MatchPattern reports whether name matches the QUERY_DIRECTORY search
// pattern; it is CompilePattern(pattern).Match(name). Compile once to
// match many names.
func MatchPattern(pattern, name string) bool {
	return CompilePattern(pattern).Match(name)
}

// Pattern is a compiled search pattern. Matching is case-insensitive,
// with the wildcard rules of MS-FSA 2.1.4.4:
//
//   - zero or more characters
//     ?  exactly one character
//     <  (DOS_STAR) zero or more characters, but not past the name's last '.'
//     >  (DOS_QM) one character, or nothing at a '.' or the end of the name
//     "  (DOS_DOT) a '.', or nothing at the end of the name
//
// An empty pattern (which QUERY_DIRECTORY treats as "*"), "*" and "*.*"
// match every non-empty name; an empty name matches only the empty
// pattern.
//
// Match runs the pattern as a bit-parallel automaton (one state per
// pattern character, a word of states per 64 characters): each name
// character costs a fixed number of word operations per 64 pattern
// characters, whatever the wildcards, so a match costs
// O(len(name) × ⌈len(pattern)/64⌉) with no backtracking. For patterns
// within MaxPatternLength that is at most four words per name character.
type Pattern struct {
	all     bool   // matches every non-empty name
	literal string // no wildcards: a case-insensitive comparison
	isLit   bool
	empty   bool // the empty pattern: matches everything, and ""

	m, w  int               // tokens, words per state set
	final int               // accepting state (= m)
	ascii *[128][]uint64    // consuming transitions by folded ASCII character
	other map[rune][]uint64 // … and by folded non-ASCII character
	any   []uint64          // '?': consumes any character
	qm    []uint64          // '>': consumes any character but '.'
	dot   []uint64          // '"': consumes '.'
	star  []uint64          // '*': loops on any character
	dstar []uint64          // '<': loops on any character but the last '.'
	eps   [3]closureMasks   // epsilon moves by lookahead: other, '.', end
	zero  []uint64          // all-zero mask
}

// closureMasks describe the runs of states joined by epsilon moves: I
// has the first state of each run, F the state after its last move, A
// every state of the run.
type closureMasks struct{ i, f, a []uint64 }

// Lookahead classes for epsilon moves.
const (
	laOther = iota
	laDot
	laEnd
)

// CompilePattern compiles a search pattern (see Pattern).
func CompilePattern(pattern string) *Pattern {
	switch {
	case pattern == "":
		return &Pattern{all: true, empty: true}
	case pattern == "*" || pattern == "*.*":
		return &Pattern{all: true}
	case !strings.ContainsAny(pattern, `*?<>"`):
		return &Pattern{isLit: true, literal: pattern}
	}
	var toks []rune
	for _, r := range pattern {
		if r == '*' && len(toks) > 0 && toks[len(toks)-1] == '*' {
			continue // "**" is "*"
		}
		toks = append(toks, r)
	}
	p := &Pattern{m: len(toks), final: len(toks), w: (len(toks) + 1 + 63) / 64, ascii: new([128][]uint64)}
	mask := func() []uint64 { return make([]uint64, p.w) }
	p.any, p.qm, p.dot, p.star, p.dstar, p.zero = mask(), mask(), mask(), mask(), mask(), mask()
	var epsBits [3][]uint64
	for k := range epsBits {
		epsBits[k] = mask()
	}
	set := func(m []uint64, i int) { m[i/64] |= 1 << (i % 64) }
	for i, r := range toks {
		switch r {
		case '*':
			set(p.star, i)
			set(epsBits[laOther], i)
			set(epsBits[laDot], i)
			set(epsBits[laEnd], i)
		case '?':
			set(p.any, i)
		case dosStar:
			set(p.dstar, i)
			set(epsBits[laOther], i)
			set(epsBits[laDot], i)
			set(epsBits[laEnd], i)
		case dosQM:
			set(p.qm, i)
			set(epsBits[laDot], i)
			set(epsBits[laEnd], i)
		case dosDot:
			set(p.dot, i)
			set(epsBits[laEnd], i)
		default:
			k := foldKey(r)
			var m []uint64
			if k < 128 {
				if p.ascii[k] == nil {
					p.ascii[k] = mask()
				}
				m = p.ascii[k]
			} else {
				if p.other == nil {
					p.other = make(map[rune][]uint64)
				}
				if p.other[k] == nil {
					p.other[k] = mask()
				}
				m = p.other[k]
			}
			set(m, i)
		}
	}
	for k := range epsBits {
		p.eps[k] = p.runs(epsBits[k])
	}
	return p
}

// runs turns the set of states with an epsilon move to the next state
// into closureMasks.
func (p *Pattern) runs(e []uint64) closureMasks {
	c := closureMasks{i: make([]uint64, p.w), f: make([]uint64, p.w), a: make([]uint64, p.w)}
	has := func(i int) bool { return e[i/64]&(1<<(i%64)) != 0 }
	set := func(m []uint64, i int) { m[i/64] |= 1 << (i % 64) }
	for i := 0; i < p.m; {
		if !has(i) {
			i++
			continue
		}
		j := i
		for j < p.m && has(j) {
			set(c.a, j)
			j++
		}
		set(c.i, i)
		set(c.f, j)
		set(c.a, j)
		i = j
	}
	return c
}

// foldKey maps r to the smallest rune of its simple case-folding orbit,
// so two runes that are equal under case folding share a key.
func foldKey(r rune) rune {
	if r < 128 {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}
	k := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		k = min(k, f)
	}
	return k
}

// Match reports whether name matches the pattern.
func (p *Pattern) Match(name string) bool {
	switch {
	case name == "":
		return p.empty
	case p.all:
		return true
	case p.isLit:
		return strings.EqualFold(p.literal, name)
	}
	var buf [8]uint64
	var s, t []uint64
	if p.w <= 4 {
		s, t = buf[:p.w], buf[4:4+p.w]
	} else {
		s, t = make([]uint64, p.w), make([]uint64, p.w)
	}
	s[0] = 1
	lastDot := strings.LastIndexByte(name, '.')
	for i, r := range name {
		la := laOther
		if r == '.' {
			la = laDot
		}
		p.close(s, t, la)
		lit := p.zero
		if k := foldKey(r); k < 128 {
			if m := p.ascii[k]; m != nil {
				lit = m
			}
		} else if m := p.other[k]; m != nil {
			lit = m
		}
		cons := p.qm
		if r == '.' {
			cons = p.dot
		}
		dstar := p.dstar
		if i == lastDot {
			dstar = p.zero
		}
		var carry uint64
		alive := uint64(0)
		for k := range s {
			adv := s[k] & (lit[k] | p.any[k] | cons[k])
			n := adv<<1 | carry | s[k]&(p.star[k]|dstar[k])
			carry = adv >> 63
			s[k] = n
			alive |= n
		}
		if alive == 0 {
			return false
		}
	}
	p.close(s, t, laEnd)
	return s[p.final/64]&(1<<(p.final%64)) != 0
}

// close adds to s the states reachable by epsilon moves under lookahead
// la. Within a run of epsilon moves the lowest active state activates
// every later state of the run: with Df = s|F, the new states are
// A & (^(Df - I) ^ Df), the borrow of the subtraction stopping at the
// run's F bit. t is scratch space of the same length.
func (p *Pattern) close(s, t []uint64, la int) {
	c := &p.eps[la]
	var borrow uint64
	for k := range s {
		df := s[k] | c.f[k]
		var d uint64
		d, borrow = bits.Sub64(df, c.i[k], borrow)
		t[k] = c.a[k] & (^d ^ df)
	}
	for k := range s {
		s[k] |= t[k]
	}
}
