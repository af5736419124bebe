package smb2

import (
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

// MatchPattern reports whether name matches the QUERY_DIRECTORY search
// pattern, case-insensitively, with the wildcard rules of MS-FSA 2.1.4.4:
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
func MatchPattern(pattern, name string) bool {
	if name == "" {
		return pattern == ""
	}
	if pattern == "" || pattern == "*" || pattern == "*.*" {
		return true
	}
	if !strings.ContainsAny(pattern, `*?<>"`) {
		return strings.EqualFold(pattern, name)
	}
	p := []rune(pattern)
	n := []rune(name)
	lastDot := -1
	for i, r := range n {
		if r == '.' {
			lastDot = i
		}
	}
	// match[j] reports whether p[i:] matches n[j:], computed from the end
	// of the pattern backwards: O(len(p)*len(n)) time, O(len(n)) space.
	next := make([]bool, len(n)+1)
	cur := make([]bool, len(n)+1)
	next[len(n)] = true // empty pattern matches empty name
	for i := len(p) - 1; i >= 0; i-- {
		c := p[i]
		for j := len(n); j >= 0; j-- {
			atEnd := j == len(n)
			var m bool
			switch c {
			case '*':
				m = next[j] || (!atEnd && cur[j+1])
			case '?':
				m = !atEnd && next[j+1]
			case dosStar:
				// May consume n[j] unless it is the last '.'.
				m = next[j] || (!atEnd && j != lastDot && cur[j+1])
			case dosQM:
				if atEnd || n[j] == '.' {
					m = next[j]
				} else {
					m = next[j+1]
				}
			case dosDot:
				if atEnd {
					m = next[j]
				} else {
					m = n[j] == '.' && next[j+1]
				}
			default:
				m = !atEnd && foldEqual(c, n[j]) && next[j+1]
			}
			cur[j] = m
		}
		next, cur = cur, next
	}
	return next[0]
}

// foldEqual compares two runes under simple Unicode case folding.
func foldEqual(a, b rune) bool {
	if a == b {
		return true
	}
	return unicode.ToUpper(a) == unicode.ToUpper(b) || unicode.ToLower(a) == unicode.ToLower(b)
}
