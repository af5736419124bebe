package server

import (
	"io"
	"syscall"

	"github.com/zerosmb/zerosmb/internal/sign"
	"github.com/zerosmb/zerosmb/internal/zerocopy"
	"github.com/zerosmb/zerosmb/smb2"
)

// maxCompoundResponse bounds the bytes of one response frame that carries
// READ payloads through memory (compounds); a lone READ is at most MaxIOSize.
const maxCompoundResponse = 16 << 20

// frameBuilder assembles the response frame for one request frame: one
// message, or several for a compound. The last element of a single-element
// frame may carry a READ payload that goes out with sendfile.
type frameBuilder struct {
	c        *conn
	sealed   bool          // the request frame was encrypted: so is this one
	trv      transformInfo // for whom, when sealed
	buf      []byte        // 4-byte frame header + messages
	last     int           // offset in buf of the last element; 0 when none
	lastR    *request
	signLast bool
	zc       *readData // payload to sendfile after buf
	zcSigned bool      // zc is signed over a file mapping (signsend_linux.go)
	zcStamp  fileStamp // the file as it was hashed, when zcSigned
	zcLast   byte      // zc's last byte as hashed, when zcSigned
	zcOpen   *open     // the open zc reads, when zcSigned
	signed   bool      // the last element was signed while its payload was read (appendSigned)
	pending  []*asyncOp
	cork     bool // the serve goroutine's frame: may be corked (conn.queueFrame)
}

func (b *frameBuilder) init(c *conn, tr *transformInfo) {
	b.c = c
	b.buf = getBuf(4096)[:4]
	if tr != nil {
		b.trv = *tr // a copy: the caller's may then stay on its stack
		b.sealed = true
		// Room for the transform header: the messages are sealed where
		// they are built (sealFrame).
		b.buf = b.buf[:4+sign.TransformHeaderSize]
	}
}

// reserve makes sure b.buf has room for n more bytes.
func (b *frameBuilder) reserve(n int) {
	if cap(b.buf)-len(b.buf) >= n {
		return
	}
	nb := getBuf(len(b.buf) + n)[:len(b.buf)]
	copy(nb, b.buf)
	putBuf(b.buf)
	b.buf = nb
}

func (b *frameBuilder) release() {
	if b.buf != nil {
		putBuf(b.buf)
		b.buf = nil
	}
}

// add appends the response to r.
func (b *frameBuilder) add(r *request, resp *response, grant uint16) error {
	if b.last != 0 {
		b.closeElement(true)
	}
	b.last = len(b.buf)
	b.lastR = r
	h := smb2.Header{
		CreditCharge: r.hdr.CreditCharge,
		Status:       resp.status,
		Command:      r.hdr.Command,
		Credits:      grant,
		Flags:        smb2.FlagResponse | r.hdr.Flags&(smb2.FlagRelatedOperations|smb2.FlagPriorityMask),
		MessageID:    r.hdr.MessageID,
		TreeID:       r.hdr.TreeID,
		SessionID:    r.hdr.SessionID,
	}
	if r.hdr.Flags&smb2.FlagAsync != 0 {
		h.Flags |= smb2.FlagAsync
		h.AsyncID = r.hdr.AsyncID
	}
	if resp.status == smb2.StatusUserSessionDeleted && r.hdr.Flags&smb2.FlagSigned != 0 {
		// The session and its key are gone, so this cannot be signed;
		// like Samba keep the request's SIGNED flag (zero signature).
		// Clients that require signing (Samba's) accept exactly this
		// for USER_SESSION_DELETED and refuse an unflagged response.
		h.Flags |= smb2.FlagSigned
	}
	body := resp.body
	if resp.pending != nil {
		h.Status = smb2.StatusPending
		h.Flags |= smb2.FlagAsync
		h.AsyncID = resp.pending.id
		body = nil
		b.pending = append(b.pending, resp.pending)
	}
	if d := resp.data; d != nil && resp.pending == nil && len(b.buf)+int(d.n) > maxCompoundResponse {
		// A compound's responses are built in memory: bound the total.
		b.c.log.Warn("compound response too large; element refused", "command", r.hdr.Command.String())
		resp = &response{status: smb2.StatusInsufficientResources}
		h.Status = resp.status
		body = nil
	}
	b.buf = h.Append(b.buf)
	if body == nil {
		b.buf = smb2.AppendError(b.buf, resp.errData)
	} else {
		b.buf = append(b.buf, body...)
	}
	b.signLast = b.c.shouldSign(r, &h)
	if d := resp.data; d != nil && resp.pending == nil {
		switch {
		case b.sealed:
			b.c.srv.data.readSealed.Add(uint64(d.n))
		case b.signLast:
			b.c.srv.data.readSigned.Add(uint64(d.n))
		}
		if b.canSendfile(r, d) {
			b.zc = d
		} else if b.canSignedSendfile(r, d) {
			b.zc, b.zcSigned = d, true
		} else if !b.signLast || r.compound || d.n <= signChunkMin || !b.appendSigned(d) {
			b.appendData(d)
		}
	}
	return nil
}

// canSendfile reports whether d may leave through the zero-copy path.
func (b *frameBuilder) canSendfile(r *request, d *readData) bool {
	c := b.c
	if !c.srv.cfg.Sendfile || c.sc == nil || b.sealed || r.compound || b.signLast {
		return false
	}
	_, ok := d.f.(zerocopy.Source)
	return ok && zerocopy.SendAvailable()
}

// appendData reads the payload into the frame (copy path), zero-padding if
// the file shrank.
func (b *frameBuilder) appendData(d *readData) {
	start := len(b.buf)
	need := start + int(d.n)
	b.reserve(int(d.n) + sealTagRoom) // a sealed frame's tag goes after it
	b.buf = b.buf[:need]
	b.c.srv.data.read.Add(uint64(d.n))
	n, err := d.f.ReadAt(b.buf[start:need], d.off)
	if n < int(d.n) {
		clear(b.buf[start+n : need])
		if err != nil && err != io.EOF {
			b.c.log.Warn("read failed after header was built; padded", "err", err)
		} else {
			b.c.log.Warn("file shrank during READ; padded with zeros", "want", d.n, "got", n)
		}
	}
}

// appendSigned is appendData for a signed lone READ response larger
// than signChunkMin: the payload is read signChunk bytes at a time and
// each chunk is MACed (sign.Stream) right after the read put it in cache,
// instead of MACing the whole frame afterwards, when a large payload has
// left the cache (at 8 MiB the MAC then reads it from memory a second
// time). It reports
// false, having done nothing, when the header cannot be hashed in parts.
func (b *frameBuilder) appendSigned(d *readData) bool {
	if (len(b.buf)-b.last)%16 != 0 {
		return false // sign.Stream needs whole AES blocks before the payload
	}
	start := len(b.buf)
	need := start + int(d.n)
	b.reserve(int(d.n)) // first: the Stream holds the header where it lies
	b.buf = b.buf[:need]
	var st sign.Stream
	if !b.lastR.sess.signer.Start(&st, b.buf[b.last:start]) {
		b.buf = b.buf[:start]
		return false
	}
	b.c.srv.data.read.Add(uint64(d.n))
	for at := start; at < need; {
		k := min(need-at, signChunk)
		n, err := d.f.ReadAt(b.buf[at:at+k], d.off+int64(at-start))
		if n < k {
			clear(b.buf[at+n : need])
			if err != nil && err != io.EOF {
				b.c.log.Warn("read failed after header was built; padded", "err", err)
			} else {
				b.c.log.Warn("file shrank during READ; padded with zeros", "want", d.n, "got", at-start+n)
			}
			k = need - at
		}
		st.Write(b.buf[at : at+k])
		at += k
	}
	st.Finish()
	b.signed = true
	return true
}

// closeElement pads the last element, links it to the next one and signs it.
func (b *frameBuilder) closeElement(more bool) {
	// Every element of a compound response is 8-byte padded, the last one
	// too (as Windows and Samba do); a lone response is not.
	if more || b.lastR.compound {
		for (len(b.buf)-b.last)%8 != 0 {
			b.buf = append(b.buf, 0)
		}
	}
	if more {
		smb2.SetNextCommand(b.buf[b.last:], uint32(len(b.buf)-b.last))
	}
	msg := b.buf[b.last:]
	if b.zcSigned && !b.signWithFile(msg, b.zc) {
		// Mapping failed or faulted: fall back to the copy path.
		d := b.zc
		b.zc, b.zcSigned = nil, false
		b.appendData(d)
		msg = b.buf[b.last:]
	}
	if b.signLast && !b.zcSigned && !b.signed {
		b.lastR.sess.signer.Sign(msg)
	}
	b.signed = false
	if b.lastR.onSent != nil {
		b.lastR.onSent(msg)
	}
}

// flush writes the frame.
func (b *frameBuilder) flush() error {
	if b.last == 0 {
		return nil
	}
	b.closeElement(false)
	var err error
	switch {
	case b.sealed:
		if err = b.sealFrame(); err == nil {
			if b.corkable() {
				err = b.c.queueFrame(b.buf)
			} else {
				err = b.c.writeFrame(b.buf)
			}
		}
	case b.zc != nil && b.zcSigned:
		smb2.PutFrameHeader(b.buf, len(b.buf)-4+int(b.zc.n))
		err = b.c.sendSignedWithFile(b.buf, b.zc, b.zcStamp, b.zcLast)
	case b.zc != nil:
		smb2.PutFrameHeader(b.buf, len(b.buf)-4+int(b.zc.n))
		err = b.c.sendWithFile(b.buf, b.zc)
	case b.corkable():
		smb2.PutFrameHeader(b.buf, len(b.buf)-4)
		err = b.c.queueFrame(b.buf)
	default:
		smb2.PutFrameHeader(b.buf, len(b.buf)-4)
		err = b.c.writeFrame(b.buf)
	}
	for _, op := range b.pending {
		op.interimSent()
	}
	return err
}

// corkable reports whether the frame may be held back (conn.queueFrame).
func (b *frameBuilder) corkable() bool {
	return b.cork && !b.lastR.compound && b.lastR.rule != nil && b.lastR.rule.cork
}

// sendWithFile writes hdr and then the file range with sendfile.
func (c *conn) sendWithFile(hdr []byte, d *readData) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.armWriteDeadline()
	padded, zc, err := zerocopy.SendFile(c.sc, c.takeCorked(hdr), d.f.(zerocopy.Source), d.off, d.n)
	if err == nil {
		c.srv.data.read.Add(uint64(d.n))
		if zc {
			c.srv.data.readSendfile.Add(uint64(d.n - padded))
		}
	}
	if padded > 0 {
		c.log.Warn("file shrank during READ; padded with zeros", "padded", padded)
	}
	return err
}

// shouldSign decides whether a response header h to r is signed.
func (c *conn) shouldSign(r *request, h *smb2.Header) bool {
	s := r.sess
	if s == nil || s.signer == nil || r.encrypted {
		return false
	}
	if h.Command == smb2.SessionSetup {
		return h.Status == smb2.StatusSuccess && s.signFinal
	}
	if h.Status == smb2.StatusPending {
		return r.signed
	}
	return r.signed || s.signingRequired
}

var _ = syscall.EAGAIN
