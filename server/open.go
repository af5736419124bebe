package server

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/zerosmb/zerosmb/internal/rpc"
	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs"
)

// open is an SMB2 open (a FileId): a file, a directory, or a named pipe.
type open struct {
	id   smb2.FileID
	sess *session
	tree *tree
	name string // share-relative slash path; "" is the share root
	// stream is the named stream opened (stream.go), "" for the file or
	// directory itself; name is then the base file's path.
	stream string

	file vfs.File  // nil for pipes
	pipe *rpc.Pipe // named pipe on IPC$
	node *node     // shared state of the path (share modes, locks, delete-pending)

	isDir         bool
	access        uint32 // granted access mask
	maxAccess     uint32 // every right the ACL grants (MxAc create context)
	shareAccess   uint32
	createOptions uint32
	// Caching (oplock.go, lease.go), guarded by node.mu: the granted
	// oplock level (OplockLevelLease with lease set), and an oplock break
	// awaiting its acknowledgment.
	oplock uint8
	lease  *lease
	// released is set under node.mu when o leaves its node (release): no
	// lock is granted to it any more. locksHeld counts its granted
	// byte-range locks (under node.mu, locktable.go).
	released  bool
	locksHeld int
	obreaking bool
	obreakTo  uint8
	obreakGen uint64
	otimer    *time.Timer
	// smb1FID is an SMB1 open's FID once its CREATE is answered, and
	// smb1Break a break (level+1) waiting for it (smb1oplock.go).
	smb1FID   uint16
	smb1Break uint8
	// noLevelII: o's SMB1 client cannot hold level II oplocks
	// (cacheRequest.noLevelII); set before o is published.
	noLevelII bool
	// parentKey is the ParentLeaseKey of o's v2 lease request, when the
	// request set SMB2_LEASE_FLAG_PARENT_LEASE_KEY_SET (hasParent): o's
	// changes to its directory do not break that key's directory lease
	// (dirlease.go). Set before o is published, then read-only.
	parentKey [16]byte
	hasParent bool

	// Durability (durable.go): version granted (0 none, 1, 2), timeout,
	// CreateGuid and the user that may reclaim it; disconnected (under
	// node.mu) while no connection holds it.
	durable        uint8
	durableTimeout time.Duration
	createGUID     [16]byte
	owner          string
	disconnected   bool
	scavenger      *time.Timer
	// resilient: FSCTL_LMR_REQUEST_RESILIENCY granted (resilient.go);
	// durable is then 0 and durableTimeout the resiliency timeout.
	resilient bool
	// durableSess is the session o's durability is charged to (lmu).
	durableSess uint64
	// app is the application instance o was opened for (appinstance.go),
	// set once before o is answered.
	app *appInstance
	// replay is o's entry in the create replay table (replay.go), set
	// when a CREATE with DH2Q produced it; createAction is the
	// CreateAction its CREATE answered, repeated to a replay.
	replay       replayState
	createAction uint32
	// channelSeq is Open.ChannelSequence (MS-SMB2 3.3.5.2.10, 3.x only):
	// the newest ChannelSequence of a request on the open (low 16 bits).
	channelSeq atomic.Uint32
	// lockSeq is the LockSequenceArray of a durable or resilient open: per bucket the
	// last successful LockSequenceNumber | lockSeqValid (guarded by mu).
	lockSeq [64]uint8

	mu            sync.Mutex
	deleteOnClose bool
	position      int64 // FilePositionInformation
	wrote         bool  // a WRITE went through it: its CLOSE reports a last-write change and breaks its directory's leases
	mode          uint32
	closed        bool
	eaIndex       int // next EA to return (QUERY_INFO FileFullEaInformation)

	// smap is the file mapping signed sendfile READs hash with
	// SignedHashOpenMap (signhash_linux.go), released at close.
	smap openMap

	// dir is the directory enumeration state (QUERY_DIRECTORY,
	// dirstream.go), nil before the first query.
	dir *dirEnum

	// Pending CHANGE_NOTIFY / lock / pipe waiters register here (atClose)
	// to be finished when the handle closes; they unregister (dropClose)
	// when they finish first, so the set stays bounded.
	onClose   map[uint64]func()
	nextClose uint64

	// pipeRead is a READ on a named pipe waiting for data (pipe.go);
	// guarded by mu.
	pipeRead *pipeRead
}

// Access mask bits used by the core.
const (
	fileReadData        uint32 = 0x00000001
	fileWriteData       uint32 = 0x00000002
	fileAppendData      uint32 = 0x00000004
	fileReadEA          uint32 = 0x00000008
	fileWriteEA         uint32 = 0x00000010
	fileExecute         uint32 = 0x00000020
	fileDeleteChild     uint32 = 0x00000040
	fileReadAttributes  uint32 = 0x00000080
	fileWriteAttributes uint32 = 0x00000100
	accessDelete        uint32 = 0x00010000
	readControl         uint32 = 0x00020000
	writeDAC            uint32 = 0x00040000
	writeOwner          uint32 = 0x00080000
	synchronize         uint32 = 0x00100000
	maximumAllowed      uint32 = 0x02000000
	genericAll          uint32 = 0x10000000
	genericExecute      uint32 = 0x20000000
	genericWrite        uint32 = 0x40000000
	genericRead         uint32 = 0x80000000
)

// Per-connection bounds on state a client can pile up: opens, and
// pending async operations (each of which has its credits back).
const (
	maxOpensPerConn = 16384
	maxAsyncPerConn = 8192
)

// checkLimits refuses a request that could grow the connection's opens or
// async operations past their bounds (MS-SMB2 3.3.4.2 allows
// STATUS_INSUFFICIENT_RESOURCES when resources are constrained).
func (c *conn) checkLimits(cmd smb2.Command) smb2.Status {
	c.mu.Lock()
	opens, async := len(c.opens), len(c.async)
	c.mu.Unlock()
	full := false
	if rule, ok := ruleFor(cmd); ok {
		switch rule.limit {
		case limitOpens:
			full = opens >= maxOpensPerConn
		case limitAsync:
			full = async >= maxAsyncPerConn
		}
	}
	if full {
		c.log.Warn("per-connection limit reached; request refused", "command", cmd.String(), "opens", opens, "async", async)
		return smb2.StatusInsufficientResources
	}
	return smb2.StatusSuccess
}

// atClose registers f to run when o closes and returns a key for
// dropClose. Call with o.mu held.
func (o *open) atClose(f func()) uint64 {
	if o.onClose == nil {
		o.onClose = make(map[uint64]func())
	}
	o.nextClose++
	o.onClose[o.nextClose] = f
	return o.nextClose
}

// dropClose unregisters a hook added by atClose.
func (o *open) dropClose(key uint64) {
	o.mu.Lock()
	delete(o.onClose, key)
	o.mu.Unlock()
}

// addOpen assigns a FileId to o and registers it on the connection.
func (c *conn) addOpen(o *open) smb2.FileID {
	id := c.srv.newID()
	o.id = smb2.FileID{Persistent: id, Volatile: id}
	c.mu.Lock()
	c.opens[id] = o
	c.mu.Unlock()
	return o.id
}

// removeOpen unregisters o; it reports false if it was already gone.
func (c *conn) removeOpen(o *open) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.opens[o.id.Volatile] != o {
		return false
	}
	delete(c.opens, o.id.Volatile)
	return true
}

// shutdownClose ends an open its client did not close (connection lost,
// LOGOFF, TREE_DISCONNECT): a durable open is kept disconnected for its
// reconnect instead, as Windows and Samba do.
func (c *conn) shutdownClose(o *open) {
	if !c.srv.state.disconnect(o) {
		c.closeOpen(o)
	}
}

// closeOpen releases everything an open holds: pending waiters, byte-range
// locks, the share-mode entry, delete-on-close, and the file itself.
func (c *conn) closeOpen(o *open) error {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return nil
	}
	o.closed = true
	waiters := o.onClose
	o.onClose = nil
	c.endDirEnum(o)
	o.mu.Unlock()
	for _, f := range waiters {
		f()
	}
	if o.node != nil {
		c.srv.state.release(o, c.log)
	}
	o.smap.close()
	if o.file != nil {
		return o.file.Close()
	}
	return nil
}
