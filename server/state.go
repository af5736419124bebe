package server

import (
	"log/slog"
	"time"

	"github.com/zerosmb/zerosmb/smb2"
)

// stateStore is the server-wide state of SMB opens that handlers may not
// keep on their own connection: share modes, delete-pending, byte-range
// locks, oplocks, leases and disconnected durable opens. Handlers reach
// it only through these operations (they read no node field and take no
// node mutex); the in-process implementation is
// nodeTable (node.go, oplock.go, lease.go). A distributed implementation
// (several zerosmb nodes over one cluster file system) would key nodes by
// (share, path), opens by their persistent FileId and leases by
// (ClientGuid, LeaseKey), as these methods already do on the wire, and
// deliver breaks through the breakSink of the holder's node.
//
// Invariants (each operation keeps them; tests in oplock_test.go and
// dirlease_test.go):
//   - An open is attached to exactly one node from admit until release;
//     share modes are checked against every attached open, connected or not.
//   - A lease (ClientGuid, LeaseKey) is bound to one node: a CREATE naming
//     the key for another path fails with STATUS_INVALID_PARAMETER while
//     any open holds the lease. All opens with one key share its state.
//   - Caching grants never conflict: a W (exclusive/batch) grant exists only
//     while no other open of the node (stat opens aside, opens of the same
//     lease aside) exists; an H grant for a lease excludes oplocks with H.
//   - Directory leases (dirlease.go) exist on SMB 3.x only, hold R or RH,
//     never W, and directories get no oplocks. A change of an entry in a
//     directory breaks every directory lease on it to none except the
//     one keyed by the changer's ParentLeaseKey; the change never waits
//     for those acknowledgments, but the break is queued before the
//     change is answered. dirChanged takes the directory's node mutex
//     only, never while a caller holds another node's.
//   - A rename or an unlink (FILE_DELETE_ON_CLOSE, a delete disposition)
//     breaks the handle caching of the other leases on the node and waits
//     for their acknowledgments. A named stream is a node of its own: its
//     share modes and caching are apart from its file's.
//   - A break is a message queued on the holder's connection (breakSink),
//     never a call into that connection's goroutine. A break that needs an
//     acknowledgment starts a timer (Config.OplockBreakTimeout, 35 s by
//     default); when it fires the holder is forced to the break-to state
//     (none for oplocks and leases), so no waiter waits longer than that.
//   - admit never blocks. When a holder must acknowledge first it returns a
//     channel closed at the next change of the node's caching state
//     (acknowledgment, timeout, close); the CREATE goes async and retries.
//   - Every state change that may unblock a waiter closes that channel.
//   - A disconnected durable open keeps its share mode, locks and caching;
//     a break it would need purges it instead (nobody can acknowledge), and
//     it is purged when its durable timeout passes. A disconnected
//     resilient open loses its caching instead and is purged only when its
//     resiliency timeout passes. Only the user that
//     opened it may reclaim it, with the same CreateGuid (v2) and lease key.
//   - Opens made for an AppInstanceId are listed by it from their answer
//     until release; a takeover closes them before the new open is
//     admitted, so they never hold it up (appinstance.go).
//   - Byte-range locks belong to an open and, for SMB1, a PID; a
//     request's ranges are granted all or none, in the order requests
//     arrive, and never to a released open. A waiting request is queued
//     on its node until it is granted or cancelLock ends it; exactly one
//     of the two ends it, so it is answered once. Every change that may
//     let a queued request through (an unlock, a release, a queued
//     ordered request leaving) calls the wake of every queued request,
//     outside the node's mutex. Releasing an open drops its locks and
//     its queued requests (its close hooks answer those).
//   - A (ClientGuid, CreateGuid) names at most one running CREATE or one
//     replayable open; an open stops being replayable when another
//     command uses it or it is released (replay.go).
type stateStore interface {
	nodeState
	cachingState
	lockState
	durableState
	instanceState
}

// nodeState is the part of stateStore over nodes, share modes and
// delete-pending (node.go, rename.go).
type nodeState interface {
	// acquire returns the node of (share, path) with a reference held;
	// the caller admits an open to it or calls put.
	acquire(share *Share, path string) *node
	// put drops a reference acquire took.
	put(n *node)
	// release detaches o: locks, share mode, caching, delete-on-close.
	release(o *open, log *slog.Logger)
	// hasOpens reports whether (share, p), or with below any path under
	// p, has an open.
	hasOpens(share *Share, p string, below bool) bool
	// renamed moves n to newp and renames its opens (a rename).
	renamed(n *node, newp string)
	// parentBlocksRename reports whether an open of directory dir other
	// than self forbids a rename adding an entry to it.
	parentBlocksRename(share *Share, dir string, self *open) bool
	// deletePending reports whether o's file is delete-pending;
	// setDeletePending sets or clears it (SET_INFO disposition).
	deletePending(o *open) bool
	setDeletePending(o *open, del bool)
	// lastCloseDeletes reports whether closing o (delete-on-close doc)
	// removes its file: o is the last open and the file delete-pending.
	lastCloseDeletes(o *open, doc bool) bool
	// mayWrite reports whether an open of o's node, o included, holds
	// access in mask or write caching.
	mayWrite(o *open, mask uint32) bool
	// describe reports o's caching and its granted locks (Status, CREATE
	// responses).
	describe(o *open) openState
}

// cachingState is the part of stateStore over oplocks and leases
// (oplock.go, lease.go, dirlease.go).
type cachingState interface {
	// admit decides the open o of node n described by q: share modes,
	// delete-pending and breaks of other opens' caching. On success o is
	// attached to n with its oplock or lease granted (o.oplock, o.lease).
	admit(n *node, o *open, q *cacheRequest) (wait <-chan struct{}, st smb2.Status)
	// ackOplock handles an oplock break acknowledgment for o.
	ackOplock(o *open, level uint8) (uint8, smb2.Status)
	// releaseOplock is SMB1's OPLOCK_RELEASE for o: the acknowledgment of
	// a break, or a release unasked, to level (none or II). It reports
	// whether o held an oplock.
	releaseOplock(o *open, level uint8) bool
	// noteSMB1FID records the FID of o's answered SMB1 CREATE and returns
	// the break message held back until then, if any (smb1oplock.go).
	noteSMB1FID(o *open, fid uint16) []byte
	// ackLease handles a lease break acknowledgment from client.
	ackLease(client, key [16]byte, state uint32) (uint32, smb2.Status)
	// contend breaks the read caching (level II oplocks, R leases) other
	// opens hold on o's node: o writes, truncates or locks.
	contend(o *open)
	// breakHandles breaks the handle caching of other leases on o's node
	// and reports a channel to wait on when acknowledgments are due: o is
	// renamed or deleted.
	breakHandles(o *open) <-chan struct{}
	// dirChanged breaks the directory leases of share path p's parent
	// to none, without waiting for acknowledgments, except the lease
	// whose key is by's ParentLeaseKey (by may be nil): p was created,
	// deleted, renamed, or its attributes, size or times changed (by by).
	dirChanged(share *Share, p string, by *open)
	// uncache breaks every open's caching on o's node to none, o's own
	// lease included: o's file gained a second name (a hard link), and
	// caching state is kept per name.
	uncache(o *open)
}

// lockState is the part of stateStore over byte-range locks
// (locktable.go).
type lockState interface {
	// lock tries the byte-range lock request q (all its ranges or none)
	// and queues it when refused and q.wake is set (locktable.go).
	lock(q *lockRequest) (failed int, st smb2.Status)
	// cancelLock ends q unless it was granted or ended before, and
	// reports whether it did (the caller then answers q).
	cancelLock(q *lockRequest) bool
	// unlock releases o's ranges rs in order.
	unlock(o *open, rs []lockRange) smb2.Status
	// ioConflicts reports whether a READ or WRITE (write) of o and SMB1
	// process pid conflicts with a byte-range lock.
	ioConflicts(o *open, pid uint16, off, size uint64, write bool) bool
	// lockCount counts every granted lock (metrics).
	lockCount() int
}

// durableState is the part of stateStore over durable and resilient
// opens (durable.go, resilient.go).
type durableState interface {
	// grantDurable makes o durable if d asks and o holds handle caching.
	grantDurable(o *open, d *durableRequest) []smb2.CreateContext
	// disconnect keeps durable o after its connection is lost (false: the
	// caller closes it).
	disconnect(o *open) bool
	// makeResilient makes o a resilient open kept timeout after a
	// disconnect (FSCTL_LMR_REQUEST_RESILIENCY).
	makeResilient(o *open, timeout time.Duration) smb2.Status
	// reclaim hands a disconnected durable or resilient open to session s and tree tr.
	reclaim(d *durableRequest, s *session, tr *tree, lr *smb2.LeaseRequest, name string, client [16]byte) (*open, smb2.Status)
	// durableStats counts durable and resilient opens, the disconnected
	// ones, and the reclaims so far (metrics).
	durableStats() durableStats
	// purgeDisconnected closes o for good if it is disconnected, and
	// reports whether it was.
	purgeDisconnected(o *open) bool
}

// instanceState is the part of stateStore over application instances and
// create replay (appinstance.go, replay.go).
type instanceState interface {
	// appInstanceOpens returns the opens of a's application instance on
	// (share, path, stream) held by clients other than client, which a
	// new open takes over (or STATUS_FILE_FORCED_CLOSED: one is newer).
	appInstanceOpens(a *appInstanceRequest, share *Share, path, stream string, client [16]byte) ([]*open, smb2.Status)
	// setAppInstance records that o was opened for a's application
	// instance by client (a nil: nothing).
	setAppInstance(o *open, a *appInstanceRequest, client [16]byte)

	// beginReplayable looks up (ClientGuid, CreateGuid) for a CREATE with
	// DH2Q: the open a replay is answered with, a refusal, or a
	// reservation for tag that endReplayable settles.
	beginReplayable(key replayKey, tag replayTag, replay bool, s *session, tr *tree) (*open, smb2.Status)
	// endReplayable settles a reservation with the open produced (nil:
	// the CREATE failed).
	endReplayable(res *replayReservation, o *open)
	// replayUsed ends o's replayability (used by another command, closed).
	replayUsed(o *open)
}

var _ stateStore = (*nodeTable)(nil)

// cacheRequest is what a CREATE asks of the state store.
type cacheRequest struct {
	access, shareAccess uint32
	overwrite           bool // SUPERSEDE/OVERWRITE/OVERWRITE_IF of an existing file
	exists              bool // the file existed before this CREATE
	first               bool // first attempt (not a retry after a break)
	isDir               bool
	oplock              uint8              // RequestedOplockLevel (no lease)
	lease               *smb2.LeaseRequest // non-nil: a lease is requested
	client              [16]byte           // ClientGuid of the connection
	// smb1Conn is set for a CREATE of an SMB1 connection. It waits in
	// place (smb1bridge.go) and so does not wait for a break whose
	// acknowledgment must come over that same connection, whose read loop
	// it blocks: the break is sent and the CREATE proceeds (an SMB1 client
	// acknowledges a break of one of its opens over the connection its
	// next open waits on). Breaks acknowledged elsewhere are waited for.
	smb1Conn *conn
	// renameOnly marks the server's own open of a file that an SMB1
	// SET_PATH_INFORMATION renames: like the rename itself (MS-FSA
	// 2.1.4.12) it breaks only handle caching (batch oplocks, H leases),
	// not exclusive oplocks or read/write caching.
	renameOnly bool
	// deleteOnClose: FILE_DELETE_ON_CLOSE of an existing file (an
	// unlink): other leases' handle caching is broken and waited for, as
	// for a rename (smb2.lease.unlink).
	deleteOnClose bool
	// smb3: the connection's dialect is 3.x (directory leases).
	smb3 bool
	// noLevelII: an SMB1 client that did not announce
	// CAP_LEVEL_II_OPLOCKS; it is granted no level II oplock, and its
	// exclusive and batch oplocks break to none (MS-CIFS 3.3.4.2).
	noLevelII bool
	// noLease: the lease asked is not granted (a directory without
	// directory leasing), but its key is checked like any other.
	noLease bool
}
