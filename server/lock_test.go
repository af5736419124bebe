package server

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/zerosmb/zerosmb/smb2"
)

func TestRangesOverlap(t *testing.T) {
	const max = math.MaxUint64
	tests := []struct {
		aOff, aLen, bOff, bLen uint64
		want                   bool
	}{
		{0, 10, 5, 10, true},
		{0, 10, 10, 10, false}, // adjacent
		{10, 10, 0, 10, false},
		{0, 10, 9, 1, true},
		{5, 0, 0, 10, true},    // zero length strictly inside
		{0, 10, 5, 0, true},    // symmetric
		{10, 0, 10, 10, false}, // zero length at the start of a range
		{10, 0, 0, 10, false},  // zero length just past the end
		{5, 0, 5, 0, false},    // two zero-length ranges never overlap
		{0, 0, 0, 10, false},   // {0,0} overlaps nothing
		{0, 10, 0, 0, false},
		{max, 1, max - 1, 2, true}, // ranges ending at 2^64
		{max - 1, 2, 0, 1, false},
		{100, 1, 0, max, true},
	}
	for _, tt := range tests {
		if got := rangesOverlap(tt.aOff, tt.aLen, tt.bOff, tt.bLen); got != tt.want {
			t.Errorf("rangesOverlap(%d,%d, %d,%d) = %v, want %v", tt.aOff, tt.aLen, tt.bOff, tt.bLen, got, tt.want)
		}
	}
}

func TestLockRangeValid(t *testing.T) {
	tests := []struct {
		off, n uint64
		want   bool
	}{
		{0, 0, true},
		{math.MaxUint64, 0, true},
		{math.MaxUint64, 1, true}, // ends exactly at 2^64
		{math.MaxUint64, 2, false},
		{1, math.MaxUint64, true}, // bytes 1 .. 2^64-1
		{2, math.MaxUint64, false},
		{0, math.MaxUint64, true},
	}
	for _, tt := range tests {
		if got := lockRangeValid(tt.off, tt.n); got != tt.want {
			t.Errorf("lockRangeValid(%d, %d) = %v, want %v", tt.off, tt.n, got, tt.want)
		}
	}
}

func TestLockConflict(t *testing.T) {
	a, b := &open{}, &open{}
	tests := []struct {
		name      string
		held      []byteLock
		owner     *open
		off, n    uint64
		exclusive bool
		want      bool
	}{
		{"empty table", nil, a, 0, 10, true, false},
		{"shared on shared other", []byteLock{{b, 0, 10, false, 0}}, a, 5, 10, false, false},
		{"exclusive on shared other", []byteLock{{b, 0, 10, false, 0}}, a, 5, 10, true, true},
		{"shared on exclusive other", []byteLock{{b, 0, 10, true, 0}}, a, 5, 10, false, true},
		{"shared on own exclusive stacks", []byteLock{{a, 0, 10, true, 0}}, a, 0, 10, false, false},
		{"exclusive on own exclusive", []byteLock{{a, 0, 10, true, 0}}, a, 0, 10, true, true},
		{"exclusive on own shared", []byteLock{{a, 0, 10, false, 0}}, a, 0, 10, true, true},
		{"no overlap", []byteLock{{b, 0, 10, true, 0}}, a, 10, 10, true, false},
		{"zero length inside exclusive", []byteLock{{b, 0, 10, true, 0}}, a, 5, 0, true, true},
		{"zero length at start", []byteLock{{b, 5, 10, true, 0}}, a, 5, 0, true, false},
		{"zero length on zero length", []byteLock{{b, 5, 0, true, 0}}, a, 5, 0, true, false},
		{"range over zero-length lock", []byteLock{{b, 5, 0, true, 0}}, a, 0, 10, true, true},
	}
	for _, tt := range tests {
		if got := lockConflict(tt.held, tt.owner, 0, tt.off, tt.n, tt.exclusive); got != tt.want {
			t.Errorf("%s: lockConflict = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestIOConflict(t *testing.T) {
	a, b := &open{}, &open{}
	tests := []struct {
		name   string
		held   []byteLock
		owner  *open
		off, n uint64
		write  bool
		want   bool
	}{
		{"read under other's exclusive", []byteLock{{b, 0, 10, true, 0}}, a, 5, 1, false, true},
		{"read under own exclusive", []byteLock{{a, 0, 10, true, 0}}, a, 5, 1, false, false},
		{"read under other's shared", []byteLock{{b, 0, 10, false, 0}}, a, 5, 1, false, false},
		{"write under other's shared", []byteLock{{b, 0, 10, false, 0}}, a, 5, 1, true, true},
		{"write under own shared", []byteLock{{a, 0, 10, false, 0}}, a, 5, 1, true, true},
		{"write under own exclusive", []byteLock{{a, 0, 10, true, 0}}, a, 5, 1, true, false},
		{"write beside other's exclusive", []byteLock{{b, 0, 10, true, 0}}, a, 10, 5, true, false},
		{"zero-length I/O never conflicts", []byteLock{{b, 0, 10, true, 0}}, a, 5, 0, true, false},
	}
	for _, tt := range tests {
		if got := ioConflict(tt.held, tt.owner, 0, tt.off, tt.n, tt.write); got != tt.want {
			t.Errorf("%s: ioConflict = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestCheckLockFlags(t *testing.T) {
	const (
		sh = smb2.LockFlagSharedLock
		ex = smb2.LockFlagExclusiveLock
		fi = smb2.LockFlagFailImmediately
		un = smb2.LockFlagUnlock
	)
	el := func(flags ...uint32) []smb2.LockElement {
		var out []smb2.LockElement
		for _, f := range flags {
			out = append(out, smb2.LockElement{Offset: 0, Length: 1, Flags: f})
		}
		return out
	}
	tests := []struct {
		name  string
		elems []smb2.LockElement
		want  smb2.Status
	}{
		{"single blocking shared", el(sh), smb2.StatusSuccess},
		{"single blocking exclusive", el(ex), smb2.StatusSuccess},
		{"multi fail-immediately", el(sh|fi, ex|fi), smb2.StatusSuccess},
		{"multi with blocking", el(sh|fi, ex), smb2.StatusInvalidParameter},
		{"shared and exclusive", el(sh | ex), smb2.StatusInvalidParameter},
		{"no mode", el(fi), smb2.StatusInvalidParameter},
		{"lock then unlock mixed", el(ex|fi, un), smb2.StatusInvalidParameter},
		{"range past 2^64", []smb2.LockElement{{Offset: math.MaxUint64, Length: 2, Flags: ex}}, smb2.StatusInvalidLockRange},
	}
	for _, tt := range tests {
		if got := checkLockFlags(tt.elems); got != tt.want {
			t.Errorf("%s: checkLockFlags = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestApplyLocksRollback(t *testing.T) {
	a, b := &open{}, &open{}
	held := []byteLock{{b, 100, 10, true, 0}}
	elems := []smb2.LockElement{
		{Offset: 0, Length: 10, Flags: smb2.LockFlagExclusiveLock | smb2.LockFlagFailImmediately},
		{Offset: 20, Length: 10, Flags: smb2.LockFlagSharedLock | smb2.LockFlagFailImmediately},
		{Offset: 105, Length: 1, Flags: smb2.LockFlagSharedLock | smb2.LockFlagFailImmediately},
	}
	got, idx, st := applyLocks(held, a, lockRanges(elems))
	if st != smb2.StatusLockNotGranted || idx != 2 {
		t.Fatalf("applyLocks = idx %d, %v; want idx 2, LOCK_NOT_GRANTED", idx, st)
	}
	if len(got) != 1 || got[0].owner != b {
		t.Fatalf("after rollback table = %+v, want only b's lock", got)
	}
	got, idx, st = applyLocks(got, a, lockRanges(elems[:2]))
	if st != smb2.StatusSuccess || idx != -1 || len(got) != 3 {
		t.Fatalf("applyLocks = %d locks, idx %d, %v; want 3 locks", len(got), idx, st)
	}
}

func TestApplyUnlocks(t *testing.T) {
	a, b := &open{}, &open{}
	un := smb2.LockFlagUnlock
	held := func() []byteLock {
		return []byteLock{{a, 0, 10, false, 0}, {a, 0, 10, true, 0}, {b, 20, 5, true, 0}, {a, 30, 0, true, 0}}
	}
	tests := []struct {
		name    string
		elems   []smb2.LockElement
		st      smb2.Status
		removed int
		left    int
	}{
		{"exact match releases exclusive first", []smb2.LockElement{le3(0, 10, un)}, smb2.StatusSuccess, 1, 3},
		{"both stacked locks", []smb2.LockElement{le3(0, 10, un), le3(0, 10, un)}, smb2.StatusSuccess, 2, 2},
		{"third unlock of a pair fails, earlier stay released", []smb2.LockElement{le3(0, 10, un), le3(0, 10, un), le3(0, 10, un)}, smb2.StatusRangeNotLocked, 2, 2},
		{"sub-range", []smb2.LockElement{le3(0, 5, un)}, smb2.StatusRangeNotLocked, 0, 4},
		{"other owner's lock", []smb2.LockElement{le3(20, 5, un)}, smb2.StatusRangeNotLocked, 0, 4},
		{"zero-length lock", []smb2.LockElement{le3(30, 0, un)}, smb2.StatusSuccess, 1, 3},
		{"unlock with lock flag", []smb2.LockElement{le3(0, 10, un|smb2.LockFlagSharedLock)}, smb2.StatusInvalidParameter, 0, 4},
		{"unlock then lock element", []smb2.LockElement{le3(0, 10, un), le3(0, 10, smb2.LockFlagExclusiveLock)}, smb2.StatusInvalidParameter, 1, 3},
		{"unlock with fail-immediately", []smb2.LockElement{le3(0, 10, un|smb2.LockFlagFailImmediately)}, smb2.StatusInvalidParameter, 0, 4},
	}
	for _, tt := range tests {
		got, removed, st := unlockElems(held(), a, tt.elems)
		if st != tt.st || removed != tt.removed || len(got) != tt.left {
			t.Errorf("%s: status %v removed %d left %d; want %v %d %d", tt.name, st, removed, len(got), tt.st, tt.removed, tt.left)
		}
	}
	got, _, _ := unlockElems(held(), a, []smb2.LockElement{le3(0, 10, un)})
	for _, l := range got {
		if l.owner == a && l.off == 0 && l.exclusive {
			t.Errorf("exclusive lock still held after one unlock: %+v", got)
		}
	}
}

// unlockElems applies an SMB2 unlock request as the LOCK handler does:
// the elements before the first with wrong flags are released in order.
func unlockElems(locks []byteLock, o *open, elems []smb2.LockElement) ([]byteLock, int, smb2.Status) {
	rs, bad := unlockRanges(elems)
	locks, removed, st := applyUnlocks(locks, o, rs)
	if st == smb2.StatusSuccess {
		st = bad
	}
	return locks, removed, st
}

func le3(off, n uint64, flags uint32) smb2.LockElement {
	return smb2.LockElement{Offset: off, Length: n, Flags: flags}
}

func lockBody(id smb2.FileID, elems ...smb2.LockElement) []byte {
	le := binary.LittleEndian
	b := le.AppendUint16(nil, 48)
	b = le.AppendUint16(b, uint16(len(elems)))
	b = le.AppendUint32(b, 0)
	b = le.AppendUint64(b, id.Persistent)
	b = le.AppendUint64(b, id.Volatile)
	for _, e := range elems {
		b = le.AppendUint64(b, e.Offset)
		b = le.AppendUint64(b, e.Length)
		b = le.AppendUint32(b, e.Flags)
		b = le.AppendUint32(b, 0)
	}
	return b
}

const (
	exclLock = smb2.LockFlagExclusiveLock
	exclFI   = smb2.LockFlagExclusiveLock | smb2.LockFlagFailImmediately
	shFI     = smb2.LockFlagSharedLock | smb2.LockFlagFailImmediately
	unlock   = smb2.LockFlagUnlock
)

// lock runs a LOCK request and returns the synchronous response.
func (u *unitConn) lock(o *open, elems ...smb2.LockElement) response {
	return u.c.handleLock(u.req(smb2.Lock, lockBody(o.id, elems...)))
}

func TestLockHandlerSync(t *testing.T) {
	u := newUnitConn(t)
	rw := fileReadData | fileWriteData
	a, b := u.open(t, "f", rw), u.open(t, "f", rw)
	steps := []struct {
		name  string
		o     *open
		elems []smb2.LockElement
		want  smb2.Status
	}{
		{"a locks 0-10", a, []smb2.LockElement{le3(0, 10, exclFI)}, smb2.StatusSuccess},
		{"b conflicts", b, []smb2.LockElement{le3(5, 1, shFI)}, smb2.StatusLockNotGranted},
		{"b multi rolls back", b, []smb2.LockElement{le3(20, 5, exclFI), le3(9, 1, exclFI)}, smb2.StatusLockNotGranted},
		{"b 20-25 free again", b, []smb2.LockElement{le3(20, 5, exclFI)}, smb2.StatusSuccess},
		{"mixed lock then unlock", a, []smb2.LockElement{le3(40, 1, exclFI), le3(0, 10, unlock)}, smb2.StatusInvalidParameter},
		{"bad range", a, []smb2.LockElement{le3(1<<63, 1<<63+1, exclFI)}, smb2.StatusInvalidLockRange},
		{"b unlocks a's range", b, []smb2.LockElement{le3(0, 10, unlock)}, smb2.StatusRangeNotLocked},
		{"a unlocks", a, []smb2.LockElement{le3(0, 10, unlock)}, smb2.StatusSuccess},
		{"b now gets it", b, []smb2.LockElement{le3(5, 1, shFI)}, smb2.StatusSuccess},
	}
	for _, s := range steps {
		if got := u.lock(s.o, s.elems...); got.status != s.want || got.pending != nil {
			t.Errorf("%s: status %v (pending %v), want %v", s.name, got.status, got.pending != nil, s.want)
		}
	}
	// READ/WRITE see the locks: b holds shared 5-6 and exclusive 20-25.
	for _, tt := range []struct {
		o     *open
		off   uint64
		write bool
		want  smb2.Status
	}{
		{a, 20, false, smb2.StatusFileLockConflict},
		{a, 5, true, smb2.StatusFileLockConflict},
		{a, 5, false, smb2.StatusEndOfFile}, // empty file, no conflict
		{b, 20, false, smb2.StatusEndOfFile},
	} {
		var st smb2.Status
		if tt.write {
			_, st = u.c.checkWrite(tt.o, 0, &smb2.WriteRequest{Offset: tt.off, Length: 1})
		} else {
			_, st = u.c.checkRead(tt.o, 0, &smb2.ReadRequest{Offset: tt.off, Length: 1}, u.c.maxIO)
		}
		if st != tt.want {
			t.Errorf("io at %d write=%v: %v, want %v", tt.off, tt.write, st, tt.want)
		}
	}
}

func TestLockHandlerBlocking(t *testing.T) {
	u := newUnitConn(t)
	rw := fileReadData | fileWriteData
	a, b := u.open(t, "f", rw), u.open(t, "f", rw)
	if r := u.lock(a, le3(0, 10, exclFI)); r.status != smb2.StatusSuccess {
		t.Fatal(r.status)
	}

	// Granted when a unlocks.
	r := u.lock(b, le3(5, 5, exclLock))
	if r.pending == nil {
		t.Fatalf("blocking lock did not pend: %v", r.status)
	}
	r.pending.interimSent()
	u.expectNoFrame(t)
	if r := u.lock(a, le3(0, 10, unlock)); r.status != smb2.StatusSuccess {
		t.Fatal(r.status)
	}
	if st := u.finalStatus(t); st != smb2.StatusSuccess {
		t.Fatalf("pending lock completed with %v, want success", st)
	}
	if r := u.lock(a, le3(6, 1, shFI)); r.status != smb2.StatusLockNotGranted {
		t.Fatalf("granted blocking lock not held: %v", r.status)
	}

	// Cancelled.
	r = u.lock(a, le3(5, 5, exclLock))
	if r.pending == nil {
		t.Fatal("second blocking lock did not pend")
	}
	r.pending.interimSent()
	r.pending.cancelOp()
	if st := u.finalStatus(t); st != smb2.StatusCancelled {
		t.Fatalf("cancelled lock completed with %v", st)
	}

	// Waiter's handle closed.
	r = u.lock(a, le3(5, 5, exclLock))
	r.pending.interimSent()
	u.c.removeOpen(a)
	u.c.closeOpen(a)
	if st := u.finalStatus(t); st != smb2.StatusRangeNotLocked {
		t.Fatalf("lock pending on a closed handle completed with %v", st)
	}
	// Closing b releases its lock; a later lock by a new open succeeds.
	u.c.removeOpen(b)
	u.c.closeOpen(b)
	c := u.open(t, "f", rw)
	if r := u.lock(c, le3(0, 100, exclFI)); r.status != smb2.StatusSuccess {
		t.Fatalf("lock after all closes: %v", r.status)
	}
}
