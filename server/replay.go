package server

import (
	"sync/atomic"

	"github.com/zerosmb/zerosmb/smb2"
)

// Create replay (MS-SMB2 3.3.5.9.10, as Samba 4.17 does it; smbtorture
// smb2.replay). A CREATE with a DH2Q context names itself with a
// CreateGuid. While that CREATE runs (for instance waiting, async, for an
// oplock or lease break), another CREATE of the same client with the same
// CreateGuid gets STATUS_FILE_NOT_AVAILABLE. Once it produced an open, a
// CREATE with SMB2_FLAGS_REPLAY_OPERATION and that CreateGuid is answered
// with the same open, as created (the client lost the first response),
// and without the flag with STATUS_DUPLICATE_OBJECTID. The open stays
// replayable until a request other than CREATE uses it, it is closed, or
// its connection goes away; then the CreateGuid is free again. Entries
// are bounded by the opens and pending CREATEs that hold them.

// replayKey names a CREATE of a client: (ClientGuid, CreateGuid).
type replayKey struct {
	client, guid [16]byte
}

// replayTag names the request that reserved a key, so that its own
// retries after a break find the reservation theirs.
type replayTag struct {
	c   *conn
	mid uint64
}

// replayEntry is a reservation (o nil: the CREATE still runs) or the
// replayable open it produced.
type replayEntry struct {
	tag replayTag
	o   *open
}

// replayReservation is what a CREATE holds while it runs.
type replayReservation struct {
	key replayKey
	tag replayTag
}

// replayState is an open's membership in the replay table: key is set
// before eligible turns true, and read only after it was seen true.
type replayState struct {
	key      replayKey
	eligible atomic.Bool // still in the table
}

// beginReplayable looks key up for a CREATE (tag) with DH2Q. It returns
// the open to answer when the CREATE is a replay of a finished one; nil
// and success when the CREATE is to run (key is then reserved for tag
// until endReplayable); or the status to fail it with.
func (t *nodeTable) beginReplayable(key replayKey, tag replayTag, replay bool, s *session, tr *tree) (*open, smb2.Status) {
	t.lmu.Lock()
	defer t.lmu.Unlock()
	e := t.replays[key]
	switch {
	case e == nil:
	case e.o == nil && e.tag == tag:
		return nil, smb2.StatusSuccess // a retry of the reserving CREATE
	case e.o == nil:
		return nil, smb2.StatusFileNotAvailable // the first CREATE still runs
	case !replay:
		return nil, smb2.StatusDuplicateObjectID
	case e.o.sess == s && e.o.tree == tr && !e.o.disconnected && e.o.replay.eligible.Load():
		return e.o, smb2.StatusSuccess
	default:
		// The open belongs to another session or tree now, or lost its
		// connection: this replay is a new CREATE and takes the key over.
		e.o.replay.eligible.Store(false)
	}
	t.replays[key] = &replayEntry{tag: tag}
	return nil, smb2.StatusSuccess
}

// endReplayable settles the reservation of a CREATE that finished: o is
// the open it produced (replayable from now on), nil when it failed.
func (t *nodeTable) endReplayable(res *replayReservation, o *open) {
	t.lmu.Lock()
	defer t.lmu.Unlock()
	e := t.replays[res.key]
	if e == nil || e.o != nil || e.tag != res.tag {
		return
	}
	if o == nil {
		delete(t.replays, res.key)
		return
	}
	e.o = o
	o.replay.key = res.key
	o.replay.eligible.Store(true) // publishes key to replayUsed
}

// replayUsed ends o's replayability: a request other than CREATE used
// it, or it is closed. The first call does the work; later ones cost an
// atomic load.
func (t *nodeTable) replayUsed(o *open) {
	r := &o.replay
	if !r.eligible.Load() || !r.eligible.CompareAndSwap(true, false) {
		return
	}
	t.lmu.Lock()
	if e := t.replays[r.key]; e != nil && e.o == o {
		delete(t.replays, r.key)
	}
	t.lmu.Unlock()
}

// beginReplayCreate applies the replay rules to a CREATE with DH2Q on a
// 3.x connection: done reports that resp answers it (a replay, or a
// refusal); otherwise the CREATE runs holding r.replay.
func (c *conn) beginReplayCreate(r *request, req *smb2.CreateRequest, d *durableRequest) (resp response, done bool) {
	key := replayKey{client: c.clientGUID, guid: d.createGUID}
	tag := replayTag{c: c, mid: r.hdr.MessageID}
	replay := r.hdr.Flags&smb2.FlagReplayOperation != 0
	o, st := c.srv.state.beginReplayable(key, tag, replay, r.sess, r.tree)
	if st != smb2.StatusSuccess {
		return errResp(st), true
	}
	if o != nil {
		return c.replayResponse(r, req, o), true
	}
	r.replay = &replayReservation{key: key, tag: tag}
	return response{}, false
}

// endReplayCreate settles r's reservation once its CREATE finished (not
// when it waits for a break and will be retried).
func (c *conn) endReplayCreate(r *request) {
	if r.replay == nil || r.breakWait != nil {
		return
	}
	c.srv.state.endReplayable(r.replay, r.created)
	r.replay = nil
}

// replayResponse answers a replayed CREATE with the open it produced:
// the original CreateAction and the file's current state; the oplock
// level asked for now (a lease only with the open's own lease key, else
// STATUS_ACCESS_DENIED) and DH2Q when the open is durable and the replay
// asks for a batch oplock or a lease, as Samba answers. Nothing about the
// open changes and no break is sent.
func (c *conn) replayResponse(r *request, req *smb2.CreateRequest, o *open) response {
	level := req.RequestedOplockLevel
	if level == smb2.OplockLevelLease {
		b, ok := req.Context(smb2.CreateContextRequestLease)
		lr, err := smb2.DecodeLeaseRequest(b)
		switch {
		case !ok:
			level = smb2.OplockLevelNone
		case err != nil:
			return errResp(smb2.StatusInvalidParameter)
		case !c.hasLeaseKey(o, lr.LeaseKey):
			return errResp(smb2.StatusAccessDenied)
		}
	}
	fi, err := o.file.Stat()
	if err != nil {
		return errResp(statusFromError(err))
	}
	r.setFileID(o.id)
	info := c.fileInfo(o.tree.share, o.path(), fi, dosSrc(o))
	resp := c.openedResponse(o, o.createAction, o.id, info)
	resp.OplockLevel = level
	resp.CreateContexts = createContextResponses(req, o.maxAccess, o.tree.share, info.IndexNumber)
	if level == smb2.OplockLevelLease {
		resp.CreateContexts = append(resp.CreateContexts, leaseResponse(c.srv.state.describe(o)))
	}
	if o.durable == 2 && (level == smb2.OplockLevelBatch || level == smb2.OplockLevelLease) {
		resp.CreateContexts = append(resp.CreateContexts, smb2.CreateContext{Name: smb2.CreateContextDurableRequestV2,
			Data: smb2.DurableHandleResponseV2(uint32(o.durableTimeout.Milliseconds()), 0)})
	}
	c.log.Debug("CREATE replayed", "path", o.name, "file", o.id)
	return response{body: resp.Append(nil)}
}

// hasLeaseKey reports whether o holds a lease with key.
func (c *conn) hasLeaseKey(o *open, key [16]byte) bool {
	st := c.srv.state.describe(o)
	return st.hasLease && st.lease.LeaseKey == key
}

// checkChannelSequence verifies the ChannelSequence csn of a request on
// o (MS-SMB2 3.3.5.2.10, as Samba): the open's own or a newer one (less
// than 0x8000 ahead, modulo 2^16; it becomes the open's) is accepted; an
// older one fails WRITE, SET_INFO and IOCTL with STATUS_FILE_NOT_AVAILABLE
// (a request from before a channel failover must not overtake a replayed
// one) and lets other commands through. Requests on one connection are
// dispatched in order, so no older request is still outstanding here and
// the replay flag changes nothing.
func (o *open) checkChannelSequence(cmd smb2.Command, csn uint16) smb2.Status {
	for {
		cur := o.channelSeq.Load()
		switch d := csn - uint16(cur); {
		case d == 0:
			return smb2.StatusSuccess
		case d <= 0x7fff:
			if o.channelSeq.CompareAndSwap(cur, uint32(csn)) {
				return smb2.StatusSuccess
			}
		case cmd == smb2.Write || cmd == smb2.SetInfo || cmd == smb2.Ioctl:
			return smb2.StatusFileNotAvailable
		default:
			return smb2.StatusSuccess
		}
	}
}
