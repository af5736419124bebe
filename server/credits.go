package server

import (
	"errors"
	"sync"

	"github.com/zerosmb/zerosmb/smb2"
)

// maxCredits bounds the credits a client may hold.
const maxCredits = 8192

// ringSize bounds how far ahead of the oldest unused MessageId a client
// may be granted ids.
const ringSize = 4 * maxCredits

// errBadMessageID says the request violates the sequence window and the
// connection must be dropped (MS-SMB2 3.3.5.2.3).
var errBadMessageID = errors.New("message id outside the credit window or reused")

// creditWindow tracks the MessageIds a client may use (MS-SMB2 3.3.1.1).
type creditWindow struct {
	mu    sync.Mutex
	low   uint64   // lowest id not yet used
	high  uint64   // first id not yet granted
	used  usedRing // which ids in [low, high) were used
	nUsed int      // ids in [low, high) already used
}

func (w *creditWindow) init() { w.low, w.high = 0, 1 }

// usedRing is a bitmap of ringSize MessageIds, indexed modulo ringSize:
// 4 KiB per connection (a bool array took 32 KiB, most of a logged-on
// connection's memory).
type usedRing [ringSize / 64]uint64

func (r *usedRing) get(id uint64) bool {
	i := id % ringSize
	return r[i/64]&(1<<(i%64)) != 0
}

func (r *usedRing) set(id uint64) {
	i := id % ringSize
	r[i/64] |= 1 << (i % 64)
}

func (r *usedRing) clear(id uint64) {
	i := id % ringSize
	r[i/64] &^= 1 << (i % 64)
}

// consume validates and charges the request's MessageId range. It returns
// the charge and StatusSuccess or an NTSTATUS to fail just this request;
// errBadMessageID when the connection must be dropped.
func (w *creditWindow) consume(c *conn, hdr *smb2.Header, msg []byte) (uint16, smb2.Status, error) {
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
		return charge, 0, errBadMessageID
	}
	for i := uint64(0); i < uint64(charge); i++ {
		if w.used.get(mid + i) {
			return charge, 0, errBadMessageID
		}
	}
	for i := uint64(0); i < uint64(charge); i++ {
		w.used.set(mid + i)
	}
	w.nUsed += int(charge)
	for w.low < w.high && w.used.get(w.low) {
		w.used.clear(w.low)
		w.low++
		w.nUsed--
	}
	// Multi-credit: a request may carry at most 64 KiB per credit.
	if c.dialect != smb2.Dialect202 && c.negotiated {
		if payload := expectedPayload(hdr.Command, msg); payload > int64(charge)*65536 {
			return charge, smb2.StatusInvalidParameter, nil
		}
	}
	return charge, smb2.StatusSuccess, nil
}

// expectedPayload is what CreditCharge must cover (smb2.ExpectedPayload).
func expectedPayload(cmd smb2.Command, msg []byte) int64 { return smb2.ExpectedPayload(cmd, msg) }

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

// outstanding returns the credits granted and not yet used.
func (w *creditWindow) outstanding() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return int(w.high - w.low - uint64(w.nUsed))
}
