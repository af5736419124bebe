package server

import (
	"io"

	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs"
	"github.com/zerosmb/zerosmb/zerocopy"
)

// splitHeaderSize is what header splitting reads into user space: the SMB2
// header and the WRITE request's fixed part. The payload follows at
// DataOffset 0x70.
const splitHeaderSize = smb2.HeaderSize + 48

// recvfileCandidate reports whether a frame of length n might be a WRITE
// whose payload can be spliced into a file.
func (c *conn) recvfileCandidate(n int) bool {
	m := c.srv.cfg.RecvfileMin
	return m > 0 && c.negotiated && c.sc != nil && zerocopy.RecvAvailable() && n >= splitHeaderSize+m
}

// readSplitWrite reads only the header of a large frame. If it is an
// eligible WRITE the payload stays in the socket for the handler to splice;
// otherwise the rest of the frame is read and handled normally. withFH says
// the 4-byte frame header is still in the socket and is read along.
func (c *conn) readSplitWrite(n int, withFH bool) error {
	buf := getBuf(4 + n)
	defer putBuf(buf)
	if !withFH {
		buf = buf[4:]
	}
	if _, err := io.ReadFull(c.nc, buf[:len(buf)-n+splitHeaderSize]); err != nil {
		return err
	}
	buf = buf[len(buf)-n:]
	if c.splitEligible(buf[:splitHeaderSize], n) {
		if c.recv == nil {
			c.recv = zerocopy.NewReceiver()
		}
		return c.handleFrame(buf[:splitHeaderSize], &splitPayload{remaining: int64(n - splitHeaderSize)})
	}
	if _, err := io.ReadFull(c.nc, buf[splitHeaderSize:n]); err != nil {
		return err
	}
	return c.handleFrame(buf[:n], nil)
}

// splitEligible checks everything that can be checked before the payload
// moves: a lone, unsigned, unencrypted WRITE with its data right after the
// fixed part, on a session that does not need signing or encryption.
func (c *conn) splitEligible(h []byte, frameLen int) bool {
	if le.Uint32(h) != smb2.ProtocolSMB2 || le.Uint16(h[4:]) != smb2.HeaderSize {
		return false
	}
	if smb2.Command(le.Uint16(h[smb2.OffCommand:])) != smb2.Write {
		return false
	}
	flags := le.Uint32(h[smb2.OffFlags:])
	if flags&(smb2.FlagSigned|smb2.FlagRelatedOperations|smb2.FlagResponse) != 0 || le.Uint32(h[smb2.OffNextCommand:]) != 0 {
		return false
	}
	body := h[smb2.HeaderSize:]
	if le.Uint16(body) != 49 || le.Uint16(body[2:]) != splitHeaderSize {
		return false
	}
	if int(le.Uint32(body[4:])) != frameLen-splitHeaderSize {
		return false
	}
	if le.Uint32(body[32:]) != 0 { // Channel must be NONE
		return false
	}
	s := c.lookupSession(le.Uint64(h[smb2.OffSessionID:]))
	if s == nil || !s.valid() || s.encryptData || (s.signingRequired && s.signer != nil) {
		return false
	}
	return true
}

// receivePayload moves a split WRITE payload into f at off. A non-nil
// error means the stream is out of sync and the connection must close.
func (c *conn) receivePayload(r *request, f vfs.File, off int64) (int64, error) {
	p := r.split
	n := p.remaining
	p.remaining = 0
	if sink, ok := f.(zerocopy.Sink); ok {
		return c.recv.RecvFile(c.sc, sink, off, n)
	}
	return zerocopy.CopyRecv(c.nc, f, off, n)
}
