package smb2

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// matchRef is the brute-force reference for Pattern.Match: a direct
// recursive reading of the MS-FSA 2.1.4.4 rules over runes, exponential
// in the worst case, for short inputs only.
func matchRef(pattern, name string) bool {
	if name == "" {
		return pattern == ""
	}
	if pattern == "" || pattern == "*.*" { // "*.*" matches names without a dot too
		return true
	}
	p, n := []rune(pattern), []rune(name)
	lastDot := -1
	for i, r := range n {
		if r == '.' {
			lastDot = i
		}
	}
	var rec func(pi, j int) bool
	rec = func(pi, j int) bool {
		if pi == len(p) {
			return j == len(n)
		}
		atEnd := j == len(n)
		switch c := p[pi]; c {
		case '*':
			for k := j; k <= len(n); k++ {
				if rec(pi+1, k) {
					return true
				}
			}
			return false
		case '?':
			return !atEnd && rec(pi+1, j+1)
		case dosStar:
			for k := j; k <= len(n); k++ {
				if k > j && k-1 == lastDot {
					return false // may not consume the last '.'
				}
				if rec(pi+1, k) {
					return true
				}
			}
			return false
		case dosQM:
			if atEnd || n[j] == '.' {
				return rec(pi+1, j)
			}
			return rec(pi+1, j+1)
		case dosDot:
			if atEnd {
				return rec(pi+1, j)
			}
			return n[j] == '.' && rec(pi+1, j+1)
		default:
			return !atEnd && foldKey(c) == foldKey(n[j]) && rec(pi+1, j+1)
		}
	}
	return rec(0, 0)
}

// randomWord draws a string over a small alphabet heavy in wildcards,
// dots and case pairs, so that random patterns often match.
func randomWord(r *rand.Rand, alphabet []rune, maxLen int) string {
	n := r.IntN(maxLen + 1)
	var b strings.Builder
	for range n {
		b.WriteRune(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

// TestPatternMatchesReference compares the automaton with the brute-force
// reference on random patterns and names.
func TestPatternMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	pat := []rune(`ab.*?<>"AÄä`)
	nam := []rune(`abAB.äÄ`)
	for range 200000 {
		p, n := randomWord(r, pat, 8), randomWord(r, nam, 7)
		if got, want := MatchPattern(p, n), matchRef(p, n); got != want {
			t.Fatalf("MatchPattern(%q, %q) = %v, reference %v", p, n, got, want)
		}
	}
	// Patterns longer than one word of states.
	for range 2000 {
		p := strings.Repeat("*a", 40) + randomWord(r, pat, 10)
		n := strings.Repeat("a", 30+r.IntN(60)) + randomWord(r, nam, 6)
		if got, want := MatchPattern(p, n), matchDP(p, n); got != want {
			t.Fatalf("MatchPattern(%q, %q) = %v, DP %v", p, n, got, want)
		}
	}
}

// matchDP is the previous O(len(pattern)×len(name)) dynamic program, a
// second reference that stays polynomial for long inputs.
func matchDP(pattern, name string) bool {
	if name == "" {
		return pattern == ""
	}
	if pattern == "" {
		return true
	}
	p, n := []rune(pattern), []rune(name)
	lastDot := strings.LastIndex(name, ".")
	if lastDot >= 0 {
		lastDot = len([]rune(name[:lastDot]))
	}
	next := make([]bool, len(n)+1)
	cur := make([]bool, len(n)+1)
	next[len(n)] = true
	for i := len(p) - 1; i >= 0; i-- {
		for j := len(n); j >= 0; j-- {
			atEnd := j == len(n)
			var m bool
			switch c := p[i]; c {
			case '*':
				m = next[j] || (!atEnd && cur[j+1])
			case '?':
				m = !atEnd && next[j+1]
			case dosStar:
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
				m = !atEnd && foldKey(c) == foldKey(n[j]) && next[j+1]
			}
			cur[j] = m
		}
		next, cur = cur, next
	}
	return next[0]
}

// TestPatternLongIsFast: the probe's attack, a 16,000-character pattern
// over 1000 long names, took 21.5 s with the old dynamic program; the
// automaton does a few hundred word operations per name character.
func TestPatternLongIsFast(t *testing.T) {
	p := CompilePattern(strings.Repeat("*a?", 5333) + "b")
	name := strings.Repeat("a", 250)
	n := 1000
	if testing.Short() {
		n = 100
	}
	start := cpuTime()
	for range n {
		if p.Match(name) {
			t.Fatal("matched")
		}
	}
	if d := cpuTime() - start; d > time.Duration(n)*3*time.Millisecond*raceSlowdown {
		t.Errorf("%d matches of a 16,000-character pattern took %v of CPU", n, d)
	}
	// The cost is per word of states: a pattern within MaxPatternLength
	// needs at most four.
	if w := CompilePattern(strings.Repeat("?", MaxPatternLength)).w; w > 4 {
		t.Errorf("a %d-character pattern uses %d words of states", MaxPatternLength, w)
	}
}

func BenchmarkPatternMatch(b *testing.B) {
	p := CompilePattern(`*a*b?c<.t>t`)
	for b.Loop() {
		p.Match("some-rather-long-file-name-abxc.txt")
	}
}
