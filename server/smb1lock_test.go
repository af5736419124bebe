package server

import (
	"testing"
	"time"

	"github.com/zerosmb/zerosmb/smb1"
	"github.com/zerosmb/zerosmb/smb2"
)

// s1Lock is one LOCKING_ANDX request for lockxMsg.
type s1Lock struct {
	typ     uint8
	timeout uint32
	unlocks []smb1.LockRange
	locks   []smb1.LockRange
}

// lockxMsg builds LOCKING_ANDX (32-bit ranges) sent with header PID pid.
func (c *s1Conn) lockxMsg(fid, pid uint16, l s1Lock) []byte {
	w := make([]byte, 16)
	w[0] = byte(smb1.ComNoAndX)
	le.PutUint16(w[4:], fid)
	w[6] = l.typ
	le.PutUint32(w[8:], l.timeout)
	le.PutUint16(w[12:], uint16(len(l.unlocks)))
	le.PutUint16(w[14:], uint16(len(l.locks)))
	var data []byte
	for _, r := range append(append([]smb1.LockRange{}, l.unlocks...), l.locks...) {
		data = le.AppendUint16(data, r.PID)
		data = le.AppendUint32(data, uint32(r.Offset))
		data = le.AppendUint32(data, uint32(r.Length))
	}
	return withPID(c.s1Msg(smb1.ComLockingAndX, w, data), pid)
}

// withPID sets the header's PIDLow.
func withPID(msg []byte, pid uint16) []byte {
	le.PutUint16(msg[26:], pid)
	return msg
}

// readMsg builds READ_ANDX of n bytes at off.
func (c *s1Conn) readMsg(fid uint16, off uint32, n uint16) []byte {
	w := make([]byte, 20)
	w[0] = byte(smb1.ComNoAndX)
	le.PutUint16(w[4:], fid)
	le.PutUint32(w[6:], off)
	le.PutUint16(w[10:], n)
	return c.s1Msg(smb1.ComReadAndX, w, nil)
}

// noResponse checks nothing arrives within d.
func (c *s1Conn) noResponse(what string, d time.Duration) {
	c.t.Helper()
	if b, err := c.readFrame(d); err == nil {
		c.t.Fatalf("%s: unexpected response % x", what, b[:min(len(b), 40)])
	}
}

func rng(pid uint16, off, n uint64) smb1.LockRange {
	return smb1.LockRange{PID: pid, Offset: off, Length: n}
}

// TestSMB1LockOwnerPID: a range belongs to its open and the PID of its
// element: another PID on the same FID cannot read under an exclusive
// range, take it, or unlock it; the owner can.
func TestSMB1LockOwnerPID(t *testing.T) {
	hs := startSMB1Hostile(t)
	c := s1Session(t, hs.Addr)
	fid := le.Uint16(c.expect("create", c.ntCreateMsg(`\pid.bin`, 0x0012019F, 7, 5), 0).blk.Words[5:])
	c.expect("write", c.writeMsg(fid, 0, make([]byte, 100)), 0)
	c.expect("lock pid 1", c.lockxMsg(fid, 1, s1Lock{locks: []smb1.LockRange{rng(1, 10, 10)}}), 0)
	c.expect("read by pid 1", withPID(c.readMsg(fid, 12, 4), 1), 0)
	c.expect("read by pid 2", withPID(c.readMsg(fid, 12, 4), 2), smb2.StatusFileLockConflict)
	c.expect("lock by pid 2", c.lockxMsg(fid, 2, s1Lock{locks: []smb1.LockRange{rng(2, 15, 1)}}), smb2.StatusLockNotGranted)
	c.expect("unlock by pid 2", c.lockxMsg(fid, 2, s1Lock{unlocks: []smb1.LockRange{rng(2, 10, 10)}}), smb2.StatusRangeNotLocked)
	c.expect("unlock by pid 1", c.lockxMsg(fid, 1, s1Lock{unlocks: []smb1.LockRange{rng(1, 10, 10)}}), 0)
	c.expect("read by pid 2 after unlock", withPID(c.readMsg(fid, 12, 4), 2), 0)
}

// TestSMB1LockErrorCodes: a refused lock that did not wait is
// LOCK_NOT_GRANTED; the same offset refused again waits the lock spin
// time and is FILE_LOCK_CONFLICT; CHANGE_LOCKTYPE and a CANCEL_LOCK with
// nothing to cancel are DOS errors (Flags2 without NT_STATUS).
func TestSMB1LockErrorCodes(t *testing.T) {
	hs := startSMB1Hostile(t)
	c := s1Session(t, hs.Addr)
	fid := le.Uint16(c.expect("create", c.ntCreateMsg(`\codes.bin`, 0x0012019F, 7, 5), 0).blk.Words[5:])
	lock := s1Lock{locks: []smb1.LockRange{rng(1, 100, 10)}}
	c.expect("lock", c.lockxMsg(fid, 1, lock), 0)
	c.expect("first conflict", c.lockxMsg(fid, 1, lock), smb2.StatusLockNotGranted)
	start := time.Now()
	c.expect("repeated conflict", c.lockxMsg(fid, 1, lock), smb2.StatusFileLockConflict)
	if d := time.Since(start); d < smb1LockSpin-20*time.Millisecond {
		t.Errorf("repeated conflict answered after %v, want the %v spin", d, smb1LockSpin)
	}
	other := s1Lock{locks: []smb1.LockRange{rng(1, 105, 1)}}
	c.expect("other offset", c.lockxMsg(fid, 1, other), smb2.StatusLockNotGranted)
	for _, tc := range []struct {
		what string
		l    s1Lock
		code uint16
	}{
		{"change locktype", s1Lock{typ: smb1.LockingChangeType, locks: lock.locks}, 0xAE}, // ERRnoatomiclocks
		{"cancel nothing", s1Lock{typ: smb1.LockingCancel, locks: lock.locks}, 0xAD},      // ERRcancelviolation
	} {
		r := c.s1Call(c.lockxMsg(fid, 1, tc.l))
		if r.hdr.Status != uint32(smb1.ErrClassDOS)|uint32(tc.code)<<16 { // class, reserved, code
			t.Errorf("%s: status %#x, want ERRDOS/%#x", tc.what, r.hdr.Status, tc.code)
		}
		if r.hdr.Flags2&smb1.Flags2NTStatus != 0 {
			t.Errorf("%s: DOS error sent with FLAGS2_32_BIT_ERROR_CODES", tc.what)
		}
	}
}

// TestSMB1BlockingLockCrossDialect: an SMB1 lock with a timeout waits for
// an SMB2 holder and is granted when it unlocks; one that times out is
// FILE_LOCK_CONFLICT; NT_CANCEL and CLOSE end a waiting lock.
func TestSMB1BlockingLockCrossDialect(t *testing.T) {
	hs := startSMB1Hostile(t)
	c := s1Session(t, hs.Addr)
	fid := le.Uint16(c.expect("create", c.ntCreateMsg(`\wait.bin`, 0x0012019F, 7, 5), 0).blk.Words[5:])
	s2 := hs.session(t)
	id, st := s2.create("wait.bin", rawDispOpen)
	if st != smb2.StatusSuccess {
		t.Fatalf("SMB2 create: %v", st)
	}
	s2.expectStatus("SMB2 lock", smb2.Lock, fuzzLock(id, 0, 10, 2|0x10), nil, smb2.StatusSuccess)

	wait := s1Lock{timeout: 10000, locks: []smb1.LockRange{rng(1, 5, 1)}}
	m := c.lockxMsg(fid, 1, wait)
	mid := le.Uint16(m[30:])
	c.write(rawFrame(m))
	c.noResponse("waiting lock", 300*time.Millisecond)
	s2.expectStatus("SMB2 unlock", smb2.Lock, fuzzLock(id, 0, 10, 4), nil, smb2.StatusSuccess)
	r := c.s1Recv()
	if r.hdr.MID != mid || smb2.Status(r.hdr.Status) != smb2.StatusSuccess {
		t.Fatalf("granted lock: MID %d status %v, want MID %d success", r.hdr.MID, smb2.Status(r.hdr.Status), mid)
	}
	s2.expectStatus("SMB2 lock over the SMB1 range", smb2.Lock, fuzzLock(id, 5, 1, 2|0x10), nil, smb2.StatusLockNotGranted)

	start := time.Now()
	c.expect("timed out", c.lockxMsg(fid, 2, s1Lock{timeout: 300, locks: []smb1.LockRange{rng(2, 5, 1)}}), smb2.StatusFileLockConflict)
	if d := time.Since(start); d < 280*time.Millisecond {
		t.Errorf("timeout 300 ms answered after %v", d)
	}

	m = c.lockxMsg(fid, 3, wait)
	c.write(rawFrame(m))
	c.noResponse("second waiting lock", 100*time.Millisecond)
	cancel := withPID(c.s1Msg(smb1.ComNTCancel, nil, nil), 3)
	le.PutUint16(cancel[30:], le.Uint16(m[30:]))
	c.write(rawFrame(cancel))
	if r := c.s1Recv(); r.hdr.MID != le.Uint16(m[30:]) || smb2.Status(r.hdr.Status) != smb2.StatusFileLockConflict {
		t.Fatalf("cancelled lock: MID %d status %v, want FILE_LOCK_CONFLICT", r.hdr.MID, smb2.Status(r.hdr.Status))
	}

	m = c.lockxMsg(fid, 1, wait)
	c.write(rawFrame(m))
	c.noResponse("third waiting lock", 100*time.Millisecond)
	cl := make([]byte, 6)
	le.PutUint16(cl, fid)
	c.write(rawFrame(c.s1Msg(smb1.ComClose, cl, nil)))
	got := map[uint16]smb2.Status{}
	for range 2 {
		r := c.s1Recv()
		got[r.hdr.MID] = smb2.Status(r.hdr.Status)
	}
	if got[le.Uint16(m[30:])] != smb2.StatusRangeNotLocked || got[c.mid] != smb2.StatusSuccess {
		t.Fatalf("close of a waiting lock's file: %v, want RANGE_NOT_LOCKED and a successful CLOSE", got)
	}
	// The SMB1 ranges went with the close: SMB2 can lock them.
	s2.expectStatus("SMB2 lock after the SMB1 close", smb2.Lock, fuzzLock(id, 0, 10, 2|0x10), nil, smb2.StatusSuccess)
}
