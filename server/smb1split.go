package server

import (
	"io"

	"github.com/zerosmb/zerosmb/internal/zerocopy"
	"github.com/zerosmb/zerosmb/smb1"
)

// Header splitting for SMB1 WRITE_ANDX, the seed's recvfile: of a large
// unsigned WRITE_ANDX only the header, the 14 parameter words, ByteCount
// and the pad bytes before the data (at most smb1MaxSplitPad) are read; the
// payload stays in the socket for the SMB2 WRITE handler to splice into
// the file at its offset (receivePayload), or to drain if it refuses.

// smb1MaxSplitPad bounds the pad bytes between ByteCount and the data of a
// WRITE_ANDX taken by header splitting (clients send 0 or 1).
const smb1MaxSplitPad = 8

// smb1ReadSplitWrite reads the frame of length n whose first bytes, pre
// (at most the 4-byte frame header), were already taken: a WRITE_ANDX
// eligible for splicing keeps its payload in the socket; anything else is
// read whole and handled normally.
func (c *conn) smb1ReadSplitWrite(n int, pre []byte) error {
	head := 4 + smb1.WriteAndXFixedSize
	buf := getBuf(head + smb1MaxSplitPad) // the frame-sized buffer only on the copy path
	defer putBuf(buf)
	copy(buf, pre)
	if _, err := io.ReadFull(c.nc, buf[len(pre):head]); err != nil {
		return err
	}
	if w, ok := c.smb1SplitEligible(buf[4:head], n); ok {
		end := 4 + int(w.DataOffset)
		if _, err := io.ReadFull(c.nc, buf[head:end]); err != nil { // pad bytes
			return err
		}
		if c.recv == nil {
			c.recv = zerocopy.NewReceiver()
		}
		return c.serveSMB1(buf[4:end], &splitPayload{remaining: int64(w.DataLength)})
	}
	return c.readRestAndHandle(buf[:head], n)
}

// smb1SplitEligible checks what can be checked before the payload moves: a
// lone WRITE_ANDX of at least RecvfileMin bytes whose data ends the frame
// after at most smb1MaxSplitPad pad bytes, on a logged-on UID.
func (c *conn) smb1SplitEligible(h []byte, frameLen int) (smb1.WriteAndXRequest, bool) {
	hdr, w, ok := smb1.PeekWriteAndX(h, frameLen, true)
	if !ok || int(w.DataOffset) > smb1.WriteAndXFixedSize+smb1MaxSplitPad || int(w.DataLength) < c.srv.cfg.RecvfileMin {
		return w, false
	}
	id, ok := c.s1.uids[hdr.UID]
	if !ok {
		return w, false
	}
	s := c.lookupSession(id)
	return w, s.valid() && !s.encryptData && s.signer == nil && !c.s1.sig.active
}
