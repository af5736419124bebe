package server

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"
)

// eventLog aggregates frequent events (refused connections, failed
// logons) into at most one log line per interval: the first event after a
// quiet interval is logged at once, later ones are counted and logged
// together when the interval ends. A flood costs a map update per event,
// not a log line.
type eventLog struct {
	log   *slog.Logger
	msg   string
	every time.Duration

	mu       sync.Mutex
	counts   map[string]uint64 // by reason
	subjects map[string]uint64 // by address or user, at most maxSubjects
	others   uint64            // events whose subject did not fit
	last     time.Time         // when the last line was logged
	timer    *time.Timer
	stopped  bool
}

// maxSubjects bounds the distinct subjects one line names.
const maxSubjects = 8

func newEventLog(log *slog.Logger, msg string, every time.Duration) *eventLog {
	return &eventLog{log: log, msg: msg, every: every, counts: map[string]uint64{}, subjects: map[string]uint64{}}
}

// note records one event with its reason and subject.
func (e *eventLog) note(reason, subject string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.counts[reason]++
	if _, ok := e.subjects[subject]; ok || len(e.subjects) < maxSubjects {
		e.subjects[subject]++
	} else {
		e.others++
	}
	if e.timer != nil || e.stopped {
		return
	}
	now := time.Now()
	if wait := e.every - now.Sub(e.last); wait > 0 {
		e.timer = time.AfterFunc(wait, e.flushTimer)
		return
	}
	e.emitLocked(now)
}

func (e *eventLog) flushTimer() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.timer = nil
	if len(e.counts) > 0 {
		e.emitLocked(time.Now())
	}
}

// flush logs what is counted and stops the timer (at shutdown).
func (e *eventLog) flush() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.timer != nil {
		e.timer.Stop()
		e.timer = nil
	}
	e.stopped = true
	if len(e.counts) > 0 {
		e.emitLocked(time.Now())
	}
}

func (e *eventLog) emitLocked(now time.Time) {
	var total uint64
	attrs := make([]any, 0, 2*len(e.counts)+8)
	for _, k := range slices.Sorted(maps.Keys(e.counts)) {
		attrs = append(attrs, k, e.counts[k])
		total += e.counts[k]
	}
	subj := make([]string, 0, len(e.subjects))
	for _, k := range slices.Sorted(maps.Keys(e.subjects)) {
		subj = append(subj, k)
	}
	attrs = append(attrs, "total", total, "from", subj)
	if e.others > 0 {
		attrs = append(attrs, "from_others", e.others)
	}
	if !e.last.IsZero() {
		attrs = append(attrs, "since", now.Sub(e.last).Round(time.Millisecond))
	}
	e.log.Warn(e.msg, attrs...)
	clear(e.counts)
	clear(e.subjects)
	e.others = 0
	e.last = now
}

// preauthHandler is the log handler of a connection that has not logged
// on: its warnings (malformed frames, protocol violations: one per junk
// connection) are counted as "bad_input" in the aggregated connection
// log and passed on at debug level, so a flood of junk connections costs
// one warning per interval. Errors (a recovered panic) pass unchanged.
type preauthHandler struct {
	slog.Handler
	events *eventLog
	addr   string
}

func (h preauthHandler) Enabled(ctx context.Context, l slog.Level) bool {
	if l >= slog.LevelWarn && l < slog.LevelError {
		return true // counted even when debug is off
	}
	return h.Handler.Enabled(ctx, l)
}

func (h preauthHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn && r.Level < slog.LevelError {
		h.events.note("bad_input", h.addr)
		if !h.Handler.Enabled(ctx, slog.LevelDebug) {
			return nil
		}
		r.Level = slog.LevelDebug
	}
	return h.Handler.Handle(ctx, r)
}

func (h preauthHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return preauthHandler{h.Handler.WithAttrs(a), h.events, h.addr}
}

func (h preauthHandler) WithGroup(name string) slog.Handler {
	return preauthHandler{h.Handler.WithGroup(name), h.events, h.addr}
}
