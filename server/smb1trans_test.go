package server

import (
	"bytes"
	"testing"

	"github.com/zerosmb/zerosmb/smb1"
	"github.com/zerosmb/zerosmb/smb2"
)

// trans2Split builds a TRANS2 primary that carries the first n bytes of
// params (TotalParameterCount announces them all) and the secondary
// messages, one per chunk of step bytes, that bring the rest.
func (c *s1Conn) trans2Split(sub uint16, params []byte, n, step int) (primary []byte, secondaries [][]byte) {
	w := make([]byte, 30)
	le.PutUint16(w[0:], uint16(len(params)))
	le.PutUint16(w[4:], 10)
	le.PutUint16(w[6:], 16384)
	le.PutUint16(w[18:], uint16(n))
	po := smb1.HeaderSize + 1 + 30 + 2 + 1
	le.PutUint16(w[20:], uint16(po))
	le.PutUint16(w[24:], uint16(po+n))
	w[26] = 1
	le.PutUint16(w[28:], sub)
	primary = c.s1Msg(smb1.ComTransaction2, w, append([]byte{0}, params[:n]...))
	mid := c.mid
	for off := n; off < len(params); off += step {
		chunk := params[off:min(off+step, len(params))]
		sw := make([]byte, 18)
		le.PutUint16(sw[0:], uint16(len(params)))
		le.PutUint16(sw[4:], uint16(len(chunk)))
		spo := smb1.HeaderSize + 1 + 18 + 2
		le.PutUint16(sw[6:], uint16(spo))
		le.PutUint16(sw[8:], uint16(off))
		le.PutUint16(sw[12:], uint16(spo+len(chunk)))
		m := c.s1Msg(smb1.ComTransaction2Sec, sw, chunk)
		le.PutUint16(m[30:], mid) // the primary's MID
		secondaries = append(secondaries, m)
	}
	return primary, secondaries
}

// TestSMB1TransSecondary: a TRANS2 request whose parameters come in a
// primary and two secondaries gets the interim response, no response to
// the first secondary, and to the last the answer the whole request gets
// (with TRANS2's command code).
func TestSMB1TransSecondary(t *testing.T) {
	hs := startSMB1Hostile(t)
	c := s1Session(t, hs.Addr)
	// QUERY_PATH_INFORMATION, SMB_QUERY_FILE_STANDARD_INFO of the root.
	params := []byte{0x02, 0x01, 0, 0, 0, 0, 0, 0}
	whole := c.expect("whole", c.trans2Msg(smb1.Trans2QueryPathInfo, params), smb2.StatusSuccess)

	primary, secs := c.trans2Split(smb1.Trans2QueryPathInfo, params, 2, 3)
	if len(secs) != 2 {
		t.Fatalf("%d secondaries", len(secs))
	}
	interim := c.expect("primary", primary, smb2.StatusSuccess)
	if interim.blk.WordCount() != 0 || len(interim.blk.Bytes) != 0 {
		t.Errorf("interim response has %d words, %d bytes", interim.blk.WordCount(), len(interim.blk.Bytes))
	}
	c.write(rawFrame(secs[0]))
	last := c.expect("last secondary", secs[1], smb2.StatusSuccess) // no response came to secs[0]
	if last.hdr.Command != smb1.ComTransaction2 {
		t.Errorf("response command %#x, want TRANS2", last.hdr.Command)
	}
	if !bytes.Equal(last.msg[smb1.HeaderSize:], whole.msg[smb1.HeaderSize:]) {
		t.Errorf("reassembled answer differs:\n% x\n% x", last.msg[smb1.HeaderSize:], whole.msg[smb1.HeaderSize:])
	}
}

// TestSMB1TransSecondaryBad: transactions larger than the limit, too many
// waiting, and secondaries that lie are refused; one that matches no
// primary closes the connection.
func TestSMB1TransSecondaryBad(t *testing.T) {
	hs := startSMB1Hostile(t)
	c := s1Session(t, hs.Addr)
	params := []byte{0x02, 0x01, 0, 0, 0, 0, 0, 0}

	// A secondary placing bytes past the total ends the transaction.
	primary, secs := c.trans2Split(smb1.Trans2QueryPathInfo, params, 2, 6)
	c.expect("primary", primary, smb2.StatusSuccess)
	le.PutUint16(secs[0][smb1.HeaderSize+1+8:], 4) // ParameterDisplacement 4 + 6 bytes > 8
	r := c.expect("displacement past the total", secs[0], smb2.StatusInvalidParameter)
	if r.hdr.Command != smb1.ComTransaction2 {
		t.Errorf("error response command %#x", r.hdr.Command)
	}
	// Totals may not grow.
	primary, secs = c.trans2Split(smb1.Trans2QueryPathInfo, params, 2, 6)
	c.expect("primary", primary, smb2.StatusSuccess)
	le.PutUint16(secs[0][smb1.HeaderSize+1:], 100)
	c.expect("growing total", secs[0], smb2.StatusInvalidParameter)

	// At most smb1MaxPendingTrans wait.
	for i := range smb1MaxPendingTrans {
		p, _ := c.trans2Split(smb1.Trans2QueryPathInfo, params, 2, 6)
		c.expect("pending", p, smb2.StatusSuccess)
		_ = i
	}
	p, _ := c.trans2Split(smb1.Trans2QueryPathInfo, params, 2, 6)
	c.expect("one too many", p, smb2.StatusInsufficientResources)

	// A total above the connection's maximum I/O size.
	w := make([]byte, 38+8)
	le.PutUint32(w[7:], 64<<20) // TotalDataCount
	w[35] = 4
	le.PutUint16(w[36:], smb1.NTTransIoctl)
	c.expect("NT_TRANSACT of 64 MiB", c.s1Msg(smb1.ComNTTransact, w, nil), smb2.StatusInvalidParameter)

	// An NT_TRANSACT secondary without a primary.
	c.write(rawFrame(c.s1Msg(smb1.ComNTTransactSec, make([]byte, 36), nil)))
	c.expectClosed("NT_TRANSACT secondary without a primary")
}
