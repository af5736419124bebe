package server

import (
	"sync"

	"github.com/zerosmb/zerosmb/smb2"
)

// Kernel leases (Config.KernelLeases, Linux only; kernlease_linux.go).
// Read caching granted to a client is backed by a Linux file lease
// (fcntl F_SETLEASE, F_RDLCK) on the open's own read-only descriptor, so
// that a local process opening the file for writing (or truncating it)
// makes the kernel notify the server (SIGIO) before the open proceeds: the
// server then breaks every client's caching of that file to none and
// releases its leases once the breaks are acknowledged or time out
// (OplockBreakTimeout, below the kernel's lease-break-time, 45 s by
// default), and the local open continues.
//
// What the kernel can back is what is granted:
//   - Write caching (exclusive and batch oplocks, RW/RWH leases) is never
//     granted: a write lease allows no other descriptor of the file, and
//     the server's own opens (security descriptors, streams) would break
//     it. Batch/exclusive become level II, RW(H) becomes R(H).
//   - An open with write access gets no caching (a read lease needs a
//     read-only descriptor and no writer), and before the server opens a
//     file for writing it releases the leases it holds on that file and
//     breaks their caching to none, so it never waits for itself.
//   - When the lease cannot be taken (another process has the file open
//     for writing, the server is neither the file's owner nor has
//     CAP_LEASE, the backend is not a local file) the open gets no caching.
//
// Local renames and deletes are not seen (leases break on open and
// truncate only). The cost is one descriptor check per leased open on
// each SIGIO, and nothing on the data path.

// kernelLeases holds the kernel leases taken for opens.
type kernelLeases struct {
	t    *nodeTable
	mu   sync.Mutex
	held map[*open]struct{} // opens whose descriptor holds a read lease
	// breaking marks the nodes a local open is breaking (one
	// localBreak each).
	breaking map[*node]bool
	stop     func()
	stopped  sync.Once
}

// kernelCacheRequest trims what q asks to what a kernel read lease can
// back (see above).
func kernelCacheRequest(q *cacheRequest) {
	writable := q.access&(fileWriteData|fileAppendData) != 0 || q.overwrite
	switch q.oplock {
	case smb2.OplockLevelExclusive, smb2.OplockLevelBatch:
		q.oplock = smb2.OplockLevelII
	}
	if writable {
		q.oplock = smb2.OplockLevelNone
	}
	if q.lease != nil {
		q.lease.LeaseState &^= cacheW
		if writable {
			q.lease.LeaseState = 0
		}
	}
}

// dropGrant takes back the caching just granted to o, before its CREATE
// is answered: its oplock, or its lease's state (broken to none if other
// opens share the lease).
func (t *nodeTable) dropGrant(o *open) {
	n := o.node
	if n == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	switch l := o.lease; {
	case l == nil:
		o.oplock = smb2.OplockLevelNone
	case l.opens <= 1 && !l.breaking:
		l.state = 0
	case l.state != 0:
		t.breakLease(n, l, 0)
	}
	n.wake()
}
