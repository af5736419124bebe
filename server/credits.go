package server

import (
	"sync"

	"github.com/zerosmb/zerosmb/smb2"
)

// maxCredits bounds the credits a client may hold.
const maxCredits = 8192

// ringSize bounds how far ahead of the oldest unused MessageId a client
// may be granted ids.
const ringSize = 4 * maxCredits

// statusDisconnect is an internal marker: the request violates the
// sequence window and the connection must be dropped (MS-SMB2 3.3.5.2.3).
const statusDisconnect smb2.Status = 0xFFFFFFFF

// creditWindow tracks the MessageIds a client may use (MS-SMB2 3.3.1.1).
type creditWindow struct {
	mu    sync.Mutex
	low   uint64 // lowest id not yet used
	high  uint64 // first id not yet granted
	used  [ringSize]bool
	nUsed int // ids in [low, high) already used
}

func (w *creditWindow) init() { w.low, w.high = 0, 1 }

// consume validates and charges the request's MessageId range. It returns
// the charge and StatusSuccess, an NTSTATUS to fail just this request, or
// statusDisconnect.
func (w *creditWindow) consume(c *conn, hdr *smb2.Header, msgLen int) (uint16, smb2.Status) {
	charge := hdr.CreditCharge
	if c.dialect == smb2.Dialect202 || !c.negotiated || charge == 0 {
		charge = max(charge, 1)
		if c.dialect == smb2.Dialect202 {
			charge = 1
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	mid := hdr.MessageID
	if mid < w.low || mid >= w.high || uint64(charge) > w.high-mid {
		return charge, statusDisconnect
	}
	for i := uint64(0); i < uint64(charge); i++ {
		if w.used[(mid+i)%ringSize] {
			return charge, statusDisconnect
		}
	}
	for i := uint64(0); i < uint64(charge); i++ {
		w.used[(mid+i)%ringSize] = true
	}
	w.nUsed += int(charge)
	for w.low < w.high && w.used[w.low%ringSize] {
		w.used[w.low%ringSize] = false
		w.low++
		w.nUsed--
	}
	// Multi-credit: a request may carry at most 64 KiB per credit.
	if c.dialect != smb2.Dialect202 && c.negotiated {
		if payload := payloadSize(hdr, msgLen); payload > int64(charge)*65536 {
			return charge, smb2.StatusInvalidParameter
		}
	}
	return charge, smb2.StatusSuccess
}

// payloadSize estimates the request's payload for credit charging: the
// message length (a WRITE's payload may still be in the socket, so the
// caller passes the full frame length for split writes).
func payloadSize(hdr *smb2.Header, msgLen int) int64 {
	n := int64(msgLen) - smb2.HeaderSize
	if n < 0 {
		return 0
	}
	return n
}

// grant decides how many credits the response carries and extends the
// window accordingly.
func (w *creditWindow) grant(hdr *smb2.Header, charge uint16, pending bool) uint16 {
	w.mu.Lock()
	defer w.mu.Unlock()
	want := uint64(max(hdr.Credits, 1))
	if hdr.Command == smb2.Negotiate || hdr.Command == smb2.SessionSetup {
		want = max(want, 1)
	}
	outstanding := w.high - w.low - uint64(w.nUsed)
	room := uint64(0)
	if outstanding < maxCredits {
		room = maxCredits - outstanding
	}
	if span := w.high - w.low; span+want > ringSize {
		if ringSize > span {
			room = min(room, ringSize-span)
		} else {
			room = 0
		}
	}
	g := min(want, room)
	if g == 0 && outstanding == 0 {
		g = 1 // never leave the client without a credit
	}
	w.high += g
	return uint16(g)
}

// skipSMB1 accounts for the SMB1 NEGOTIATE that took MessageId 0.
func (w *creditWindow) skipSMB1() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.low == 0 && w.high == 1 {
		w.low, w.high = 1, 2
	}
}
