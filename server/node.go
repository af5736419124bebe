package server

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zerosmb/zerosmb/vfs"
)

// node is the server-wide state of one path in one share, shared by every
// open of it on every connection: the opens (for share-mode checks),
// delete-pending, and byte-range locks.
type node struct {
	key   nodeKey
	mu    sync.Mutex
	opens []*open
	// deletePending is set by SET_INFO Disposition or a delete-on-close
	// open; the path is removed when the last open closes.
	deletePending bool
	// delFS is the backend view (tree.fs, unixusers.go) of the open that
	// made the node delete-pending: the path is removed as that user.
	delFS vfs.FS
	// locks are the granted byte-range locks and lockQueue the requests
	// waiting for theirs, in arrival order (locktable.go).
	locks     []byteLock
	lockQueue []*lockRequest
	refs      int
	// changed is closed when the caching state of the node changes
	// (oplock.go): CREATEs waiting for a break retry then.
	changed chan struct{}
}

type nodeKey struct {
	share *Share
	path  string
}

// byteLock is one granted byte-range lock.
type byteLock struct {
	owner     *open
	off, len  uint64
	exclusive bool
	pid       uint16 // SMB1 process id of the lock element; 0 for SMB2
}

// ownedBy reports whether the lock belongs to open o and SMB1 process pid.
func (l *byteLock) ownedBy(o *open, pid uint16) bool { return l.owner == o && l.pid == pid }

// nodeTable maps paths to nodes; a node lives while it has opens.
type nodeTable struct {
	mu sync.Mutex
	m  map[nodeKey]*node
	// ns holds per-path metadata set through SMB (attributes, times,
	// security descriptors) and CHANGE_NOTIFY watchers; see meta.go.
	ns nsState

	// lmu guards leases (lease.go); it is taken after a node's mutex.
	lmu    sync.Mutex
	leases map[leaseID]*lease
	// dirLeases: directory leases are granted (Config.NoDirectoryLeases).
	dirLeases bool
	// breakTimeout is Config.OplockBreakTimeout.
	breakTimeout time.Duration
	// clientConn finds the connection lease breaks for a ClientGuid go to.
	clientConn func(guid [16]byte) *conn
	// durables holds the durable opens by persistent FileId (under lmu);
	// at most maxDurable (Config.MaxDurableOpens).
	durables   map[uint64]*open
	maxDurable int
	// reclaims counts disconnected opens handed to a new connection.
	reclaims atomic.Uint64
	// durablePerSess counts the durable table's opens by the session
	// that made them, at most maxDurablePerSess each (under lmu).
	durablePerSess    map[uint64]int
	maxDurablePerSess int
	// maxResiliency is Config.MaxResiliencyTimeout (resilient.go).
	maxResiliency time.Duration
	// apps holds the opens made for an application instance by
	// AppInstanceId (appinstance.go), under lmu.
	apps map[[16]byte][]*open
	// replays is the create replay table (replay.go), under lmu.
	replays map[replayKey]*replayEntry
	// kernel backs read caching with Linux file leases
	// (Config.KernelLeases, kernlease.go); nil when off.
	kernel *kernelLeases
	log    *slog.Logger
}

func (t *nodeTable) init() {
	t.m = make(map[nodeKey]*node)
	t.leases = make(map[leaseID]*lease)
	t.durables = make(map[uint64]*open)
	t.durablePerSess = make(map[uint64]int)
	if t.maxDurablePerSess == 0 {
		t.maxDurablePerSess = DefaultMaxDurableOpensPerSession
	}
	t.replays = make(map[replayKey]*replayEntry)
	t.apps = make(map[[16]byte][]*open)
	if t.maxResiliency <= 0 {
		t.maxResiliency = DefaultMaxResiliencyTimeout
	}
	if t.maxDurable == 0 {
		t.maxDurable = DefaultMaxDurableOpens
	}
	if t.log == nil {
		t.log = slog.Default()
	}
	if t.breakTimeout == 0 {
		t.breakTimeout = DefaultOplockBreakTimeout
	}
}

// acquire returns the node for (share, path) with a reference held; the
// caller must attach an open (node.opens) or call put.
func (t *nodeTable) acquire(share *Share, path string) *node {
	k := nodeKey{share, path}
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.m[k]
	if n == nil {
		n = &node{key: k}
		t.m[k] = n
	}
	n.refs++
	return n
}

// lookup returns the node for (share, path) if one exists, without a reference.
func (t *nodeTable) lookup(share *Share, path string) *node {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.m[nodeKey{share, path}]
}

// put drops a reference taken by acquire.
func (t *nodeTable) put(n *node) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n.refs--
	if n.refs <= 0 {
		delete(t.m, n.key)
	}
}

// rekey moves a node to a new path after a rename.
func (t *nodeTable) rekey(n *node, path string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m[n.key] == n {
		delete(t.m, n.key)
	}
	n.key.path = path
	if _, taken := t.m[n.key]; !taken {
		t.m[n.key] = n
	}
}

// release detaches o from its node: drops its locks, wakes lock waiters,
// and performs delete-on-close when o was the last open.
func (t *nodeTable) release(o *open, log *slog.Logger) {
	n := o.node
	n.mu.Lock()
	for i, x := range n.opens {
		if x == o {
			n.opens = append(n.opens[:i], n.opens[i+1:]...)
			break
		}
	}
	waiters := n.releaseLocks(o)
	t.dropCaching(n, o)
	t.forgetDurable(o)
	t.replayUsed(o)
	if t.kernel != nil {
		t.kernel.forget(o)
	}
	newlyPending := o.deleteOnClose && !n.deletePending
	if o.deleteOnClose {
		if !n.deletePending {
			n.delFS = o.tree.fs()
		}
		n.deletePending = true
	}
	last := len(n.opens) == 0
	del := last && n.deletePending
	path := n.key.path
	share := n.key.share
	delFS := n.delFS
	if del {
		n.deletePending, n.delFS = false, nil
	}
	n.mu.Unlock()
	if newlyPending && !last {
		t.ns.deletePending(n)
	}
	o.mu.Lock()
	changed := o.wrote && o.stream == "" // the last-write time is settled at close
	o.mu.Unlock()
	if o.stream != "" && del {
		if err := removeStream(o.file); err != nil { // a named stream: drop it only
			log.Warn("delete on close failed", "path", path, "err", err)
		}
	} else if del && share.FS != nil {
		if delFS == nil {
			delFS = share.FS
		}
		if err := delFS.Remove(path); err != nil {
			log.Warn("delete on close failed", "path", path, "err", err)
		} else {
			t.ns.updateMeta(share, path, func(m *pathMeta) { *m = pathMeta{} }) // forgotten, so it cannot pile up
			if fi, err := o.file.Stat(); err == nil {
				t.ns.forgetDOS(share, path, fi, vfs.Links(fi) == 0) // dosattr.go
			}
			changed = true
		}
	}
	if changed && share != nil {
		t.dirChanged(share, path, o) // dirlease.go; no node mutex is held here
	}
	for _, w := range waiters {
		w()
	}
	t.put(n)
}

// deletePending reports whether o's file is delete-pending.
func (t *nodeTable) deletePending(o *open) bool {
	n := o.node
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.deletePending
}

// setDeletePending sets or clears the delete-pending state of o's file
// (SET_INFO disposition); the file is then removed as o's user.
func (t *nodeTable) setDeletePending(o *open, del bool) {
	n := o.node
	n.mu.Lock()
	n.deletePending, n.delFS = del, nil
	if del {
		n.delFS = o.tree.fs()
	}
	n.mu.Unlock()
}

// lastCloseDeletes reports whether closing o (with delete-on-close doc)
// removes its file: it is the last open of a delete-pending file.
func (t *nodeTable) lastCloseDeletes(o *open, doc bool) bool {
	n := o.node
	n.mu.Lock()
	defer n.mu.Unlock()
	return (doc || n.deletePending) && len(n.opens) == 1
}

// mayWrite reports whether an open of o's node, o included, holds any
// of the access rights in mask or write caching.
func (t *nodeTable) mayWrite(o *open, mask uint32) bool {
	n := o.node
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, x := range n.opens {
		if x.access&mask != 0 || oplockToCache(x.oplock)&cacheW != 0 ||
			(x.lease != nil && x.lease.state&cacheW != 0) {
			return true
		}
	}
	return false
}
