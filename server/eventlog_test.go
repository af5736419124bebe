package server

import (
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestEventLog: the first event is logged at once, a flood within the
// interval becomes one line with counts by reason and at most maxSubjects
// subjects, and flush logs what is left.
func TestEventLog(t *testing.T) {
	lb := &logSink{}
	e := newEventLog(slog.New(slog.NewTextHandler(lb, nil)), "refused", 200*time.Millisecond)
	e.note("full", "10.0.0.1")
	if n := strings.Count(lb.String(), "msg=refused"); n != 1 {
		t.Fatalf("first event: %d lines, want 1:\n%s", n, lb)
	}
	for i := range 1000 {
		e.note([]string{"full", "per_addr"}[i%2], "10.0.1."+strconv.Itoa(i%20))
	}
	if n := strings.Count(lb.String(), "msg=refused"); n != 1 {
		t.Fatalf("1000 events within the interval logged %d more lines at once", n-1)
	}
	time.Sleep(400 * time.Millisecond)
	l := lb.String()
	if n := strings.Count(l, "msg=refused"); n != 2 {
		t.Fatalf("after the interval: %d lines, want 2:\n%s", n, l)
	}
	last := l[strings.LastIndex(l, "msg=refused"):]
	for _, want := range []string{"full=500", "per_addr=500", "total=1000", "from_others=", "since="} {
		if !strings.Contains(last, want) {
			t.Errorf("aggregated line lacks %q: %s", want, last)
		}
	}
	if n := strings.Count(last, "10.0.1."); n > maxSubjects {
		t.Errorf("aggregated line names %d subjects, want <= %d", n, maxSubjects)
	}
	e.note("full", "x")
	e.flush()
	if n := strings.Count(lb.String(), "msg=refused"); n != 3 {
		t.Errorf("flush: %d lines, want 3", n)
	}
	e.note("full", "y") // after flush (shutdown): counted, never logged
	time.Sleep(250 * time.Millisecond)
	if n := strings.Count(lb.String(), "msg=refused"); n != 3 {
		t.Errorf("an event after flush was logged")
	}
}
