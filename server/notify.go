package server

import (
	"github.com/zerosmb/zerosmb/smb2"
)

// CHANGE_NOTIFY (MS-SMB2 3.3.5.19). A request on a directory handle
// stays pending until something changes in the directory through this
// server (CREATE, rename, delete, attribute changes), until it is
// cancelled (STATUS_CANCELLED) or until the handle is closed
// (STATUS_NOTIFY_CLEANUP). Changes made behind the server's back are not
// seen. Changes that happen while no request is pending are queued on
// the handle's watcher and returned by the next request.
//
// As Windows and Samba do, the first request on a handle fixes its
// completion filter and WATCH_TREE flag until the handle is closed
// (later requests' values are ignored), so a change is judged the same
// way whether or not a request happens to be pending when it is made;
// its OutputBufferLength bounds every later response too (a response is
// at most the smaller of the two, else STATUS_NOTIFY_ENUM_DIR). An
// OutputBufferLength above the negotiated MaxTransactSize is
// STATUS_INVALID_PARAMETER.
// Several requests may be pending on one handle (up to
// maxPendingNotify); each change completes the oldest.

// maxQueuedChanges bounds a watcher's backlog; past it the next
// completion is STATUS_NOTIFY_ENUM_DIR ("re-read the directory").
const maxQueuedChanges = 256

// maxPendingNotify bounds the CHANGE_NOTIFY requests pending on one
// handle; one more is refused with STATUS_INSUFFICIENT_RESOURCES.
const maxPendingNotify = 64

// watcher is a directory handle that has asked for change notifications.
type watcher struct {
	o *open
	// The following are guarded by nsState.mu.
	dir      string // share path of the watched directory (updated on rename)
	tree     bool   // WATCH_TREE of the first request
	filter   uint32 // completion filter of the first request
	maxBuf   uint32 // OutputBufferLength of the first request: responses never exceed it
	pending  []notifyWaiter
	queued   []smb2.FileNotifyInformation
	overflow bool
}

// notifyWaiter is one pending CHANGE_NOTIFY request of a watcher.
type notifyWaiter struct {
	op     *asyncOp
	maxOut uint32 // its OutputBufferLength
}

func (c *conn) handleChangeNotify(r *request) response {
	req, err := smb2.DecodeChangeNotifyRequest(r.msg)
	if err != nil {
		return errResp(smb2.StatusInvalidParameter)
	}
	o, st := c.lookupOpen(r, req.FileID)
	if st != smb2.StatusSuccess {
		return errResp(st)
	}
	if !o.isDir || o.file == nil || req.OutputBufferLength > c.maxIO {
		return errResp(smb2.StatusInvalidParameter) // maxIO is the MaxTransactSize negotiated
	}
	if !o.has(fileReadData) {
		return errResp(smb2.StatusAccessDenied)
	}
	if o.node != nil {
		if c.srv.state.deletePending(o) {
			return errResp(smb2.StatusDeletePending) // the directory is going away
		}
	}
	ns := &c.srv.nodes.ns
	ns.mu.Lock()
	w := ns.watcherOf(o)
	if w == nil {
		w = &watcher{o: o, dir: o.path(), tree: req.Flags&smb2.ChangeNotifyWatchTree != 0,
			filter: req.CompletionFilter, maxBuf: req.OutputBufferLength}
		if ns.watchers == nil {
			ns.watchers = make(map[*watcher]struct{})
		}
		ns.watchers[w] = struct{}{}
		o.mu.Lock()
		closed := o.closed
		if !closed {
			o.atClose(func() { ns.dropWatcher(w) })
		}
		o.mu.Unlock()
		if closed {
			delete(ns.watchers, w)
			ns.mu.Unlock()
			return errResp(smb2.StatusFileClosed)
		}
	}
	if len(w.pending) == 0 && (len(w.queued) > 0 || w.overflow) {
		resp := w.takeResponse(req.OutputBufferLength)
		ns.mu.Unlock()
		return resp
	}
	if len(w.pending) >= maxPendingNotify {
		ns.mu.Unlock()
		return errResp(smb2.StatusInsufficientResources)
	}
	var op *asyncOp
	sess := r.sess
	op = c.goAsync(r, func() {
		ns.mu.Lock()
		w.removeWaiter(op)
		ns.mu.Unlock()
		if c.lookupSession(sess.id) != sess {
			// LOGOFF (or teardown) cancels before closing the handles;
			// the client must see the handle-close answer.
			go op.complete(response{status: smb2.StatusNotifyCleanup, body: smb2.AppendOutputResponse(nil, nil)})
			return
		}
		go op.complete(errResp(smb2.StatusCancelled))
	})
	w.pending = append(w.pending, notifyWaiter{op: op, maxOut: req.OutputBufferLength})
	if o.node != nil {
		// Delete-pending may have been set since the check above; its
		// deletePending call then ran before op was pending (lock order:
		// ns.mu, then node.mu).
		if c.srv.state.deletePending(o) {
			w.removeWaiter(op)
			ns.mu.Unlock()
			go op.complete(errResp(smb2.StatusDeletePending))
			return response{pending: op}
		}
	}
	ns.mu.Unlock()
	return response{pending: op}
}

// removeWaiter drops op from w's pending requests. The caller holds the
// nsState lock.
func (w *watcher) removeWaiter(op *asyncOp) {
	for i, pw := range w.pending {
		if pw.op == op {
			w.pending = append(w.pending[:i], w.pending[i+1:]...)
			return
		}
	}
}

// takeWaiters removes and returns every pending request of w. The caller
// holds the nsState lock.
func (w *watcher) takeWaiters() []*asyncOp {
	ops := make([]*asyncOp, 0, len(w.pending))
	for _, pw := range w.pending {
		ops = append(ops, pw.op)
	}
	w.pending = nil
	return ops
}

// watcherOf returns o's watcher, if any. The caller holds s.mu.
func (s *nsState) watcherOf(o *open) *watcher {
	for w := range s.watchers {
		if w.o == o {
			return w
		}
	}
	return nil
}

// dropWatcher removes w (its handle is closing) and completes its pending
// request with STATUS_NOTIFY_CLEANUP.
func (s *nsState) dropWatcher(w *watcher) {
	s.mu.Lock()
	delete(s.watchers, w)
	ops := w.takeWaiters()
	s.mu.Unlock()
	for _, op := range ops {
		// Not inline: the interim response may still be unsent when the
		// CLOSE is part of the same compound.
		go op.complete(response{status: smb2.StatusNotifyCleanup, body: smb2.AppendOutputResponse(nil, nil)})
	}
}

// takeResponse builds the response for w's queued changes, for a request
// whose OutputBufferLength is maxOut, and clears them. The caller holds
// the nsState lock.
func (w *watcher) takeResponse(maxOut uint32) response {
	out := smb2.AppendFileNotifyInformation(nil, w.queued)
	overflow := w.overflow || uint32(len(out)) > min(maxOut, w.maxBuf)
	w.queued = nil
	w.overflow = false
	if overflow {
		return response{status: smb2.StatusNotifyEnumDir, body: smb2.AppendOutputResponse(nil, nil)}
	}
	return response{body: smb2.AppendOutputResponse(nil, out)}
}

// notify reports a change to share path p to the watchers of its parent
// directory (and of every ancestor watching the whole tree).
func (s *nsState) notify(share *Share, p string, action uint32, isDir bool) {
	filter := smb2.FileNotifyChangeFileName
	if isDir {
		filter = smb2.FileNotifyChangeDirName
	}
	s.notifyFiltered(share, p, action, filter)
}

// notifyFiltered is notify with an explicit completion-filter class.
func (s *nsState) notifyFiltered(share *Share, p string, action, filter uint32) {
	s.notifyUnless(share, p, action, filter, 0)
}

// notifyUnless is notifyFiltered for the watchers whose completion filter
// has none of the bits in unless.
func (s *nsState) notifyUnless(share *Share, p string, action, filter, unless uint32) {
	if p == "" {
		return
	}
	parent, _ := parentPath(p)
	var done []*asyncOp
	var resps []response
	s.mu.Lock()
	for w := range s.watchers {
		if w.o.tree.share != share || w.filter&filter == 0 || w.filter&unless != 0 {
			continue
		}
		if w.dir != parent && !(w.tree && pathWithin(p, w.dir) && p != w.dir) {
			continue
		}
		rel := p
		if w.dir != "" {
			rel = p[len(w.dir)+1:]
		}
		if len(w.queued) >= maxQueuedChanges {
			w.overflow = true
		} else {
			w.queued = append(w.queued, smb2.FileNotifyInformation{Action: action,
				FileName: smbName(rel)[1:]})
		}
		if len(w.pending) > 0 {
			pw := w.pending[0]
			w.pending = w.pending[1:]
			done = append(done, pw.op)
			resps = append(resps, w.takeResponse(pw.maxOut))
		}
	}
	s.mu.Unlock()
	for i, op := range done {
		go op.complete(resps[i])
	}
}

// renameWatchers updates the watched paths after a rename of oldp.
func (s *nsState) renameWatchers(share *Share, oldp, newp string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for w := range s.watchers {
		if w.o.tree.share == share && pathWithin(w.dir, oldp) {
			w.dir = newp + w.dir[len(oldp):]
		}
	}
}

// deletePending completes the pending CHANGE_NOTIFY requests on handles of
// node n with STATUS_DELETE_PENDING: the watched directory is being
// deleted, nothing more will be reported (as Windows and Samba answer).
func (s *nsState) deletePending(n *node) {
	s.mu.Lock()
	var ops []*asyncOp
	for w := range s.watchers {
		if w.o.node == n {
			ops = append(ops, w.takeWaiters()...)
		}
	}
	s.mu.Unlock()
	for _, op := range ops {
		go op.complete(errResp(smb2.StatusDeletePending))
	}
}
