package smb2

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

func TestDecodeReadRequest(t *testing.T) {
	le := binary.LittleEndian
	b := make([]byte, 49)
	le.PutUint16(b, 49)
	b[2] = 0x50 // Padding
	b[3] = ReadFlagUnbuffered
	le.PutUint32(b[4:], 65536)
	le.PutUint64(b[8:], 1<<40)
	FileID{1, 2}.Put(b[16:])
	le.PutUint32(b[32:], 100)
	le.PutUint32(b[40:], 7)
	r, err := DecodeReadRequest(wireMsg(Read, b))
	if err != nil {
		t.Fatal(err)
	}
	want := ReadRequest{Padding: 0x50, Flags: ReadFlagUnbuffered, Length: 65536, Offset: 1 << 40,
		FileID: FileID{1, 2}, MinimumCount: 100, RemainingBytes: 7}
	if r.Padding != want.Padding || r.Flags != want.Flags || r.Length != want.Length || r.Offset != want.Offset ||
		r.FileID != want.FileID || r.MinimumCount != want.MinimumCount || r.RemainingBytes != want.RemainingBytes ||
		r.ReadChannelInfo != nil {
		t.Errorf("got %+v", r)
	}
	le.PutUint16(b[44:], 200) // channel info past the end
	le.PutUint16(b[46:], 4)
	if _, err := DecodeReadRequest(wireMsg(Read, b)); !errors.Is(err, ErrMalformed) {
		t.Errorf("channel info out of range: %v", err)
	}
	b[0] = 48
	if _, err := DecodeReadRequest(wireMsg(Read, b)); !errors.Is(err, ErrMalformed) {
		t.Errorf("bad StructureSize: %v", err)
	}
}

func TestAppendReadResponseHeader(t *testing.T) {
	got := AppendReadResponseHeader(nil, 0x10000, 3)
	want := []byte{
		17, 0, // StructureSize
		0x50, 0, // DataOffset, Reserved
		0, 0, 1, 0, // DataLength
		3, 0, 0, 0, // DataRemaining
		0, 0, 0, 0, // Reserved2
	}
	if !bytes.Equal(got, want) {
		t.Errorf("got % x\nwant % x", got, want)
	}
}

func writeRequestBody(off uint16, data []byte) []byte {
	le := binary.LittleEndian
	b := make([]byte, 48)
	le.PutUint16(b, 49)
	le.PutUint16(b[2:], off)
	le.PutUint32(b[4:], uint32(len(data)))
	le.PutUint64(b[8:], 4096)
	FileID{3, 4}.Put(b[16:])
	le.PutUint32(b[36:], 11)
	le.PutUint32(b[44:], WriteFlagWriteThrough)
	return append(b, data...)
}

func TestDecodeWriteRequest(t *testing.T) {
	data := []byte("hello, world")
	msg := wireMsg(Write, writeRequestBody(HeaderSize+WriteRequestFixedSize, data))
	r, got, err := DecodeWriteRequest(msg)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) || r.Length != uint32(len(data)) || r.Offset != 4096 ||
		r.FileID != (FileID{3, 4}) || r.RemainingBytes != 11 || r.Flags != WriteFlagWriteThrough ||
		r.DataOffset != 112 {
		t.Errorf("got %+v data %q", r, got)
	}
	// The fixed decoder sees the same fields from the 48 bytes alone.
	f, err := DecodeWriteRequestFixed(msg[HeaderSize : HeaderSize+WriteRequestFixedSize])
	if err != nil || f.Length != r.Length || f.Offset != r.Offset || f.FileID != r.FileID || f.DataOffset != 112 {
		t.Errorf("fixed: %+v %v", f, err)
	}
	// Data must be inside the message.
	short := msg[:len(msg)-1]
	if _, _, err := DecodeWriteRequest(short); !errors.Is(err, ErrMalformed) {
		t.Errorf("truncated data: %v", err)
	}
	// DataOffset may not point into the header or fixed part.
	bad := wireMsg(Write, writeRequestBody(64, data))
	if _, err := DecodeWriteRequestFixed(bad[HeaderSize:]); !errors.Is(err, ErrMalformed) {
		t.Errorf("offset in header: %v", err)
	}
	if _, err := DecodeWriteRequestFixed(msg[HeaderSize : HeaderSize+40]); !errors.Is(err, ErrMalformed) {
		t.Errorf("short fixed: %v", err)
	}
}

func TestWriteResponseAppend(t *testing.T) {
	r := WriteResponse{Count: 12345}
	got := r.Append(nil)
	want := []byte{17, 0, 0, 0, 0x39, 0x30, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	if !bytes.Equal(got, want) {
		t.Errorf("got % x", got)
	}
}

func TestCloseRoundTrip(t *testing.T) {
	le := binary.LittleEndian
	b := make([]byte, 24)
	le.PutUint16(b, 24)
	le.PutUint16(b[2:], CloseFlagPostqueryAttrib)
	FileID{9, 10}.Put(b[8:])
	r, err := DecodeCloseRequest(wireMsg(Close, b))
	if err != nil || r.Flags != CloseFlagPostqueryAttrib || r.FileID != (FileID{9, 10}) {
		t.Fatalf("%+v %v", r, err)
	}
	if _, err := DecodeCloseRequest(wireMsg(Close, b[:23])); !errors.Is(err, ErrMalformed) {
		t.Errorf("short close: %v", err)
	}
	fr, err := DecodeFlushRequest(wireMsg(Flush, b))
	if err != nil || fr.FileID != (FileID{9, 10}) {
		t.Errorf("flush %+v %v", fr, err)
	}
	resp := CloseResponse{Flags: CloseFlagPostqueryAttrib, EndOfFile: 99, FileAttributes: FileAttributeDirectory}
	out := resp.Append(nil)
	if len(out) != 60 || le.Uint16(out) != 60 || le.Uint64(out[48:]) != 99 || le.Uint32(out[56:]) != FileAttributeDirectory {
		t.Errorf("close response % x", out)
	}
	if got := AppendFlushResponse(nil); !bytes.Equal(got, []byte{4, 0, 0, 0}) {
		t.Errorf("flush response % x", got)
	}
}

func TestDecodeLockRequest(t *testing.T) {
	le := binary.LittleEndian
	b := make([]byte, 24, 72)
	le.PutUint16(b, 48)
	le.PutUint16(b[2:], 2)
	le.PutUint32(b[4:], 0x35) // index 3, number 5
	FileID{5, 6}.Put(b[8:])
	for _, e := range []LockElement{{0, 10, LockFlagExclusiveLock | LockFlagFailImmediately}, {100, 1, LockFlagUnlock}} {
		b = le.AppendUint64(b, e.Offset)
		b = le.AppendUint64(b, e.Length)
		b = le.AppendUint32(b, e.Flags)
		b = le.AppendUint32(b, 0)
	}
	r, err := DecodeLockRequest(wireMsg(Lock, b))
	if err != nil {
		t.Fatal(err)
	}
	if r.LockSequenceNumber != 5 || r.LockSequenceIndex != 3 || r.FileID != (FileID{5, 6}) || len(r.Locks) != 2 {
		t.Fatalf("%+v", r)
	}
	if r.Locks[0] != (LockElement{0, 10, LockFlagExclusiveLock | LockFlagFailImmediately}) || r.Locks[1] != (LockElement{100, 1, LockFlagUnlock}) {
		t.Errorf("locks %+v", r.Locks)
	}
	le.PutUint16(b[2:], 3) // more locks than bytes
	if _, err := DecodeLockRequest(wireMsg(Lock, b)); !errors.Is(err, ErrMalformed) {
		t.Errorf("overcount: %v", err)
	}
	le.PutUint16(b[2:], 0)
	if _, err := DecodeLockRequest(wireMsg(Lock, b)); !errors.Is(err, ErrMalformed) {
		t.Errorf("zero count: %v", err)
	}
}

func TestOplockBreak(t *testing.T) {
	m := OplockBreakMessage{OplockLevel: OplockLevelII, FileID: FileID{1, 1}}
	body := m.Append(nil)
	if len(body) != 24 || body[0] != 24 || body[2] != OplockLevelII {
		t.Fatalf("% x", body)
	}
	got, err := DecodeOplockBreakAck(wireMsg(OplockBreak, body))
	if err != nil || got != m {
		t.Errorf("%+v %v", got, err)
	}
	body[0] = 36 // lease break ack
	if _, err := DecodeOplockBreakAck(wireMsg(OplockBreak, body)); !errors.Is(err, ErrMalformed) {
		t.Errorf("lease ack: %v", err)
	}
}
