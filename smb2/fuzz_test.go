package smb2

import (
	"bytes"
	"encoding/binary"
	"testing"
	"unicode/utf16"
)

// The fuzz targets below check that decoders never panic and that what
// they return is consistent with the input. Seeds come from the
// hand-built messages of the table tests.

func FuzzDecodeCreateRequest(f *testing.F) {
	ctxs := AppendCreateContexts(nil, []CreateContext{{Name: "MxAc"}, {Name: "AlSi", Data: make([]byte, 8)}})
	f.Add(wireMsg(Create, createRequestBody(`a\b.txt`, ctxs)))
	f.Add(wireMsg(Create, createRequestBody("", nil)))
	f.Fuzz(func(t *testing.T, msg []byte) {
		r, err := DecodeCreateRequest(msg)
		if err != nil {
			return
		}
		for _, c := range r.CreateContexts {
			if c.Name == "" || len(c.Data) > len(msg) {
				t.Fatalf("bad context %+v", c)
			}
		}
	})
}

func FuzzDecodeCreateContexts(f *testing.F) {
	f.Add(AppendCreateContexts(nil, []CreateContext{{Name: "MxAc"}, {Name: "QFid", Data: []byte{1}}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		ctxs, err := DecodeCreateContexts(b)
		if err != nil {
			return
		}
		// Re-encoding and decoding again gives the same list.
		again, err := DecodeCreateContexts(AppendCreateContexts(nil, ctxs))
		if err != nil || len(again) != len(ctxs) {
			t.Fatalf("re-encode: %v (%d vs %d)", err, len(again), len(ctxs))
		}
		for i := range ctxs {
			if again[i].Name != ctxs[i].Name || string(again[i].Data) != string(ctxs[i].Data) {
				t.Fatalf("context %d differs", i)
			}
		}
	})
}

func FuzzDecodeCloseRequest(f *testing.F) {
	b := make([]byte, 24)
	b[0] = 24
	f.Add(wireMsg(Close, b))
	f.Fuzz(func(t *testing.T, msg []byte) {
		DecodeCloseRequest(msg)
		DecodeFlushRequest(msg)
		DecodeOplockBreakAck(msg)
	})
}

func FuzzDecodeReadRequest(f *testing.F) {
	b := make([]byte, 49)
	b[0] = 49
	f.Add(wireMsg(Read, b))
	f.Fuzz(func(t *testing.T, msg []byte) {
		r, err := DecodeReadRequest(msg)
		if err == nil && len(r.ReadChannelInfo) > len(msg)-HeaderSize {
			t.Fatal("channel info larger than message")
		}
	})
}

func FuzzDecodeWriteRequest(f *testing.F) {
	f.Add(wireMsg(Write, writeRequestBody(112, []byte("data"))))
	f.Add(wireMsg(Write, writeRequestBody(112, nil)))
	f.Fuzz(func(t *testing.T, msg []byte) {
		r, data, err := DecodeWriteRequest(msg)
		if err != nil {
			return
		}
		if uint32(len(data)) != r.Length || (r.Length > 0 && int(r.DataOffset)+len(data) > len(msg)) {
			t.Fatalf("data %d bytes at %d, Length %d, msg %d", len(data), r.DataOffset, r.Length, len(msg))
		}
		f, err := DecodeWriteRequestFixed(msg[HeaderSize:])
		if err != nil || f.Length != r.Length || f.Offset != r.Offset {
			t.Fatal("fixed decoder disagrees")
		}
	})
}

func FuzzDecodeLockRequest(f *testing.F) {
	b := make([]byte, 48)
	b[0], b[2] = 48, 1
	f.Add(wireMsg(Lock, b))
	f.Fuzz(func(t *testing.T, msg []byte) {
		r, err := DecodeLockRequest(msg)
		if err == nil && (len(r.Locks) == 0 || HeaderSize+24+24*len(r.Locks) > len(msg)) {
			t.Fatalf("%d locks from %d bytes", len(r.Locks), len(msg))
		}
	})
}

func FuzzDecodeIoctlRequest(f *testing.F) {
	f.Add(wireMsg(Ioctl, ioctlRequestBody(FsctlPipeTransceive, FileID{1, 2}, []byte{5, 0, 11, 3})))
	f.Fuzz(func(t *testing.T, msg []byte) {
		r, err := DecodeIoctlRequest(msg)
		if err != nil {
			return
		}
		if len(r.Input)+len(r.Output) > 2*len(msg) {
			t.Fatal("buffers larger than message")
		}
		DecodeValidateNegotiateInfoRequest(r.Input)
	})
}

func FuzzDecodeValidateNegotiateInfoRequest(f *testing.F) {
	b := make([]byte, 28)
	b[22] = 2
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeValidateNegotiateInfoRequest(b)
		if err == nil && 24+2*len(r.Dialects) > len(b) {
			t.Fatal("more dialects than bytes")
		}
	})
}

func FuzzDecodeQueryDirectoryRequest(f *testing.F) {
	b := make([]byte, 32)
	b[0], b[2] = 33, FileIDBothDirectoryInformation
	binary.LittleEndian.PutUint16(b[24:], 96)
	binary.LittleEndian.PutUint16(b[26:], 2)
	f.Add(wireMsg(QueryDirectory, append(b, '*', 0)))
	f.Fuzz(func(t *testing.T, msg []byte) {
		DecodeQueryDirectoryRequest(msg)
	})
}

func FuzzDecodeChangeNotifyRequest(f *testing.F) {
	b := make([]byte, 32)
	b[0] = 32
	f.Add(wireMsg(ChangeNotify, b))
	f.Fuzz(func(t *testing.T, msg []byte) {
		DecodeChangeNotifyRequest(msg)
	})
}

func FuzzDecodeQueryInfoRequest(f *testing.F) {
	b := make([]byte, 41)
	b[0], b[2], b[3] = 41, InfoFile, FileAllInformation
	f.Add(wireMsg(QueryInfo, b))
	f.Fuzz(func(t *testing.T, msg []byte) {
		DecodeQueryInfoRequest(msg)
	})
}

func FuzzDecodeSetInfoRequest(f *testing.F) {
	ren := make([]byte, 20)
	ren[16] = 2
	f.Add(setInfoMsg(FileRenameInformation, append(ren, 'x', 0)))
	f.Add(setInfoMsg(FileBasicInformation, make([]byte, 40)))
	f.Add(setInfoMsg(FileDispositionInformationEx, []byte{1, 0, 0, 0}))
	f.Fuzz(func(t *testing.T, msg []byte) {
		r, err := DecodeSetInfoRequest(msg)
		if err != nil {
			return
		}
		DecodeFileRenameInfo(r.Buffer, FileRenameInformation)
		DecodeFileRenameInfo(r.Buffer, FileRenameInformationEx)
		DecodeFileLinkInfo(r.Buffer, FileLinkInformation)
		DecodeFileLinkInfo(r.Buffer, FileLinkInformationEx)
		DecodeFileBasicInfo(r.Buffer)
		DecodeFileDispositionInfo(r.Buffer, FileDispositionInformation)
		DecodeFileDispositionInfo(r.Buffer, FileDispositionInformationEx)
		DecodeUint64Info(r.Buffer)
		DecodeFileModeInfo(r.Buffer)
	})
}

func FuzzDecodeSID(f *testing.F) {
	sid, _ := EncodeSID("S-1-5-21-1-2-3-500")
	f.Add(sid)
	f.Fuzz(func(t *testing.T, b []byte) {
		s, n, err := DecodeSID(b)
		if err != nil {
			return
		}
		back, err := EncodeSID(s)
		if err != nil || string(back) != string(b[:n]) {
			t.Fatalf("%q does not round trip: %v", s, err)
		}
	})
}

// FuzzMatchPattern compares the automaton with the brute-force
// reference (inputs cut short to keep the reference cheap).
func FuzzMatchPattern(f *testing.F) {
	f.Add("*.txt", "a.txt")
	f.Add(`<"`, "noext")
	f.Add(`a>>.t?t`, "ab.txt")
	f.Add(`<.<`, "a.b.c")
	f.Fuzz(func(t *testing.T, pattern, name string) {
		if len(pattern) > 12 || len(name) > 12 {
			return
		}
		got := MatchPattern(pattern, name)
		if want := matchRef(pattern, name); got != want {
			t.Fatalf("MatchPattern(%q, %q) = %v, reference %v", pattern, name, got, want)
		}
	})
}

func FuzzDecodeUTF16(f *testing.F) {
	f.Add([]byte{0x41, 0, 0x3D, 0xD8, 0x00, 0xDE})
	f.Fuzz(func(t *testing.T, b []byte) {
		s := DecodeUTF16(b)
		if UTF16Len(s) > len(b)+len(b)/2+2 {
			t.Fatalf("decoded string too long")
		}
	})
}

func FuzzDecodeFullEA(f *testing.F) {
	f.Add(AppendFullEA(AppendFullEA(nil, FullEA{Name: "Ab", Value: []byte("123")}, false), FullEA{Name: "c", Flags: EAFlagNeedEA}, true))
	f.Add([]byte{0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		eas, st := DecodeFullEA(b)
		if st != StatusSuccess {
			if eas != nil {
				t.Fatalf("%v with %d entries", st, len(eas))
			}
			return
		}
		// A decoded chain encodes to no more bytes than it came from
		// (padding may only shrink) and decodes back to the same names.
		var enc []byte
		for i, e := range eas {
			if !ValidEAName(e.Name) {
				t.Fatalf("invalid name %q accepted", e.Name)
			}
			enc = AppendFullEA(enc, e, i == len(eas)-1)
		}
		if len(enc) > len(b) {
			t.Fatalf("re-encoded %d bytes from %d", len(enc), len(b))
		}
		back, st := DecodeFullEA(enc)
		if st != StatusSuccess || len(back) != len(eas) {
			t.Fatalf("round trip: %v, %d vs %d", st, len(back), len(eas))
		}
	})
}

func FuzzDecodeGetEA(f *testing.F) {
	f.Add([]byte{8, 0, 0, 0, 1, 'a', 0, 0, 0, 0, 0, 0, 1, 'b', 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		names, st := DecodeGetEA(b)
		if st == StatusSuccess && 6*len(names) > len(b) {
			t.Fatalf("%d names from %d bytes", len(names), len(b))
		}
		if st != StatusSuccess && st != StatusEAListInconsistent && st != StatusInvalidEAName {
			t.Fatalf("status %v", st)
		}
	})
}

func FuzzDecodeCopyChunkCopy(f *testing.F) {
	one := append(make([]byte, 24), 1, 0, 0, 0, 0, 0, 0, 0)
	f.Add(append(one, make([]byte, 24)...))
	f.Add(append(make([]byte, 24), 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeCopyChunkCopy(b)
		if err == nil && 32+copyChunkSize*len(r.Chunks) > len(b) {
			t.Fatalf("%d chunks from %d bytes", len(r.Chunks), len(b))
		}
	})
}

func FuzzDecodeFSCTLInputs(f *testing.F) {
	f.Add(FileRange{Offset: 1, Length: 2}.Append(nil))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeFileRange(b)
		if err == nil && !bytes.Equal(r.Append(nil), b[:16]) {
			t.Fatalf("range %+v does not encode back to % x", r, b[:16])
		}
		z, zerr := DecodeZeroDataInfo(b)
		if (zerr == nil) != (err == nil) || (zerr == nil && (z.FileOffset != r.Offset || z.BeyondFinalZero != r.Length)) {
			t.Fatalf("zero data %+v vs range %+v", z, r)
		}
		if st, err := DecodeCompressionState(b); err == nil && !bytes.Equal(AppendCompressionState(nil, st), b[:2]) {
			t.Fatalf("compression state %d", st)
		}
	})
}

func FuzzDecodeNegotiateContextData(f *testing.F) {
	f.Add((&PreauthIntegrityCaps{HashAlgorithms: []uint16{HashSHA512}, Salt: make([]byte, 32)}).Append(nil))
	f.Add(AppendEncryptionCaps(nil, 1, 2, 3, 4))
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := DecodePreauthIntegrityCaps(b); err == nil {
			if len(p.HashAlgorithms) == 0 || 4+2*len(p.HashAlgorithms)+len(p.Salt) > len(b) {
				t.Fatalf("preauth %+v from %d bytes", p, len(b))
			}
		}
		if ids, err := DecodeEncryptionCaps(b); err == nil && !bytes.Equal(AppendEncryptionCaps(nil, ids...), b[:2+2*len(ids)]) {
			t.Fatalf("ciphers %v", ids)
		}
		if ids, err := DecodeSigningCaps(b); err == nil && len(ids) == 0 {
			t.Fatal("empty signing list accepted")
		}
	})
}

// splitWriteMsg is the header and fixed part of a 1 MiB WRITE as header
// splitting sees them.
func splitWriteMsg() []byte {
	body := make([]byte, 48)
	binary.LittleEndian.PutUint16(body, 49)
	binary.LittleEndian.PutUint16(body[2:], SplitWriteHeaderSize)
	binary.LittleEndian.PutUint32(body[4:], 1<<20)
	h := Header{Command: Write, SessionID: 7}
	return append(h.Append(nil), body...)
}

func FuzzPeekSplitWrite(f *testing.F) {
	msg := splitWriteMsg()
	f.Add(msg, SplitWriteHeaderSize+1<<20)
	f.Add(msg[:70], 0)
	f.Fuzz(func(t *testing.T, h []byte, frameLen int) {
		sid, ok := PeekSplitWrite(h, frameLen)
		if !ok {
			return
		}
		// What the peek accepts is a WRITE the full decoder accepts too.
		hdr, err := DecodeHeader(h)
		if err != nil || hdr.Command != Write || hdr.SessionID != sid || hdr.NextCommand != 0 {
			t.Fatalf("peek accepted %+v (%v)", hdr, err)
		}
		if w, err := DecodeWriteRequestFixed(h[HeaderSize:]); err != nil || int(w.Length) != frameLen-SplitWriteHeaderSize {
			t.Fatalf("fixed part %+v (%v)", w, err)
		}
	})
}

func FuzzHeaderPeeks(f *testing.F) {
	h := Header{Command: Read}
	f.Add(h.Append(nil))
	f.Add([]byte{0xfe, 'S', 'M'})
	f.Fuzz(func(t *testing.T, msg []byte) {
		for cmd := Negotiate; cmd <= OplockBreak+1; cmd++ {
			if p := ExpectedPayload(cmd, msg); p < 0 || p > 1<<32 {
				t.Fatalf("payload %d", p)
			}
		}
		if cmd, ok := LoneCommand(msg); ok {
			hdr, err := DecodeHeader(msg)
			if err == nil && (hdr.Command != cmd || hdr.NextCommand != 0) {
				t.Fatalf("lone %v vs header %+v", cmd, hdr)
			}
		}
		if IsLeaseBreakAck(msg) && len(msg) < HeaderSize+2 {
			t.Fatal("lease ack without a body")
		}
		if len(msg) < 4 && ProtocolID(msg) != 0 {
			t.Fatal("protocol id of a short message")
		}
	})
}

// The header-splitting peek against the full decoders it stands in for
// (see PeekSplitWrite's comment for the figures).
func BenchmarkPeekSplitWrite(b *testing.B) {
	msg := splitWriteMsg()
	for b.Loop() {
		if _, ok := PeekSplitWrite(msg, SplitWriteHeaderSize+1<<20); !ok {
			b.Fatal("rejected")
		}
	}
}

func BenchmarkDecodeSplitWrite(b *testing.B) {
	msg := splitWriteMsg()
	for b.Loop() {
		h, err := DecodeHeader(msg)
		if err != nil {
			b.Fatal(err)
		}
		w, err := DecodeWriteRequestFixed(msg[HeaderSize:])
		if err != nil || h.Command != Write || w.Length != 1<<20 {
			b.Fatal("rejected")
		}
	}
}

// FuzzDecodeUTF16Name checks the strict decoder against utf16.Decode: it
// accepts exactly the even-length inputs without U+FFFD from unpaired
// surrogates, and then agrees with DecodeUTF16.
func FuzzDecodeUTF16Name(f *testing.F) {
	f.Add([]byte{0x41, 0, 0x3D, 0xD8, 0x00, 0xDE})
	f.Add([]byte{0x00, 0xD8, 0x41, 0})
	f.Add([]byte{0x00, 0xDC})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, ok := DecodeUTF16Name(b)
		want := len(b)%2 == 0
		if want {
			u := make([]uint16, len(b)/2)
			for i := range u {
				u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
			}
			for i := 0; i < len(u); i++ {
				switch {
				case !utf16.IsSurrogate(rune(u[i])):
				case u[i] < 0xDC00 && i+1 < len(u) && u[i+1] >= 0xDC00 && u[i+1] <= 0xDFFF:
					i++
				default:
					want = false
				}
			}
		}
		if ok != want {
			t.Fatalf("DecodeUTF16Name(% x) ok = %v, want %v", b, ok, want)
		}
		if ok && s != DecodeUTF16(b) {
			t.Fatalf("DecodeUTF16Name(% x) = %q, DecodeUTF16 %q", b, s, DecodeUTF16(b))
		}
	})
}

// FuzzSparseLayouts checks the sparse FSCTL decoders: accepted ranges
// are non-negative and do not overflow, and allocated ranges round trip.
func FuzzSparseLayouts(f *testing.F) {
	f.Add(FileRange{Offset: 4096, Length: 1024}.Append(nil))
	f.Add([]byte{1, 2, 3})
	f.Add(FileRange{Offset: 1 << 62, Length: 1 << 62}.Append(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, err := DecodeZeroDataRange(b); err == nil && (r.Offset < 0 || r.Length < 0 || r.End() < r.Offset) {
			t.Fatalf("zero data range %+v accepted", r)
		}
		r, err := DecodeAllocatedRangeQuery(b)
		if err != nil {
			return
		}
		if r.Offset < 0 || r.Length < 0 || r.End() < r.Offset {
			t.Fatalf("allocated range query %+v accepted", r)
		}
		if back, err := DecodeAllocatedRangeQuery(r.Append(nil)); err != nil || back != r {
			t.Fatalf("%+v does not round trip: %+v, %v", r, back, err)
		}
		DecodeSetSparse(b)
	})
}

// FuzzDecodeBridgeResponses runs the response decoders of request.go (used
// by the SMB1 bridge on the SMB2 handlers' output) on arbitrary bodies.
func FuzzDecodeBridgeResponses(f *testing.F) {
	f.Add((&CreateResponse{FileID: FileID{1, 2}}).Append(nil))
	f.Add(AppendOutputResponse(nil, []byte("info")))
	f.Add((&WriteResponse{Count: 5}).Append(nil))
	f.Add((&TreeConnectResponse{ShareType: ShareTypeDisk}).Append(nil))
	f.Fuzz(func(t *testing.T, body []byte) {
		DecodeCreateResponse(body)
		if out, err := DecodeOutputResponse(body); err == nil && len(out) > len(body) {
			t.Fatalf("output of %d bytes from a %d-byte body", len(out), len(body))
		}
		DecodeWriteResponse(body)
		DecodeTreeConnectResponse(body)
		if out, err := DecodeIoctlOutput(body); err == nil && len(out) > len(body) {
			t.Fatalf("ioctl output of %d bytes from a %d-byte body", len(out), len(body))
		}
	})
}
