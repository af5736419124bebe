package smb1

import "testing"

// TestOplockBreakDecodes: the server's break is a LOCKING_ANDX request
// that the request decoder reads back with the same FID and level.
func TestOplockBreakDecodes(t *testing.T) {
	msg := AppendOplockBreak(nil, 9, 0x4001, BreakLevelII)
	if len(msg) != OplockBreakSize {
		t.Fatalf("%d bytes, want %d", len(msg), OplockBreakSize)
	}
	h, err := DecodeHeader(msg)
	if err != nil || h.Command != ComLockingAndX || h.Flags&FlagsReply != 0 || h.TID != 9 || h.MID != 0xFFFF || h.PIDLow != 0xFFFF {
		t.Fatalf("header %+v %v", h, err)
	}
	b, err := DecodeBlock(msg, HeaderSize)
	if err != nil {
		t.Fatal(err)
	}
	r, err := DecodeLockingRequest(msg, &b)
	if err != nil || r.FID != 0x4001 || r.Type != LockingOplockRelease || r.OplockLevel != BreakLevelII || len(r.Locks)+len(r.Unlocks) != 0 {
		t.Fatalf("decoded %+v %v", r, err)
	}
}
