package smb1

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/zerosmb/zerosmb/smb2"
)

// msgWith builds a message: header for cmd, then blocks appended by f.
func msgWith(cmd Command, unicode bool, f func(b []byte) []byte) []byte {
	h := Header{Command: cmd, Flags2: Flags2NTStatus}
	if unicode {
		h.Flags2 |= Flags2Unicode
	}
	return f(h.Append(nil))
}

// block appends a block with the given words and bytes.
func block(b []byte, words, data []byte) []byte {
	b = append(b, byte(len(words)/2))
	b = append(b, words...)
	b = le.AppendUint16(b, uint16(len(data)))
	return append(b, data...)
}

func TestHeaderRoundTrip(t *testing.T) {
	h := Header{Command: ComNTCreateAndX, Status: 0xC0000022, Flags: FlagsReply, Flags2: Flags2Unicode,
		PIDHigh: 1, TID: 2, PIDLow: 3, UID: 4, MID: 5}
	b := h.Append(nil)
	if len(b) != HeaderSize {
		t.Fatalf("header is %d bytes", len(b))
	}
	got, err := DecodeHeader(b)
	if err != nil || got != h {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	if _, err := DecodeHeader(b[:31]); err == nil {
		t.Error("short header accepted")
	}
	b[0] = 0xFE
	if _, err := DecodeHeader(b); err == nil {
		t.Error("SMB2 protocol id accepted")
	}
}

func TestDecodeBlockLyingCounts(t *testing.T) {
	good := msgWith(ComEcho, false, func(b []byte) []byte { return block(b, []byte{1, 0}, []byte("ping")) })
	blk, err := DecodeBlock(good, HeaderSize)
	if err != nil || len(blk.Words) != 2 || string(blk.Bytes) != "ping" || blk.End != len(good) {
		t.Fatalf("good block: %+v %v", blk, err)
	}
	lyingWords := append([]byte(nil), good...)
	lyingWords[HeaderSize] = 50
	lyingBytes := append([]byte(nil), good...)
	le.PutUint16(lyingBytes[HeaderSize+3:], 5)
	for name, m := range map[string][]byte{"word count": lyingWords, "byte count": lyingBytes,
		"truncated": good[:HeaderSize+2], "no block": good[:HeaderSize]} {
		if _, err := DecodeBlock(m, HeaderSize); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestAndXOffsetsForwardOnly(t *testing.T) {
	// Two blocks: a LOGOFF_ANDX (AndX prefix) chained to an ECHO.
	m := msgWith(ComLogoffAndX, false, func(b []byte) []byte {
		return block(b, []byte{byte(ComEcho), 0, 0, 0}, nil)
	})
	next := len(m)
	m = block(m, []byte{1, 0}, nil)
	for _, tc := range []struct {
		off int
		ok  bool
	}{{next, true}, {HeaderSize, false}, {next - 1, false}, {len(m), false}, {0xFFFF, false}} {
		mm := append([]byte(nil), m...)
		le.PutUint16(mm[HeaderSize+3:], uint16(tc.off))
		b, _ := DecodeBlock(mm, HeaderSize)
		a, err := DecodeAndX(&b, len(mm))
		if (err == nil) != tc.ok {
			t.Errorf("AndX offset %d: err %v, want ok=%v", tc.off, err, tc.ok)
		}
		if tc.ok && a.Command != ComEcho {
			t.Errorf("AndX command %v", a.Command)
		}
	}
}

func TestNegotiateRequest(t *testing.T) {
	m := msgWith(ComNegotiate, false, func(b []byte) []byte {
		return block(b, nil, []byte("\x02PC NETWORK PROGRAM 1.0\x00\x02NT LM 0.12\x00"))
	})
	d, err := DecodeNegotiateRequest(m)
	if err != nil || len(d) != 2 || d[1] != DialectNTLM012 {
		t.Fatalf("dialects %q, %v", d, err)
	}
	if _, err := DecodeNegotiateRequest(m[:len(m)-1]); err == nil {
		t.Error("unterminated dialect accepted")
	}
}

func TestNegotiateResponseLayout(t *testing.T) {
	r := NegotiateResponse{DialectIndex: 1, Capabilities: CapExtendedSecurity, SecurityBlob: []byte("blob")}
	b := r.Append(nil)
	if b[0] != 17 || le.Uint16(b[1:]) != 1 || le.Uint32(b[1+19:]) != CapExtendedSecurity {
		t.Fatalf("words: % x", b[:36])
	}
	if bc := le.Uint16(b[35:]); bc != 16+4 || !bytes.Equal(b[37+16:], []byte("blob")) {
		t.Fatalf("bytes: count %d, % x", bc, b[35:])
	}
}

func TestSessionSetupRequest(t *testing.T) {
	words := make([]byte, 24)
	words[0] = byte(ComNoAndX)
	le.PutUint16(words[4:], 4356)
	le.PutUint16(words[14:], 3)
	le.PutUint32(words[20:], CapExtendedSecurity)
	m := msgWith(ComSessionSetupX, true, func(b []byte) []byte { return block(b, words, []byte("tok\x00\x00")) })
	b, _ := DecodeBlock(m, HeaderSize)
	r, err := DecodeSessionSetupRequest(m, &b)
	if err != nil || string(r.SecurityBlob) != "tok" || r.MaxBufferSize != 4356 {
		t.Fatalf("%+v %v", r, err)
	}
	le.PutUint16(m[HeaderSize+1+14:], 200) // blob longer than the bytes
	b, _ = DecodeBlock(m, HeaderSize)
	if _, err := DecodeSessionSetupRequest(m, &b); err == nil {
		t.Error("blob length past the bytes accepted")
	}
	lm := msgWith(ComSessionSetupX, true, func(b []byte) []byte { return block(b, make([]byte, 26), nil) })
	b, _ = DecodeBlock(lm, HeaderSize)
	if _, err := DecodeSessionSetupRequest(lm, &b); !errors.Is(err, ErrNotExtendedSecurity) {
		t.Errorf("NTLM (13-word) session setup: %v", err)
	}
}

func TestTreeConnectRequest(t *testing.T) {
	words := []byte{byte(ComNoAndX), 0, 0, 0, 8, 0, 1, 0}
	m := msgWith(ComTreeConnectAndX, true, func(b []byte) []byte {
		data := []byte{0} // password
		if (len(b)+3+len(words)+len(data))%2 != 0 {
			data = append(data, 0)
		}
		data = append(smb2.AppendUTF16(data, `\\srv\share`), 0, 0)
		return block(b, words, append(data, "?????\x00"...))
	})
	b, _ := DecodeBlock(m, HeaderSize)
	r, err := DecodeTreeConnectRequest(m, &b, true)
	if err != nil || r.Path != `\\srv\share` || r.Service != "?????" || r.Flags != 8 {
		t.Fatalf("%+v %v", r, err)
	}
}

func TestNTCreateRequest(t *testing.T) {
	words := make([]byte, 48)
	words[0] = byte(ComNoAndX)
	name := append(smb2.AppendUTF16(nil, `\dir\f.txt`), 0, 0)
	le.PutUint16(words[5:], uint16(len(name)))
	le.PutUint32(words[15:], 0x0012019F)
	le.PutUint32(words[35:], 3)
	m := msgWith(ComNTCreateAndX, true, func(b []byte) []byte { return block(b, words, append([]byte{0}, name...)) })
	b, _ := DecodeBlock(m, HeaderSize)
	r, err := DecodeNTCreateRequest(m, &b, true)
	if err != nil || r.Name != `\dir\f.txt` || r.DesiredAccess != 0x0012019F || r.CreateDisposition != 3 {
		t.Fatalf("%+v %v", r, err)
	}
	resp := (&NTCreateResponse{FID: 7, Directory: true}).Append(nil)
	if resp[0] != 34 || len(resp) != 1+68+2 || le.Uint16(resp[6:]) != 7 || resp[68] != 1 {
		t.Fatalf("response block % x", resp)
	}
}

func TestReadWriteAndX(t *testing.T) {
	words := make([]byte, 20)
	words[0] = byte(ComNoAndX)
	le.PutUint16(words[4:], 9)
	le.PutUint32(words[6:], 0x1000)
	le.PutUint16(words[10:], 0x0000)
	le.PutUint32(words[14:], 1)       // MaxCountHigh: 64 KiB
	words = append(words, 1, 0, 0, 0) // OffsetHigh
	m := msgWith(ComReadAndX, false, func(b []byte) []byte { return block(b, words, nil) })
	b, _ := DecodeBlock(m, HeaderSize)
	r, err := DecodeReadAndXRequest(m, &b, true)
	if err != nil || r.FID != 9 || r.Offset != 1<<32|0x1000 || r.MaxCount != 65536 {
		t.Fatalf("read %+v %v", r, err)
	}
	resp := AppendReadAndXResponse(make([]byte, HeaderSize), 70000)
	if len(resp) != ReadAndXDataOffset || le.Uint16(resp[HeaderSize+11:]) != uint16(70000&0xFFFF) ||
		le.Uint16(resp[HeaderSize+13:]) != ReadAndXDataOffset || le.Uint16(resp[HeaderSize+15:]) != 1 {
		t.Fatalf("read response % x", resp[HeaderSize:])
	}

	ww := make([]byte, 28)
	ww[0] = byte(ComNoAndX)
	le.PutUint16(ww[4:], 9)
	le.PutUint32(ww[6:], 100)
	le.PutUint16(ww[20:], 5)
	le.PutUint16(ww[22:], WriteAndXFixedSize+1)
	wm := msgWith(ComWriteAndX, false, func(b []byte) []byte { return block(b, ww, []byte("\x00hello")) })
	b, _ = DecodeBlock(wm, HeaderSize)
	w, data, err := DecodeWriteAndXRequest(wm, &b, true)
	if err != nil || string(data) != "hello" || w.Offset != 100 {
		t.Fatalf("write %+v %q %v", w, data, err)
	}
	if _, pw, ok := PeekWriteAndX(wm[:WriteAndXFixedSize], len(wm), true); !ok || pw.DataLength != 5 {
		t.Fatalf("peek %+v %v", pw, ok)
	}
	for _, off := range []uint16{10, HeaderSize + 20, uint16(len(wm))} { // inside the words, past the end
		bad := append([]byte(nil), wm...)
		le.PutUint16(bad[HeaderSize+1+22:], off)
		b, _ = DecodeBlock(bad, HeaderSize)
		if _, _, err := DecodeWriteAndXRequest(bad, &b, true); err == nil {
			t.Errorf("data offset %d accepted", off)
		}
	}
}

func trans2Msg(sub uint16, params, data []byte, mod func(w []byte)) []byte {
	w := make([]byte, 30)
	le.PutUint16(w[0:], uint16(len(params)))
	le.PutUint16(w[2:], uint16(len(data)))
	le.PutUint16(w[4:], 10)
	le.PutUint16(w[6:], 4096)
	le.PutUint16(w[18:], uint16(len(params)))
	po := HeaderSize + 1 + 30 + 2
	le.PutUint16(w[20:], uint16(po))
	le.PutUint16(w[22:], uint16(len(data)))
	le.PutUint16(w[24:], uint16(po+len(params)))
	w[26] = 1
	le.PutUint16(w[28:], sub)
	if mod != nil {
		mod(w)
	}
	return msgWith(ComTransaction2, true, func(b []byte) []byte { return block(b, w, append(append([]byte(nil), params...), data...)) })
}

func TestTrans2Request(t *testing.T) {
	params := append([]byte{0x16, 0, 0, 1, 6, 0, 4, 1, 0, 0, 0, 0}, append(smb2.AppendUTF16(nil, `\*`), 0, 0)...)
	m := trans2Msg(Trans2FindFirst2, params, nil, nil)
	b, _ := DecodeBlock(m, HeaderSize)
	r, err := DecodeTrans2Request(m, &b)
	if err != nil || r.Setup[0] != Trans2FindFirst2 {
		t.Fatalf("%+v %v", r, err)
	}
	ff, err := DecodeFindFirst2(r.Params, true)
	if err != nil || ff.Pattern != `\*` || ff.InfoLevel != FindFileBothDirectoryInfo || ff.SearchCount != 256 {
		t.Fatalf("find first %+v %v", ff, err)
	}
	for name, mod := range map[string]func(w []byte){
		"params past the end": func(w []byte) { le.PutUint16(w[20:], 0xFFF0) },
		"params in the words": func(w []byte) { le.PutUint16(w[20:], HeaderSize) },
		"data past the end":   func(w []byte) { le.PutUint16(w[22:], 100) },
		"setup count lies":    func(w []byte) { w[26] = 3 },
	} {
		m := trans2Msg(Trans2FindFirst2, params, nil, mod)
		b, err := DecodeBlock(m, HeaderSize)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := DecodeTrans2Request(m, &b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	m = trans2Msg(Trans2FindFirst2, params, nil, func(w []byte) { le.PutUint16(w[0:], 100) })
	b, _ = DecodeBlock(m, HeaderSize)
	if _, err := DecodeTrans2Request(m, &b); !errors.Is(err, ErrSecondaryNeeded) {
		t.Errorf("TotalParameterCount > ParameterCount: %v", err)
	}
}

func TestTrans2ResponseLayout(t *testing.T) {
	b := AppendTrans2Response(make([]byte, HeaderSize), 0, []byte{1, 2}, []byte("data"))
	po, do := int(le.Uint16(b[HeaderSize+9:])), int(le.Uint16(b[HeaderSize+15:]))
	if po%4 != 0 || do%4 != 0 || !bytes.Equal(b[po:po+2], []byte{1, 2}) || string(b[do:do+4]) != "data" {
		t.Fatalf("params at %d, data at %d: % x", po, do, b[HeaderSize:])
	}
	if bc := int(le.Uint16(b[HeaderSize+21:])); HeaderSize+23+bc != len(b) {
		t.Fatalf("byte count %d for %d bytes", bc, len(b))
	}
}

func TestInfoConversions(t *testing.T) {
	all := make([]byte, 100+6)
	for i := range all {
		all[i] = byte(i)
	}
	out, err := ConvertQuery(QueryFileAllInfo, all)
	if err != nil || len(out) != 64+4+4+6 || out[64] != 72 || out[68] != 96 {
		t.Fatalf("all info % x, %v", out, err)
	}
	if out2, err := ConvertQuery(QueryPassthroughAllInfo, all); err != nil || !bytes.Equal(out, out2) {
		t.Errorf("pass-through FileAllInformation not in the SMB1 layout: % x, %v", out2, err)
	}
	if c, ok := QueryClass(1004); !ok || c != 4 {
		t.Errorf("passthrough level 1004 -> %d %v", c, ok)
	}
	size := le.AppendUint64(nil, 1<<40)
	size = le.AppendUint64(size, 10)
	size = le.AppendUint32(size, 8)
	size = le.AppendUint32(size, 512)
	out, err = ConvertFS(InfoAllocation, size)
	if err != nil || len(out) != 18 || le.Uint32(out[8:]) != 0xFFFFFFFF || le.Uint16(out[16:]) != 512 {
		t.Fatalf("allocation % x %v", out, err)
	}
}

func TestWalkJoinEntries(t *testing.T) {
	e := func(next uint32, n int) []byte { b := make([]byte, n); le.PutUint32(b, next); return b }
	a := append(e(16, 16), e(0, 12)...)
	n, last, err := WalkEntries(a)
	if err != nil || n != 2 || last != 16 {
		t.Fatalf("walk %d %d %v", n, last, err)
	}
	j := JoinEntries(a, last, e(0, 20))
	if n, last, err := WalkEntries(j); err != nil || n != 3 || last != 32 {
		t.Fatalf("joined walk %d %d %v", n, last, err)
	}
	for _, bad := range [][]byte{e(2, 8), e(100, 8), {1, 2}} {
		if _, _, err := WalkEntries(bad); err == nil {
			t.Errorf("% x accepted", bad)
		}
	}
}

func TestStringAlignment(t *testing.T) {
	m := append(make([]byte, 34), smb2.AppendUTF16(nil, "ab")...) // from odd offset 33: one pad byte
	m = append(m, 0, 0)
	s, next, err := String(m, 33, len(m), true)
	if err != nil || s != "ab" || next != len(m) {
		t.Fatalf("%q %d %v", s, next, err)
	}
	bad := append(make([]byte, 32), 0x00, 0xD8, 0, 0) // lone surrogate
	if _, _, err := String(bad, 32, len(bad), true); !errors.Is(err, ErrBadName) {
		t.Errorf("lone surrogate: %v", err)
	}
}

func TestInfoStandard(t *testing.T) {
	b := make([]byte, 56)
	ft := smb2.FileTime(time.Date(2024, 5, 17, 13, 45, 31, 0, time.UTC))
	for _, off := range []int{0, 8, 16, 24} {
		le.PutUint64(b[off:], ft)
	}
	le.PutUint64(b[32:], 4096)
	le.PutUint64(b[40:], 1234)
	le.PutUint32(b[48:], 0x21)
	out, err := ConvertQuery(InfoStandard, b)
	if err != nil || len(out) != 22 {
		t.Fatalf("% x %v", out, err)
	}
	wantDate, wantTime := uint16(44<<9|5<<5|17), uint16(13<<11|45<<5|15)
	if le.Uint16(out[8:]) != wantDate || le.Uint16(out[10:]) != wantTime || le.Uint32(out[12:]) != 1234 ||
		le.Uint32(out[16:]) != 4096 || le.Uint16(out[20:]) != 0x21 {
		t.Errorf("SMB_INFO_STANDARD % x", out)
	}
	if d, tm := DOSDateTime(time.Time{}); d != 0x21 || tm != 0 {
		t.Errorf("zero time -> %#x %#x", d, tm)
	}
}
