package server

import (
	"math"
	"slices"
	"sync/atomic"

	"github.com/zerosmb/zerosmb/smb2"
)

// Byte-range locks (MS-SMB2 3.3.5.14, MS-FSA 2.1.5.8/2.1.5.9).
//
// The lock table is node.locks, shared by every open of a path on every
// connection. The functions over []byteLock below are pure so they can be
// table-tested; the handler only adds node.mu, async waiting and wake-ups.
//
// Rules implemented:
//   - Ranges overlap as MS-FSA 2.1.4.10 defines it: a zero-length range
//     overlaps a range that strictly contains its offset, never another
//     zero-length range, and the {0,0} range overlaps nothing.
//   - A lock is owned by its open and, for SMB1, the process id (PID) of
//     its LOCKING_ANDX element (SMB2 locks have PID 0); READ and WRITE by
//     SMB1 carry the header's PID (PIDHigh is not used, as on Samba).
//   - A new exclusive lock conflicts with any overlapping lock, including
//     the same owner's. A new shared lock conflicts only with overlapping
//     exclusive locks of other owners (it may stack on the same owner's
//     exclusive lock).
//   - READ conflicts with other owners' exclusive locks; WRITE conflicts
//     with other owners' exclusive locks and with every shared lock, the
//     writer's own included.
//   - A failed SMB2 lock is always STATUS_LOCK_NOT_GRANTED. SMB1's
//     FILE_LOCK_CONFLICT rule for repeated attempts is in smb1lock.go.
//     READ/WRITE conflicts are STATUS_FILE_LOCK_CONFLICT.
//   - Unlock elements carry exactly SMB2_LOCKFLAG_UNLOCK (with
//     FAIL_IMMEDIATELY too they are STATUS_INVALID_PARAMETER, as on Windows
//     since 2008 R2) and need a lock of the same open with exactly the same
//     offset and length; an exclusive one is released before a shared one.
//   - A pending lock ends with STATUS_CANCELLED on CANCEL, and with
//     STATUS_RANGE_NOT_LOCKED when its handle closes or its session logs
//     off (Samba's answer; Windows may grant it first on logoff).
//   - Elements are processed in order. A failing lock element rolls back
//     the elements of the same request granted before it; failing unlock
//     elements do not roll back earlier unlocks.

// lockRangeValid reports whether [off, off+n) fits in 64-bit offsets. The
// range may end exactly at 2^64.
func lockRangeValid(off, n uint64) bool {
	return n == 0 || n-1 <= math.MaxUint64-off
}

// rangesOverlap implements the overlap test of MS-FSA 2.1.4.10.
func rangesOverlap(aOff, aLen, bOff, bLen uint64) bool {
	if (aOff == 0 && aLen == 0) || (bOff == 0 && bLen == 0) {
		return false
	}
	aLast := aOff + aLen - 1 // aOff-1 for a zero-length range
	bLast := bOff + bLen - 1
	return aOff <= bLast && aLast >= bOff
}

// lockConflict reports whether owner (an open and, for SMB1, the process
// id of the lock element) may not take a lock on [off, off+n).
func lockConflict(locks []byteLock, owner *open, pid uint16, off, n uint64, exclusive bool) bool {
	for i := range locks {
		l := &locks[i]
		if !rangesOverlap(off, n, l.off, l.len) {
			continue
		}
		if exclusive || (l.exclusive && !l.ownedBy(owner, pid)) {
			return true
		}
	}
	return false
}

// ioConflict reports whether a READ (write=false) or WRITE by owner (and
// SMB1 process id pid) of [off, off+n) conflicts with a byte-range lock.
func ioConflict(locks []byteLock, owner *open, pid uint16, off, n uint64, write bool) bool {
	if n == 0 {
		return false
	}
	for i := range locks {
		l := &locks[i]
		if !rangesOverlap(off, n, l.off, l.len) {
			continue
		}
		if l.exclusive && !l.ownedBy(owner, pid) {
			return true
		}
		if write && !l.exclusive {
			return true
		}
	}
	return false
}

// checkLockFlags validates the flags of a lock (not unlock) request per
// MS-SMB2 3.3.5.14.2: each element is SHARED or EXCLUSIVE, optionally
// with FAIL_IMMEDIATELY, and only a single-element request may block.
func checkLockFlags(elems []smb2.LockElement) smb2.Status {
	for _, e := range elems {
		switch e.Flags &^ smb2.LockFlagFailImmediately {
		case smb2.LockFlagSharedLock, smb2.LockFlagExclusiveLock:
		default:
			return smb2.StatusInvalidParameter
		}
		if len(elems) > 1 && e.Flags&smb2.LockFlagFailImmediately == 0 {
			return smb2.StatusInvalidParameter
		}
		if !lockRangeValid(e.Offset, e.Length) {
			return smb2.StatusInvalidLockRange
		}
	}
	return smb2.StatusSuccess
}

// applyLocks grants elems to owner in order. On success it returns the
// extended table. On a conflict it returns the table unchanged (earlier
// elements rolled back), the index of the failing element and
// STATUS_LOCK_NOT_GRANTED. Flags must have passed checkLockFlags.
func applyLocks(locks []byteLock, owner *open, elems []smb2.LockElement) ([]byteLock, int, smb2.Status) {
	orig := len(locks)
	for i, e := range elems {
		excl := e.Flags&smb2.LockFlagExclusiveLock != 0
		if lockConflict(locks, owner, 0, e.Offset, e.Length, excl) {
			clear(locks[orig:])
			return locks[:orig], i, smb2.StatusLockNotGranted
		}
		locks = append(locks, byteLock{owner: owner, off: e.Offset, len: e.Length, exclusive: excl})
	}
	return locks, -1, smb2.StatusSuccess
}

// applyUnlocks releases elems of owner in order. It returns the new table,
// how many locks were released, and the status of the first failing
// element (earlier releases stay done).
func applyUnlocks(locks []byteLock, owner *open, pid uint16, elems []smb2.LockElement) ([]byteLock, int, smb2.Status) {
	removed := 0
	for _, e := range elems {
		if e.Flags != smb2.LockFlagUnlock {
			return locks, removed, smb2.StatusInvalidParameter
		}
		idx := -1
		for i := range locks {
			l := &locks[i]
			if l.ownedBy(owner, pid) && l.off == e.Offset && l.len == e.Length {
				if idx < 0 || (l.exclusive && !locks[idx].exclusive) {
					idx = i
				}
			}
		}
		if idx < 0 {
			return locks, removed, smb2.StatusRangeNotLocked
		}
		locks = slices.Delete(locks, idx, idx+1)
		removed++
	}
	return locks, removed, smb2.StatusSuccess
}

// handleLock is SMB2 LOCK.
func (c *conn) handleLock(r *request) response {
	req, err := smb2.DecodeLockRequest(r.msg)
	if err != nil {
		return errResp(smb2.StatusInvalidParameter)
	}
	o, st := c.lookupOpen(r, req.FileID)
	if st != smb2.StatusSuccess {
		return errResp(st)
	}
	idx := int(req.LockSequenceIndex)
	if o.durable == 0 && !o.resilient || c.dialect < smb2.Dialect210 || idx < 1 || idx > len(o.lockSeq) {
		return c.lock(r, o, &req)
	}
	// Lock sequence verification (MS-SMB2 3.3.5.14) on durable and
	// resilient opens: a
	// request repeating the last successful sequence number of its bucket
	// is a replay after a reconnect and succeeds without locking again.
	o.mu.Lock()
	replay := o.lockSeq[idx-1] == req.LockSequenceNumber|lockSeqValid
	o.lockSeq[idx-1] = 0
	o.mu.Unlock()
	if replay {
		o.mu.Lock()
		o.lockSeq[idx-1] = req.LockSequenceNumber | lockSeqValid
		o.mu.Unlock()
		return response{body: smb2.AppendLockResponse(nil)}
	}
	resp := c.lock(r, o, &req)
	if resp.status == smb2.StatusSuccess && resp.pending == nil {
		o.mu.Lock()
		o.lockSeq[idx-1] = req.LockSequenceNumber | lockSeqValid
		o.mu.Unlock()
	}
	return resp
}

// lockSeqValid marks an entry of open.lockSeq as valid.
const lockSeqValid = 0x80

// lock applies a LOCK request to o.
func (c *conn) lock(r *request, o *open, req *smb2.LockRequest) response {
	var st smb2.Status
	if o.pipe != nil || o.file == nil || o.node == nil {
		return errResp(smb2.StatusInvalidDeviceRequest)
	}
	if o.isDir {
		return errResp(smb2.StatusInvalidParameter)
	}
	n := o.node
	if req.Locks[0].Flags&smb2.LockFlagUnlock != 0 {
		n.mu.Lock()
		var removed int
		n.locks, removed, st = applyUnlocks(n.locks, o, 0, req.Locks)
		var waiters []func()
		if removed > 0 {
			waiters = n.lockWaiters
			n.lockWaiters = nil
		}
		n.mu.Unlock()
		for _, w := range waiters {
			w()
		}
		if st != smb2.StatusSuccess {
			return errResp(st)
		}
		return response{body: smb2.AppendLockResponse(nil)}
	}
	if st := checkLockFlags(req.Locks); st != smb2.StatusSuccess {
		return errResp(st)
	}
	blocking := len(req.Locks) == 1 && req.Locks[0].Flags&smb2.LockFlagFailImmediately == 0
	c.srv.state.contend(o) // a byte-range lock breaks read caching (as Windows)
	n.mu.Lock()
	n.locks, _, st = applyLocks(n.locks, o, req.Locks)
	if st == smb2.StatusSuccess || !blocking {
		n.mu.Unlock()
		if st != smb2.StatusSuccess {
			return errResp(st)
		}
		return response{body: smb2.AppendLockResponse(nil)}
	}
	// A blocking lock that conflicts: wait (n.mu still held so no wake-up
	// is lost between the failed attempt and the registration).
	return c.waitLock(r, o, req.Locks[0])
}

// lockWait is a blocked LOCK request waiting for its range.
type lockWait struct {
	c    *conn
	o    *open
	e    smb2.LockElement
	op   *asyncOp
	done atomic.Bool
	// closeKey is the handle-close hook to drop once the wait is over.
	closeKey uint64
}

// finish completes the wait with resp unless it already completed. The
// response is sent from a new goroutine: complete waits for the interim
// response, which the serve goroutine (possibly our caller) has yet to send.
func (w *lockWait) finish(resp response) {
	if w.done.CompareAndSwap(false, true) {
		go func() {
			w.o.dropClose(w.closeKey)
			w.op.complete(resp)
		}()
	}
}

// waitLock parks a blocking lock. It is called with o.node.mu held and
// releases it.
func (c *conn) waitLock(r *request, o *open, e smb2.LockElement) response {
	n := o.node
	w := &lockWait{c: c, o: o, e: e}
	sess := r.sess
	w.op = c.goAsync(r, func() {
		if c.lookupSession(sess.id) != sess {
			// LOGOFF or teardown: the handle is going away.
			w.finish(errResp(smb2.StatusRangeNotLocked))
			return
		}
		w.finish(errResp(smb2.StatusCancelled))
	})
	n.lockWaiters = append(n.lockWaiters, w.retry)
	n.mu.Unlock()
	// Opens are closed only by this connection's serve goroutine, which is
	// running this handler, so o is still open here. A retry that already
	// granted the lock makes the close hook a no-op.
	o.mu.Lock()
	w.closeKey = o.atClose(func() { w.finish(errResp(smb2.StatusRangeNotLocked)) })
	o.mu.Unlock()
	return response{pending: w.op}
}

// retry runs when the node's locks changed: take the lock if the range is
// free now, else wait for the next change.
func (w *lockWait) retry() {
	if w.done.Load() {
		return
	}
	n := w.o.node
	n.mu.Lock()
	var st smb2.Status
	n.locks, _, st = applyLocks(n.locks, w.o, []smb2.LockElement{w.e})
	if st != smb2.StatusSuccess {
		n.lockWaiters = append(n.lockWaiters, w.retry)
		n.mu.Unlock()
		return
	}
	if !w.done.CompareAndSwap(false, true) {
		// Cancelled or closed meanwhile: give the range back.
		n.locks = n.locks[:len(n.locks)-1]
		n.mu.Unlock()
		return
	}
	n.mu.Unlock()
	go w.op.complete(response{body: smb2.AppendLockResponse(nil)})
}
