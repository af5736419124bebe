package smb2

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

func TestLeaseRequestRoundTrip(t *testing.T) {
	le := binary.LittleEndian
	v2 := make([]byte, 52)
	for i := 0; i < 16; i++ {
		v2[i] = byte(i + 1)
		v2[32+i] = byte(0xF0 + i)
	}
	le.PutUint32(v2[16:], LeaseReadCaching|LeaseHandleCaching)
	le.PutUint32(v2[20:], LeaseFlagParentLeaseKeySet)
	le.PutUint16(v2[48:], 7)
	r, err := DecodeLeaseRequest(v2)
	if err != nil || !r.V2 || r.LeaseKey[0] != 1 || r.ParentLeaseKey[15] != 0xFF || r.Epoch != 7 ||
		r.LeaseState != LeaseReadCaching|LeaseHandleCaching {
		t.Fatalf("%+v %v", r, err)
	}
	if got := r.AppendLease(nil); !bytes.Equal(got, v2) {
		t.Errorf("v2 re-encode\n% x\n% x", got, v2)
	}
	r1, err := DecodeLeaseRequest(v2[:32])
	if err != nil || r1.V2 || len(r1.AppendLease(nil)) != 32 {
		t.Errorf("v1: %+v %v", r1, err)
	}
	if _, err := DecodeLeaseRequest(v2[:31]); !errors.Is(err, ErrMalformed) {
		t.Errorf("short lease: %v", err)
	}
}

func TestDurableAndAllocationContexts(t *testing.T) {
	le := binary.LittleEndian
	b := make([]byte, 32)
	le.PutUint32(b, 60000)
	le.PutUint32(b[4:], DurableHandleFlagPersistent)
	b[16], b[31] = 0xAA, 0xBB
	d, err := DecodeDurableHandleRequestV2(b)
	if err != nil || d.Timeout != 60000 || d.Flags != DurableHandleFlagPersistent || d.CreateGUID[0] != 0xAA || d.CreateGUID[15] != 0xBB {
		t.Errorf("%+v %v", d, err)
	}
	if _, err := DecodeDurableHandleRequestV2(b[:20]); !errors.Is(err, ErrMalformed) {
		t.Errorf("short DH2Q: %v", err)
	}
	if got := DurableHandleResponseV2(1000, 0); le.Uint32(got) != 1000 || len(got) != 8 {
		t.Errorf("DH2Q response % x", got)
	}
	if v, err := DecodeAllocationSize(le.AppendUint64(nil, 1<<20)); err != nil || v != 1<<20 {
		t.Errorf("AlSi %d %v", v, err)
	}
}

func FuzzDecodeLeaseRequest(f *testing.F) {
	f.Add(make([]byte, 52))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeLeaseRequest(b)
		if err != nil {
			return
		}
		if out := r.AppendLease(nil); !bytes.Equal(out[:16], b[:16]) {
			t.Fatal("lease key changed")
		}
		DecodeDurableHandleRequestV2(b)
		DecodeAllocationSize(b)
	})
}
