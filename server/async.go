package server

import (
	"sync"

	"github.com/zerosmb/zerosmb/smb2"
)

// asyncOp is a request answered asynchronously (blocking LOCK,
// CHANGE_NOTIFY, pipe reads): an interim STATUS_PENDING response goes out
// first, the final response later from another goroutine.
type asyncOp struct {
	id     uint64
	c      *conn
	r      *request // copy of the request; r.msg is not valid after the handler returns
	sess   *session
	msgID  uint64
	cancel func() // asks the operation to finish with STATUS_CANCELLED

	once    sync.Once
	interim chan struct{} // closed once the interim response is on the wire
	done    sync.Once
	// then, when set (before the interim response is sent), sends the
	// final response instead of complete: a CREATE the compound was
	// split at, followed by the rest of its chain (splitChain).
	then func(final response)
}

// goAsync registers an async operation for r. The handler returns
// response{pending: op} and later calls op.complete from any goroutine.
// cancel is called (once) on CANCEL, LOGOFF, or connection teardown.
func (c *conn) goAsync(r *request, cancel func()) *asyncOp {
	rc := *r
	rc.msg = nil
	rc.split = nil
	op := &asyncOp{id: c.srv.newID(), c: c, r: &rc, sess: r.sess, msgID: r.hdr.MessageID,
		cancel: cancel, interim: make(chan struct{})}
	rc.hdr.Flags |= smb2.FlagAsync
	rc.hdr.AsyncID = op.id
	rc.compound = false
	c.mu.Lock()
	c.async[op.id] = op
	c.mu.Unlock()
	return op
}

func (op *asyncOp) interimSent() { op.once.Do(func() { close(op.interim) }) }

// cancelOp invokes the cancel function once.
func (op *asyncOp) cancelOp() {
	if op.cancel != nil {
		op.cancel()
	}
}

// abandon drops an operation whose interim response will never be sent:
// it is unregistered, asked to stop, and its completion sends nothing.
func (op *asyncOp) abandon() {
	op.done.Do(func() {
		op.c.mu.Lock()
		delete(op.c.async, op.id)
		op.c.mu.Unlock()
	})
	op.interimSent()
	op.cancelOp()
}

// complete sends the final response of an async operation. It waits until
// the interim response went out so the two never swap places.
func (op *asyncOp) complete(resp response) {
	op.done.Do(func() {
		<-op.interim
		c := op.c
		c.mu.Lock()
		delete(c.async, op.id)
		c.mu.Unlock()
		if op.then != nil {
			op.then(resp)
			return
		}
		var b frameBuilder
		r := op.r
		var tr *transformInfo
		if r.encrypted {
			tr = &transformInfo{sessionID: r.sess.id, sealer: r.sess.sealer}
		}
		b.init(c, tr)
		defer b.release()
		c.srv.ops.countStatus(resp.status)
		if err := b.add(r, &resp, 0); err == nil {
			if err := b.flush(); err != nil {
				c.log.Debug("async response not sent", "err", err)
			}
		}
	})
}

// handleCancel cancels a pending request named by AsyncId or MessageId.
// CANCEL has no response of its own.
func (c *conn) handleCancel(r *request) response {
	c.mu.Lock()
	var target *asyncOp
	if r.hdr.Flags&smb2.FlagAsync != 0 {
		target = c.async[r.hdr.AsyncID]
	} else {
		for _, op := range c.async {
			if op.msgID == r.hdr.MessageID {
				target = op
				break
			}
		}
	}
	c.mu.Unlock()
	if target != nil {
		target.cancelOp()
	}
	return response{noResponse: true}
}
