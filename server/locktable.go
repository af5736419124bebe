package server

import (
	"slices"

	"github.com/zerosmb/zerosmb/smb2"
)

// The byte-range lock table of the in-process state store (nodeTable):
// each node's granted locks (node.locks) and its queue of waiting
// requests (node.lockQueue), both under node.mu. The rules of a single
// grant are the pure functions of lock.go; SMB1's extra rules (how long a
// request waits, its error codes) stay with the SMB1 handler
// (smb1lock.go), which only asks for precedence (lockRequest.ordered).

// Limits of the lock table, so that no client makes it grow without
// bound or makes every unlock cost more than a bounded amount of work.
// They are variables only so that tests can lower them.
var (
	// maxLocksPerOpen bounds the byte-range locks one open holds; a
	// request that would take more gets STATUS_INSUFFICIENT_RESOURCES.
	maxLocksPerOpen = 65536
	// maxLockWaitersPerFile bounds the requests waiting on one file (each
	// is retried at every change of its locks); a request that would wait
	// beyond it gets STATUS_INSUFFICIENT_RESOURCES at once.
	maxLockWaitersPerFile = 1024
)

// lockRequest is one LOCK or LOCKING_ANDX request of open o: its ranges
// are granted all or none. The caller fills o, ranges, ordered and, for
// a request that waits, wake; the state store owns queued and ended.
type lockRequest struct {
	o      *open
	ranges []lockRange
	// ordered (SMB1): while queued, the request takes precedence over
	// later requests of the same open whose ranges overlap its own,
	// unless both are shared (smbtorture raw.lock.multilock*).
	ordered bool
	// wake, set for a request that may wait, is called after each change
	// of the node's locks while the request is queued, outside the
	// store's mutexes; it calls lock again.
	wake func()

	queued bool // in node.lockQueue (under node.mu)
	ended  bool // granted or cancelled: lock and cancelLock do nothing more (under node.mu)
}

// shared reports whether every range of q is a shared lock.
func (q *lockRequest) shared() bool {
	for _, r := range q.ranges {
		if r.exclusive {
			return false
		}
	}
	return true
}

// lock tries q. Granted, q ends and lock returns -1 and STATUS_SUCCESS.
// Refused, it returns the index of the failing range and
// STATUS_LOCK_NOT_GRANTED (a conflict, or an earlier queued ordered
// request), STATUS_INVALID_LOCK_RANGE, or STATUS_INSUFFICIENT_RESOURCES
// (the open holds maxLocksPerOpen locks, or q would wait while
// maxLockWaitersPerFile others do); a q refused with
// STATUS_LOCK_NOT_GRANTED and wake set is queued (or stays queued). STATUS_CANCELLED means q had ended, or its
// open was released: nothing changed.
func (t *nodeTable) lock(q *lockRequest) (int, smb2.Status) {
	n := q.o.node
	n.mu.Lock()
	if q.ended || q.o.released {
		n.mu.Unlock()
		return -1, smb2.StatusCancelled
	}
	idx, st := n.precedence(q), smb2.StatusLockNotGranted
	if idx < 0 && q.o.locksHeld+len(q.ranges) > maxLocksPerOpen {
		idx, st = 0, smb2.StatusInsufficientResources
	} else if idx < 0 {
		var locks []byteLock
		locks, idx, st = applyLocks(n.locks, q.o, q.ranges)
		if st == smb2.StatusSuccess {
			n.locks = locks
			q.o.locksHeld += len(q.ranges)
		}
	}
	if st == smb2.StatusLockNotGranted && q.wake != nil && !q.queued && len(n.lockQueue) >= maxLockWaitersPerFile {
		st = smb2.StatusInsufficientResources // refused for good, below
	}
	var wakes []func()
	switch {
	case st == smb2.StatusLockNotGranted && q.wake != nil:
		if !q.queued {
			q.queued = true
			n.lockQueue = append(n.lockQueue, q)
		}
	case st == smb2.StatusLockNotGranted:
	default: // granted, or refused for good
		q.ended = true
		if n.dequeue(q) && q.ordered {
			wakes = n.lockWakes() // q no longer takes precedence
		}
	}
	n.mu.Unlock()
	for _, w := range wakes {
		w()
	}
	return idx, st
}

// precedence returns the index of the first range of q that overlaps a
// range of an ordered request of the same open queued before q, or -1.
// Called with n.mu held.
func (n *node) precedence(q *lockRequest) int {
	if !q.ordered {
		return -1
	}
	for _, p := range n.lockQueue {
		if p == q {
			break
		}
		if !p.ordered || p.o != q.o || (p.shared() && q.shared()) {
			continue
		}
		for i, r := range q.ranges {
			for _, b := range p.ranges {
				if rangesOverlap(r.off, r.len, b.off, b.len) {
					return i
				}
			}
		}
	}
	return -1
}

// dequeue removes q from n's queue and reports whether it was queued.
// Called with n.mu held.
func (n *node) dequeue(q *lockRequest) bool {
	if !q.queued {
		return false
	}
	q.queued = false
	if i := slices.Index(n.lockQueue, q); i >= 0 {
		n.lockQueue = slices.Delete(n.lockQueue, i, i+1)
	}
	return true
}

// lockWakes returns the wake functions of n's queued requests, to call
// once n.mu is released. Called with n.mu held.
func (n *node) lockWakes() []func() {
	wakes := make([]func(), 0, len(n.lockQueue))
	for _, q := range n.lockQueue {
		wakes = append(wakes, q.wake)
	}
	return wakes
}

// cancelLock ends q unless it has ended already (granted, or cancelled
// before); it reports whether it ended it, in which case the caller
// answers the request.
func (t *nodeTable) cancelLock(q *lockRequest) bool {
	n := q.o.node
	n.mu.Lock()
	if q.ended {
		n.mu.Unlock()
		return false
	}
	q.ended = true
	var wakes []func()
	if n.dequeue(q) && q.ordered {
		wakes = n.lockWakes()
	}
	n.mu.Unlock()
	for _, w := range wakes {
		w()
	}
	return true
}

// unlock releases rs of o in order and wakes the waiting requests when
// any was released. It returns STATUS_RANGE_NOT_LOCKED for the first
// range o (and its PID) holds no lock on exactly; earlier releases stay
// done.
func (t *nodeTable) unlock(o *open, rs []lockRange) smb2.Status {
	n := o.node
	n.mu.Lock()
	var removed int
	var st smb2.Status
	n.locks, removed, st = applyUnlocks(n.locks, o, rs)
	o.locksHeld -= removed
	var wakes []func()
	if removed > 0 {
		wakes = n.lockWakes()
	}
	n.mu.Unlock()
	for _, w := range wakes {
		w()
	}
	return st
}

// ioConflicts reports whether a READ (write=false) or WRITE by o and SMB1
// process pid of [off, off+size) conflicts with a byte-range lock.
func (t *nodeTable) ioConflicts(o *open, pid uint16, off, size uint64, write bool) bool {
	n := o.node
	if n == nil || size == 0 {
		return false
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return ioConflict(n.locks, o, pid, off, size, write)
}

// releaseLocks drops o's locks and its queued requests (their handle-close
// hooks answer them) and returns the wake functions of the other queued
// requests. Called by release with n.mu held.
func (n *node) releaseLocks(o *open) []func() {
	o.released = true
	o.locksHeld = 0
	n.locks = slices.DeleteFunc(n.locks, func(l byteLock) bool { return l.owner == o })
	n.lockQueue = slices.DeleteFunc(n.lockQueue, func(q *lockRequest) bool {
		if q.o == o {
			q.queued = false
			return true
		}
		return false
	})
	return n.lockWakes()
}

// describe reports o's caching state and granted locks (for Status).
func (t *nodeTable) describe(o *open) openState {
	var s openState
	n := o.node
	if n == nil {
		return s
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	s.oplock = o.oplock
	if o.lease != nil {
		s.lease, s.hasLease = leaseState(o.lease), true
	}
	for _, l := range n.locks {
		if l.owner == o {
			s.locks = append(s.locks, l)
		}
	}
	return s
}

// openState is what describe reports of an open.
type openState struct {
	oplock   uint8             // granted OplockLevel (OplockLevelLease with a lease)
	lease    smb2.LeaseRequest // the lease as a create response shows it, when hasLease
	hasLease bool
	locks    []byteLock // granted byte-range locks
}
