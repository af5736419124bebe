package smb2

import (
	"bytes"
	"testing"
)

func TestLeaseBreakRoundTrip(t *testing.T) {
	n := LeaseBreakNotification{NewEpoch: 3, Flags: LeaseBreakFlagAckRequired, CurrentLeaseState: 7, NewLeaseState: 1}
	n.LeaseKey[0], n.LeaseKey[15] = 0xAA, 0xBB
	msg := AppendNotification(nil, 9, n.Append(nil))
	if len(msg) != HeaderSize+44 {
		t.Fatalf("notification is %d bytes", len(msg))
	}
	h, err := DecodeHeader(msg)
	if err != nil || h.MessageID != NotificationMessageID || h.Command != OplockBreak || h.SessionID != 9 || h.Flags&FlagResponse == 0 {
		t.Fatalf("header %+v %v", h, err)
	}
	got, err := DecodeLeaseBreakNotification(msg)
	if err != nil || got != n {
		t.Fatalf("got %+v %v", got, err)
	}
	a := LeaseBreakAck{LeaseKey: n.LeaseKey, LeaseState: 1}
	ack := append(make([]byte, HeaderSize), a.Append(nil)...)
	if !IsLeaseBreakAck(ack) {
		t.Fatal("ack not recognised")
	}
	back, err := DecodeLeaseBreakAck(ack)
	if err != nil || back != a {
		t.Fatalf("ack %+v %v", back, err)
	}
	op := append(make([]byte, HeaderSize), AppendOplockBreakAck(nil, OplockLevelII, FileID{1, 2})...)
	if IsLeaseBreakAck(op) {
		t.Fatal("oplock ack taken for a lease ack")
	}
	if m, err := DecodeOplockBreakAck(op); err != nil || m.OplockLevel != OplockLevelII || m.FileID != (FileID{1, 2}) {
		t.Fatalf("oplock ack %+v %v", m, err)
	}
	if _, err := DecodeLeaseBreakAck(ack[:HeaderSize+35]); err == nil {
		t.Fatal("short ack accepted")
	}
}

func TestDurableReconnectContexts(t *testing.T) {
	b := make([]byte, 36)
	b[0], b[8], b[16], b[32] = 1, 2, 0xCC, 0x02
	r, err := DecodeDurableHandleReconnectV2(b)
	if err != nil || r.FileID != (FileID{1, 2}) || r.CreateGUID[0] != 0xCC || r.Flags != 2 {
		t.Fatalf("DH2C %+v %v", r, err)
	}
	if _, err := DecodeDurableHandleReconnectV2(b[:35]); err == nil {
		t.Fatal("short DH2C accepted")
	}
	if id, err := DecodeDurableHandleReconnect(b[:16]); err != nil || id != (FileID{1, 2}) {
		t.Fatalf("DHnC %v %v", id, err)
	}
	if _, err := DecodeDurableHandleReconnect(b[:15]); err == nil {
		t.Fatal("short DHnC accepted")
	}
}

func FuzzDecodeLeaseBreak(f *testing.F) {
	a := LeaseBreakAck{LeaseState: 3}
	f.Add(append(make([]byte, HeaderSize), a.Append(nil)...))
	n := LeaseBreakNotification{Flags: 1}
	f.Add(AppendNotification(nil, 0, n.Append(nil)))
	f.Fuzz(func(t *testing.T, b []byte) {
		if a, err := DecodeLeaseBreakAck(b); err == nil {
			out := a.Append(nil)
			if !bytes.Equal(out[8:28], b[HeaderSize+8:HeaderSize+28]) {
				t.Fatal("ack round trip differs")
			}
		}
		if n, err := DecodeLeaseBreakNotification(b); err == nil {
			if out := n.Append(nil); !bytes.Equal(out[:32], b[HeaderSize:HeaderSize+32]) {
				t.Fatal("notification round trip differs")
			}
		}
		IsLeaseBreakAck(b)
		DecodeDurableHandleReconnect(b)
		DecodeDurableHandleReconnectV2(b)
	})
}
