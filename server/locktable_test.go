package server

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/zerosmb/zerosmb/smb2"
)

// lockTableFixture is a node with two opens, a and b, in a state store.
func lockTableFixture() (*nodeTable, *open, *open) {
	t := &nodeTable{}
	t.init()
	n := t.acquire(&Share{Name: "s"}, "f")
	a, b := &open{node: n}, &open{node: n}
	n.opens = []*open{a, b}
	return t, a, b
}

func excl(off, n uint64) []lockRange { return []lockRange{{off: off, len: n, exclusive: true}} }

// A queued request ends exactly once: granted through its wake, or
// cancelled, never both, whichever comes first.
func TestLockTableGrantOrCancelOnce(t *testing.T) {
	for i := range 200 {
		st, a, b := lockTableFixture()
		if _, s := st.lock(&lockRequest{o: a, ranges: excl(0, 10)}); s != smb2.StatusSuccess {
			t.Fatalf("a's lock: %v", s)
		}
		var granted atomic.Int32
		q := &lockRequest{o: b, ranges: excl(5, 1)}
		q.wake = func() {
			if _, s := st.lock(q); s == smb2.StatusSuccess {
				granted.Add(1)
			}
		}
		if _, s := st.lock(q); s != smb2.StatusLockNotGranted || !q.queued {
			t.Fatalf("b's lock = %v, queued %v; want LOCK_NOT_GRANTED and queued", s, q.queued)
		}
		var cancelled atomic.Bool
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); st.unlock(a, excl(0, 10)) }()
		go func() { defer wg.Done(); cancelled.Store(st.cancelLock(q)) }()
		wg.Wait()
		g := granted.Load()
		if (g == 1) == cancelled.Load() || g > 1 {
			t.Fatalf("run %d: granted %d times, cancelled %v; want exactly one", i, g, cancelled.Load())
		}
		if got := len(st.describe(b).locks); got != int(g) {
			t.Fatalf("run %d: b holds %d locks, granted %d", i, got, g)
		}
		if st.cancelLock(q) {
			t.Fatalf("run %d: second cancel ended the request again", i)
		}
	}
}

// Releasing an open drops its locks and queued requests; nothing is
// granted to it afterwards, and the other queued requests are woken.
func TestLockTableRelease(t *testing.T) {
	st, a, b := lockTableFixture()
	st.lock(&lockRequest{o: a, ranges: excl(0, 10)})
	woken := 0
	q := &lockRequest{o: b, ranges: excl(0, 1)}
	q.wake = func() { woken++ }
	st.lock(q)
	n := a.node
	n.mu.Lock()
	wakes := n.releaseLocks(b)
	n.mu.Unlock()
	if len(wakes) != 0 || q.queued || len(n.lockQueue) != 0 {
		t.Fatalf("after release: %d wakes, queued %v, queue %d", len(wakes), q.queued, len(n.lockQueue))
	}
	if st.lockCount() != 1 {
		t.Fatalf("lockCount = %d, want 1 (a's lock)", st.lockCount())
	}
	st.unlock(a, excl(0, 10))
	if woken != 0 {
		t.Fatalf("released request woken %d times", woken)
	}
	if _, s := st.lock(q); s != smb2.StatusCancelled {
		t.Fatalf("lock of a released open = %v, want CANCELLED", s)
	}
	if len(st.describe(b).locks) != 0 {
		t.Fatal("a released open got a lock")
	}
	if !st.cancelLock(q) {
		t.Fatal("the released request could not be ended by its close hook")
	}
	if st.lockCount() != 0 {
		t.Fatalf("lockCount = %d, want 0", st.lockCount())
	}
}

// An ordered (SMB1) waiting request holds back a later request of the
// same open that overlaps it, though its range is free, until it leaves
// the queue; shared requests do not hold back shared ones.
func TestLockTableOrdered(t *testing.T) {
	st, a, b := lockTableFixture()
	st.lock(&lockRequest{o: b, ranges: excl(15, 5)})
	first := &lockRequest{o: a, ordered: true, ranges: excl(0, 20), wake: func() {}}
	if _, s := st.lock(first); s != smb2.StatusLockNotGranted {
		t.Fatalf("first = %v, want LOCK_NOT_GRANTED", s)
	}
	later := &lockRequest{o: a, ordered: true, ranges: excl(0, 5)}
	if idx, s := st.lock(later); s != smb2.StatusLockNotGranted || idx != 0 {
		t.Fatalf("later = %d %v, want 0 LOCK_NOT_GRANTED (precedence)", idx, s)
	}
	other := &lockRequest{o: b, ordered: true, ranges: excl(0, 5)}
	if _, s := st.lock(other); s != smb2.StatusSuccess {
		t.Fatalf("another open's request = %v, want SUCCESS (precedence is per open)", s)
	}
	st.unlock(b, excl(0, 5))
	unordered := &lockRequest{o: a, ranges: excl(0, 5)}
	if _, s := st.lock(unordered); s != smb2.StatusSuccess {
		t.Fatalf("SMB2 request = %v, want SUCCESS (no precedence)", s)
	}
	st.unlock(a, excl(0, 5))
	st.cancelLock(first)
	if _, s := st.lock(later); s != smb2.StatusSuccess {
		t.Fatalf("later after cancel = %v, want SUCCESS", s)
	}

	st, a, b = lockTableFixture()
	st.lock(&lockRequest{o: b, ranges: excl(15, 5)})
	sh := []lockRange{{off: 0, len: 20}}
	first = &lockRequest{o: a, ordered: true, ranges: sh, wake: func() {}}
	st.lock(first)
	if _, s := st.lock(&lockRequest{o: a, ordered: true, ranges: []lockRange{{off: 0, len: 5}}}); s != smb2.StatusSuccess {
		t.Fatalf("shared after shared = %v, want SUCCESS", s)
	}
}

// A request with an invalid range is refused for good and never queued.
func TestLockTableInvalidRange(t *testing.T) {
	st, a, _ := lockTableFixture()
	q := &lockRequest{o: a, ranges: []lockRange{{off: 0, len: 1}, {off: 1<<64 - 1, len: 2}}, wake: func() {}}
	if idx, s := st.lock(q); s != smb2.StatusInvalidLockRange || idx != 1 || q.queued {
		t.Fatalf("lock = %d %v queued %v; want 1 INVALID_LOCK_RANGE not queued", idx, s, q.queued)
	}
	if st.lockCount() != 0 {
		t.Fatal("the valid range before the invalid one stayed locked")
	}
}

// An open holds at most maxLocksPerOpen locks and a file has at most
// maxLockWaitersPerFile waiting requests; beyond either a request is
// refused for good with STATUS_INSUFFICIENT_RESOURCES, and unlocking
// gives the open its allowance back.
func TestLockTableLimits(t *testing.T) {
	defer func(l, w int) { maxLocksPerOpen, maxLockWaitersPerFile = l, w }(maxLocksPerOpen, maxLockWaitersPerFile)
	maxLocksPerOpen, maxLockWaitersPerFile = 3, 2
	st, a, b := lockTableFixture()
	two := []lockRange{{off: 0, len: 1, exclusive: true}, {off: 10, len: 1, exclusive: true}}
	if _, s := st.lock(&lockRequest{o: a, ranges: two}); s != smb2.StatusSuccess {
		t.Fatalf("two locks: %v", s)
	}
	if _, s := st.lock(&lockRequest{o: a, ranges: []lockRange{{off: 20, len: 1}, {off: 30, len: 1}}}); s != smb2.StatusInsufficientResources {
		t.Fatalf("fourth lock of the open: %v, want INSUFFICIENT_RESOURCES", s)
	}
	if _, s := st.lock(&lockRequest{o: a, ranges: excl(20, 1)}); s != smb2.StatusSuccess {
		t.Fatalf("third lock: %v", s)
	}
	if s := st.unlock(a, excl(20, 1)); s != smb2.StatusSuccess {
		t.Fatalf("unlock: %v", s)
	}
	if _, s := st.lock(&lockRequest{o: a, ranges: excl(40, 1)}); s != smb2.StatusSuccess {
		t.Fatalf("lock after an unlock: %v, want the allowance back", s)
	}
	wait := func() *lockRequest { return &lockRequest{o: b, ranges: excl(0, 1), wake: func() {}} }
	for i := range 2 {
		if _, s := st.lock(wait()); s != smb2.StatusLockNotGranted {
			t.Fatalf("waiter %d: %v, want queued", i, s)
		}
	}
	q := wait()
	if _, s := st.lock(q); s != smb2.StatusInsufficientResources || q.queued {
		t.Fatalf("third waiter: %v queued %v, want INSUFFICIENT_RESOURCES, not queued", s, q.queued)
	}
	if _, s := st.lock(&lockRequest{o: b, ranges: excl(0, 1)}); s != smb2.StatusLockNotGranted {
		t.Fatalf("a try that does not wait: %v, want LOCK_NOT_GRANTED", s)
	}
}
