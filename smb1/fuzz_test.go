package smb1

import (
	"testing"

	"github.com/zerosmb/zerosmb/smb2"
)

// Fuzz targets: every decoder of the package on arbitrary bytes must
// return an error or a value whose slices lie inside the input, never
// panic. The seeds are the valid messages of the unit tests.

func fuzzMessages() [][]byte {
	words := make([]byte, 48)
	words[0] = byte(ComNoAndX)
	return [][]byte{
		msgWith(ComNegotiate, false, func(b []byte) []byte { return block(b, nil, []byte("\x02NT LM 0.12\x00")) }),
		msgWith(ComEcho, false, func(b []byte) []byte { return block(b, []byte{1, 0}, []byte("x")) }),
		msgWith(ComNTCreateAndX, true, func(b []byte) []byte { return block(b, words, []byte{0, 'a', 0, 0, 0}) }),
		msgWith(ComSessionSetupX, true, func(b []byte) []byte { return block(b, words[:24], []byte("tok")) }),
		msgWith(ComTreeConnectAndX, true, func(b []byte) []byte { return block(b, words[:8], []byte("\x00\x00a\x00\x00\x00A:\x00")) }),
		msgWith(ComWriteAndX, false, func(b []byte) []byte { return block(b, words[:28], []byte("data")) }),
		msgWith(ComReadAndX, false, func(b []byte) []byte { return block(b, words[:24], nil) }),
		trans2Msg(Trans2QueryPathInfo, []byte{1, 1, 0, 0, 0, 0, 'a', 0, 0, 0}, nil, nil),
		msgWith(ComLockingAndX, false, func(b []byte) []byte {
			return block(b, []byte{0xFF, 0, 0, 0, 1, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 1, 0}, make([]byte, 20))
		}),
		msgWith(ComRename, false, func(b []byte) []byte { return block(b, []byte{0, 0}, []byte("\x04a\x00\x04b\x00")) }),
		msgWith(ComWrite, false, func(b []byte) []byte { return block(b, make([]byte, 10), []byte{1, 2, 0, 'h', 'i'}) }),
		msgWith(ComWriteAndClose, false, func(b []byte) []byte { return block(b, make([]byte, 12), []byte{0, 'x'}) }),
		msgWith(ComOpen, true, func(b []byte) []byte { return block(b, make([]byte, 4), []byte("\x04a\x00\x00\x00")) }),
	}
}

// FuzzDecodeMessage runs every block-level decoder over the first block
// (and an AndX successor) of the input, in both string encodings.
func FuzzDecodeMessage(f *testing.F) {
	for _, m := range fuzzMessages() {
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		if _, err := DecodeHeader(msg); err != nil {
			return
		}
		DecodeNegotiateRequest(msg)
		b, err := DecodeBlock(msg, HeaderSize)
		if err != nil {
			return
		}
		if b.End > len(msg) || b.BytesOff+len(b.Bytes) != b.End {
			t.Fatalf("block outside the message: %+v", b)
		}
		if a, err := DecodeAndX(&b, len(msg)); err == nil && a.Command != ComNoAndX {
			if int(a.Offset) < b.End {
				t.Fatalf("AndX offset %d moves backwards from %d", a.Offset, b.End)
			}
			DecodeBlock(msg, int(a.Offset))
		}
		for _, u := range []bool{false, true} {
			DecodeSessionSetupRequest(msg, &b)
			DecodeTreeConnectRequest(msg, &b, u)
			DecodeNTCreateRequest(msg, &b, u)
			DecodeOpenAndXRequest(msg, &b, u)
			DecodeReadAndXRequest(msg, &b, u)
			if w, data, err := DecodeWriteAndXRequest(msg, &b, u); err == nil && len(data) != int(w.DataLength) {
				t.Fatalf("write data %d bytes, DataLength %d", len(data), w.DataLength)
			}
			PeekWriteAndX(msg[:min(len(msg), WriteAndXFixedSize)], len(msg), u)
			DecodePathRequest(msg, &b, u)
			DecodeRenameRequest(msg, &b, u)
			DecodeOpenRequest(msg, &b, u)
			DecodeCreateRequest(msg, &b, u)
			if r, err := DecodeSearchRequest(msg, &b, u); err == nil && r.ResumeKey != nil && len(r.ResumeKey) != ResumeKeySize {
				t.Fatalf("resume key of %d bytes", len(r.ResumeKey))
			}
		}
		fuzzCore(t, &b)
		if l, err := DecodeLockingRequest(msg, &b); err == nil && len(l.Locks)+len(l.Unlocks) > 2*MaxLockRanges {
			t.Fatalf("%d ranges", len(l.Locks)+len(l.Unlocks))
		}
		DecodeEchoRequest(&b)
		DecodeFIDRequest(&b, 1)
		DecodeFIDRequest(&b, 3)
		if r, err := DecodeTrans2Request(msg, &b); err == nil {
			fuzzTrans2(r.Params, r.Data)
		}
		fuzzTrans(t, msg, &b)
	})
}

// fuzzCore runs the core-command decoders over block b.
func fuzzCore(t *testing.T, b *Block) {
	DecodeCoreIORequest(b)
	if r, data, err := DecodeWriteRequest(b); err == nil && len(data) != int(r.Count) {
		t.Fatalf("WRITE data %d bytes, Count %d", len(data), r.Count)
	}
	if r, data, err := DecodeWriteAndCloseRequest(b); err == nil && len(data) != int(r.Count) {
		t.Fatalf("WRITE_AND_CLOSE data %d bytes, Count %d", len(data), r.Count)
	}
	DecodeSeekRequest(b)
	DecodeCloseRequest(b)
	DecodeSetInformation2(b)
}

// fuzzTrans runs the NT_TRANSACT and secondary decoders over block b and
// the NT_TRANSACT parameter decoders over what they return.
func fuzzTrans(t *testing.T, msg []byte, b *Block) {
	inBytes := func(s []byte) {
		if len(s) > 0 && len(s) > len(b.Bytes) {
			t.Fatalf("section of %d bytes from a %d-byte block", len(s), len(b.Bytes))
		}
	}
	if r, p, err := DecodeNTTransRequest(msg, b); err == nil {
		inBytes(p.Params)
		inBytes(p.Data)
		fuzzNTTrans(r.Setup, p.Params, p.Data)
	}
	for _, t2 := range []bool{false, true} {
		if p, err := DecodeTransSecondary(msg, b, t2); err == nil {
			inBytes(p.Params)
			inBytes(p.Data)
		}
	}
	if p, err := DecodeNTTransSecondary(msg, b); err == nil {
		inBytes(p.Params)
		inBytes(p.Data)
	}
}

// fuzzNTTrans runs the NT_TRANSACT subcommand decoders.
func fuzzNTTrans(setup, params, data []byte) {
	for _, u := range []bool{false, true} {
		if r, err := DecodeNTTransCreate(params, data, u); err == nil &&
			len(r.SecurityDescriptor)+len(r.ExtendedAttributes) > len(data) {
			panic("SD and EAs longer than the data")
		}
		DecodeNTTransRename(params, u)
	}
	DecodeNTTransIoctlSetup(setup)
	DecodeNTTransSecDesc(params)
}

// FuzzNTTransParams feeds the NT_TRANSACT parameter decoders directly.
func FuzzNTTransParams(f *testing.F) {
	p := make([]byte, 60)
	p[36], p[40], p[44] = 4, 4, 4
	f.Add(make([]byte, 8), p, []byte{1, 2, 3, 4, 0, 0, 0, 0, 5, 6, 7, 8})
	f.Fuzz(func(t *testing.T, setup, params, data []byte) { fuzzNTTrans(setup, params, data) })
}

// fuzzTrans2 runs the TRANS2 parameter decoders and the info converters.
func fuzzTrans2(params, data []byte) {
	for _, u := range []bool{false, true} {
		DecodeFindFirst2(params, u)
		DecodeFindNext2(params, u)
		DecodePathInfo(params, u)
	}
	DecodeFileInfo(params)
	DecodeFSInfo(params)
	for _, u := range []bool{false, true} {
		DecodeOpen2(params, u)
		DecodeCreateDirectory(params, u)
	}
	if eas, err := DecodeFEAList(data); err == nil && len(data) >= 4 {
		if FEAListSize(eas) > len(data) || len(AppendFEAList(nil, eas)) != FEAListSize(eas) {
			panic("FEALIST re-encodes longer than it came")
		}
		AppendFullEAChain(nil, eas)
	}
	if names, err := DecodeGEAList(data); err == nil {
		AppendGetEAChain(nil, names)
	}
	if entries, err := DecodeIDBothDirEntries(data); err == nil {
		for i := range entries {
			AppendOS2FindEntry(nil, 0, FindEASize, &OS2FindEntry{DirEntry: &entries[i]}, true)
		}
	}
	for _, level := range []uint16{QueryFileBasicInfo, QueryFileAllInfo, InfoAllocation, InfoVolume} {
		ConvertQuery(level, data)
		ConvertFS(level, data)
	}
	if n, last, err := WalkEntries(data); err == nil && n > 0 && last >= len(data) {
		panic("last entry outside the list")
	}
}

// FuzzTrans2Params feeds the TRANS2 parameter and data decoders directly.
func FuzzTrans2Params(f *testing.F) {
	f.Add([]byte{0x16, 0, 0, 1, 6, 0, 4, 1, 0, 0, 0, 0, '\\', 0, '*', 0, 0, 0}, []byte{16, 0, 0, 0, 1, 2, 3, 4})
	f.Fuzz(func(t *testing.T, params, data []byte) { fuzzTrans2(params, data) })
}

// FuzzString checks String never reads outside [off, hi).
func FuzzString(f *testing.F) {
	f.Add([]byte("\x00a\x00b\x00\x00\x00"), 1, 7)
	f.Fuzz(func(t *testing.T, b []byte, off, hi int) {
		for _, u := range []bool{false, true} {
			if _, next, err := String(b, off, hi, u); err == nil && (next > hi || next < off) {
				t.Fatalf("next %d outside [%d, %d]", next, off, hi)
			}
		}
	})
}

// FuzzVerify: signing and verifying arbitrary bytes never panics, and a
// message signed for a sequence number verifies for it.
func FuzzVerify(f *testing.F) {
	for _, m := range fuzzMessages() {
		f.Add(m, uint32(2))
	}
	f.Fuzz(func(t *testing.T, msg []byte, seq uint32) {
		key := []byte("0123456789abcdef")
		Verify(key, msg, seq)
		Sign(key, msg, seq)
		if len(msg) >= HeaderSize && !Verify(key, msg, seq) {
			t.Fatal("signed message does not verify")
		}
	})
}

// FuzzRenameToSMB2: any TYPE_1 buffer converts to a TYPE_2 buffer SMB2's
// decoder accepts, or is refused; never a panic.
func FuzzRenameToSMB2(f *testing.F) {
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 'a', 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := RenameToSMB2(b, "d")
		if err != nil {
			return
		}
		if _, err := smb2.DecodeFileRenameInfo(out, smb2.FileRenameInformation); err != nil {
			t.Fatalf("converted buffer refused: %v", err)
		}
	})
}
