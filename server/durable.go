package server

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/zerosmb/zerosmb/smb2"
)

// Durable handles (MS-SMB2 3.3.5.9.6, 3.3.5.9.7, 3.3.5.9.10, 3.3.5.9.12,
// 3.3.7.1). An open is granted durability when it holds handle caching (a
// batch oplock or a lease with H) and is not a directory. When its
// connection goes away while it still holds H, it stays attached to its
// node (share mode, locks, lease) as a disconnected open until the same
// user reclaims it on a new connection, someone else's open needs its
// caching broken (it is purged instead: nobody can acknowledge), or its
// timeout passes (scavenged). Persistent handles are never granted: no
// share is continuously available.

// Durable timeouts: version 1 opens are kept 16 minutes (as Windows and
// Samba); version 2 opens what the client asked, at most 5 minutes, 60 s
// when it asked 0.
const (
	durableV1Timeout    = 16 * time.Minute
	durableV2MaxTimeout = 5 * time.Minute
	durableV2Default    = 60 * time.Second
	// DefaultMaxDurableOpens bounds the durable opens of the whole server
	// (connected or not); beyond it durability is not granted.
	DefaultMaxDurableOpens = 16384
	// DefaultMaxDurableOpensPerSession bounds those one session made.
	DefaultMaxDurableOpensPerSession = 4096
)

// durableRequest is what a CREATE's durable contexts ask.
type durableRequest struct {
	version    uint8 // 0 none, 1 DHnQ, 2 DH2Q
	timeout    time.Duration
	createGUID [16]byte
	reconnect  uint8 // 1 DHnC, 2 DH2C
	fileID     smb2.FileID
	// app is the application instance a DH2Q open is made for (3.x).
	app *appInstanceRequest
}

// parseDurable reads the durable contexts of req and rejects the
// combinations MS-SMB2 3.3.5.9 forbids.
func parseDurable(req *smb2.CreateRequest) (durableRequest, smb2.Status) {
	var d durableRequest
	dhnq, hasNQ := req.Context(smb2.CreateContextDurableRequest)
	dhnc, hasNC := req.Context(smb2.CreateContextDurableReconnect)
	dh2q, has2Q := req.Context(smb2.CreateContextDurableRequestV2)
	dh2c, has2C := req.Context(smb2.CreateContextDurableReconnectV2)
	if hasNC && has2C || hasNC && has2Q || has2C && hasNQ || has2Q && has2C || hasNQ && has2Q {
		return d, smb2.StatusInvalidParameter
	}
	// Besides the durable contexts a reconnect may carry its lease and
	// the two pure queries, QFid and MxAc (the Linux kernel client sends
	// RqLs, DHnC and QFid); anything else fails it with
	// OBJECT_NAME_NOT_FOUND, as on Samba.
	others := len(req.CreateContexts)
	for _, tag := range []string{smb2.CreateContextRequestLease, smb2.CreateContextQueryOnDiskID, smb2.CreateContextQueryMaximalAccess} {
		if _, ok := req.Context(tag); ok {
			others--
		}
	}
	switch {
	case hasNC:
		id, err := smb2.DecodeDurableHandleReconnect(dhnc)
		if err != nil || len(dhnc) != 16 {
			return d, smb2.StatusInvalidParameter
		}
		if hasNQ {
			others--
		}
		if others != 1 {
			return d, smb2.StatusObjectNameNotFound // 3.3.5.9.7: nothing else may come along
		}
		d.reconnect, d.fileID = 1, id
		if hasNQ {
			d.version = 1
		}
	case has2C:
		r, err := smb2.DecodeDurableHandleReconnectV2(dh2c)
		if err != nil || len(dh2c) != 36 {
			return d, smb2.StatusInvalidParameter
		}
		for _, tag := range []string{smb2.CreateContextAppInstanceID, smb2.CreateContextAppInstanceVersion} {
			if _, ok := req.Context(tag); ok {
				others-- // skipped with DH2C (MS-SMB2 3.3.5.9.13)
			}
		}
		if others != 1 {
			return d, smb2.StatusObjectNameNotFound
		}
		d.reconnect, d.fileID, d.createGUID = 2, r.FileID, r.CreateGUID
	case has2Q:
		r, err := smb2.DecodeDurableHandleRequestV2(dh2q)
		if err != nil || len(dh2q) != 32 {
			return d, smb2.StatusInvalidParameter
		}
		d.version, d.createGUID = 2, r.CreateGUID
		d.timeout = min(time.Duration(r.Timeout)*time.Millisecond, durableV2MaxTimeout)
		if d.timeout == 0 {
			d.timeout = durableV2Default
		}
	case hasNQ:
		if len(dhnq) != 16 {
			return d, smb2.StatusInvalidParameter
		}
		d.version, d.timeout = 1, durableV1Timeout
	}
	return d, smb2.StatusSuccess
}

// ownerKey names the user that may reclaim a durable open.
func ownerKey(s *session) string {
	return strings.ToLower(s.domain + `\` + s.user)
}

// grantDurable makes o durable when d asks for it and o holds handle
// caching; it returns the response context, if any.
func (t *nodeTable) grantDurable(o *open, d *durableRequest) []smb2.CreateContext {
	if d.version == 0 || o.isDir || o.node == nil || o.stream != "" {
		return nil
	}
	n := o.node
	n.mu.Lock()
	hasH := o.caching()&cacheH != 0
	n.mu.Unlock()
	if !hasH {
		t.log.Debug("durable handle not granted: no handle caching", "path", o.name, "version", d.version)
		return nil
	}
	t.lmu.Lock()
	if !t.addDurable(o) {
		t.lmu.Unlock()
		t.log.Debug("durable handle not granted: durable open limit", "path", o.name)
		return nil
	}
	o.durable, o.durableTimeout, o.createGUID = d.version, d.timeout, d.createGUID
	o.owner = ownerKey(o.sess)
	t.lmu.Unlock()
	if d.version == 1 {
		return []smb2.CreateContext{{Name: smb2.CreateContextDurableRequest, Data: smb2.DurableHandleResponse()}}
	}
	return []smb2.CreateContext{{Name: smb2.CreateContextDurableRequestV2,
		Data: smb2.DurableHandleResponseV2(uint32(d.timeout/time.Millisecond), 0)}}
}

// disconnect keeps o as a disconnected durable open when its connection
// went away; it reports false when o must be closed instead (not durable,
// or it lost its handle caching meanwhile).
func (t *nodeTable) disconnect(o *open) bool {
	if o.durable == 0 && !o.resilient || o.node == nil {
		return false
	}
	n := o.node
	n.mu.Lock()
	breaking := o.obreaking || o.lease != nil && o.lease.breaking
	if o.resilient && breaking {
		// Kept whatever its caching, but the break it owes cannot be
		// acknowledged now: it ends here, to none.
		t.dropCaching(n, o)
		n.wake()
	} else if !o.resilient && (o.caching()&cacheH == 0 || breaking) {
		// It lost the handle caching durability needs, or someone waits
		// for a break nobody can acknowledge now: close it.
		n.mu.Unlock()
		t.log.Debug("durable open closed at disconnect: no handle caching or a break pending", "path", o.name)
		return false
	}
	o.disconnected = true
	o.scavenger = time.AfterFunc(o.durableTimeout, func() { t.purge(o) })
	n.mu.Unlock()
	o.mu.Lock()
	waiters := o.onClose
	o.onClose = nil
	o.mu.Unlock()
	for _, f := range waiters {
		f() // pending notify/lock requests of the lost connection end
	}
	return true
}

// purgeDisconnected purges o if it is disconnected and reports whether
// it was.
func (t *nodeTable) purgeDisconnected(o *open) bool {
	n := o.node
	n.mu.Lock()
	disconnected := o.disconnected
	n.mu.Unlock()
	if disconnected {
		t.purge(o)
	}
	return disconnected
}

// purge closes a disconnected durable open for good: its timeout passed,
// or another open needs a break it can no longer acknowledge.
func (t *nodeTable) purge(o *open) {
	n := o.node
	n.mu.Lock()
	if !o.disconnected {
		n.mu.Unlock()
		return
	}
	o.disconnected = false
	if o.scavenger != nil {
		o.scavenger.Stop()
	}
	n.mu.Unlock()
	o.mu.Lock()
	already := o.closed
	o.closed = true
	o.mu.Unlock()
	if already {
		return
	}
	t.forgetDurable(o)
	t.release(o, t.log)
	o.smap.close()
	if o.file != nil {
		o.file.Close()
	}
}

// forgetDurable drops o from the durable table.
func (t *nodeTable) forgetDurable(o *open) {
	if o.durable == 0 && !o.resilient && o.app == nil {
		return
	}
	t.lmu.Lock()
	t.forgetAppInstance(o)
	if t.durables[o.id.Persistent] == o {
		delete(t.durables, o.id.Persistent)
		if t.durablePerSess[o.durableSess]--; t.durablePerSess[o.durableSess] <= 0 {
			delete(t.durablePerSess, o.durableSess)
		}
	}
	t.lmu.Unlock()
}

// addDurable enters o in the durable table, charged to its session,
// unless the server-wide or the per-session cap is reached. lmu held.
func (t *nodeTable) addDurable(o *open) bool {
	if t.durables[o.id.Persistent] == o {
		return true
	}
	sid := o.sess.id
	if len(t.durables) >= t.maxDurable || t.durablePerSess[sid] >= t.maxDurablePerSess {
		return false
	}
	t.durables[o.id.Persistent] = o
	o.durableSess = sid
	t.durablePerSess[sid]++
	return true
}

// reclaim hands the disconnected durable open named by d to session s
// (DHnC/DH2C) after the checks of MS-SMB2 3.3.5.9.7 and 3.3.5.9.12.
func (t *nodeTable) reclaim(d *durableRequest, s *session, tr *tree, lr *smb2.LeaseRequest, name string, client [16]byte) (*open, smb2.Status) {
	t.lmu.Lock()
	o := t.durables[d.fileID.Persistent]
	t.lmu.Unlock()
	if o == nil || o.id != d.fileID {
		return nil, smb2.StatusObjectNameNotFound
	}
	n := o.node
	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case !o.disconnected || !o.resilient && o.caching()&cacheH == 0:
		return nil, smb2.StatusObjectNameNotFound
	case d.reconnect == 2 && d.createGUID != o.createGUID:
		return nil, smb2.StatusObjectNameNotFound
	case o.owner != ownerKey(s):
		return nil, smb2.StatusAccessDenied
	case (lr == nil) != (o.lease == nil) && !(o.resilient && o.lease == nil):
		// A resilient open may have lost its lease while disconnected;
		// it comes back without one.
		return nil, smb2.StatusObjectNameNotFound
	case lr != nil && o.lease != nil && (lr.LeaseKey != o.lease.id.key || client != o.lease.id.client):
		return nil, smb2.StatusObjectNameNotFound // a lease belongs to its ClientGuid
	case lr != nil && o.lease != nil && !strings.EqualFold(name, o.name):
		return nil, smb2.StatusInvalidParameter
	}
	o.disconnected = false
	t.reclaims.Add(1)
	if o.scavenger != nil {
		o.scavenger.Stop()
		o.scavenger = nil
	}
	// Hand it over under the node's lock: breaks from now on reach the
	// new connection.
	o.mu.Lock()
	o.sess, o.tree = s, tr
	o.mu.Unlock()
	if o.lease != nil {
		o.lease.sink = s.c
	}
	return o, smb2.StatusSuccess
}

// reconnectDurable answers a CREATE with DHnC or DH2C.
func (c *conn) reconnectDurable(r *request, req *smb2.CreateRequest, d *durableRequest) response {
	var lr *smb2.LeaseRequest
	if b, ok := req.Context(smb2.CreateContextRequestLease); ok && c.dialect >= smb2.Dialect210 {
		l, err := smb2.DecodeLeaseRequest(b)
		if err != nil {
			return errResp(smb2.StatusInvalidParameter)
		}
		lr = &l
	}
	name := strings.ReplaceAll(req.Name, `\`, "/")
	o, st := c.srv.state.reclaim(d, r.sess, r.tree, lr, name, c.clientGUID)
	if st != smb2.StatusSuccess {
		c.log.Debug("durable reconnect refused", "path", name, "version", d.version, "status", st)
		return errResp(st)
	}
	c.log.Debug("durable open reclaimed", "path", name, "version", d.version)
	c.mu.Lock()
	c.opens[o.id.Volatile] = o
	c.mu.Unlock()
	r.setFileID(o.id)
	o.channelSeq.Store(uint32(uint16(r.hdr.Status)))
	fi, err := o.file.Stat()
	if err != nil {
		return errResp(statusFromError(err))
	}
	info := c.fileInfo(o.tree.share, o.path(), fi, dosSrc(o))
	resp := c.openedResponse(o, smb2.FileOpened, o.id, info)
	resp.CreateContexts = createContextResponses(req, o.maxAccess, o.tree.share, info.IndexNumber)
	if st := c.srv.state.describe(o); st.hasLease {
		resp.CreateContexts = append(resp.CreateContexts, leaseResponse(st))
	}
	if d.version == 1 {
		resp.CreateContexts = append(resp.CreateContexts,
			smb2.CreateContext{Name: smb2.CreateContextDurableRequest, Data: smb2.DurableHandleResponse()})
	}
	return response{body: resp.Append(nil)}
}

// durableStats counts the durable and resilient opens and the reclaims.
type durableStats struct {
	opens, disconnected int
	reclaims            uint64
}

// durableStats implements stateStore.durableStats.
func (t *nodeTable) durableStats() durableStats {
	t.lmu.Lock()
	opens := slices.Collect(maps.Values(t.durables))
	t.lmu.Unlock()
	st := durableStats{opens: len(opens), reclaims: t.reclaims.Load()}
	for _, o := range opens {
		n := o.node
		n.mu.Lock()
		if o.disconnected {
			st.disconnected++
		}
		n.mu.Unlock()
	}
	return st
}
