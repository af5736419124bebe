package smb1

import (
	"bytes"
	"testing"

	"github.com/zerosmb/zerosmb/smb2"
)

// ntTransMsg builds an NT_TRANSACT primary carrying params and data
// (4-byte aligned from the header) and announcing totals tp and td.
func ntTransMsg(fn uint16, setup, params, data []byte, tp, td uint32) []byte {
	h := Header{Command: ComNTTransact, Flags2: Flags2Unicode | Flags2NTStatus}
	m := h.Append(nil)
	w := make([]byte, 38+len(setup))
	bytesOff := HeaderSize + 1 + len(w) + 2
	po := (bytesOff + 3) &^ 3
	do := (po + len(params) + 3) &^ 3
	le.PutUint32(w[3:], tp)
	le.PutUint32(w[7:], td)
	le.PutUint32(w[11:], 1024)
	le.PutUint32(w[15:], 1024)
	le.PutUint32(w[19:], uint32(len(params)))
	le.PutUint32(w[23:], uint32(po))
	le.PutUint32(w[27:], uint32(len(data)))
	le.PutUint32(w[31:], uint32(do))
	w[35] = byte(len(setup) / 2)
	le.PutUint16(w[36:], fn)
	copy(w[38:], setup)
	b := make([]byte, do-bytesOff+len(data))
	copy(b[po-bytesOff:], params)
	copy(b[do-bytesOff:], data)
	return block(m, w, b)
}

func TestNTTransCreate(t *testing.T) {
	p := make([]byte, 53)
	le.PutUint32(p[8:], 0x120089) // DesiredAccess
	le.PutUint32(p[28:], 2)       // FILE_CREATE
	le.PutUint32(p[36:], 3)       // SD length
	le.PutUint32(p[40:], 5)       // EA length
	name := smb2.AppendUTF16(nil, `\dir\f.txt`)
	le.PutUint32(p[44:], uint32(len(name)+2))
	p = append(append(append(p, 0), name...), 0, 0) // pad to even, name, terminator
	data := []byte{1, 2, 3, 0, 'e', 'a', 'e', 'a', 'e'}
	msg := ntTransMsg(NTTransCreate, nil, p, data, uint32(len(p)), uint32(len(data)))
	b, err := DecodeBlock(msg, HeaderSize)
	if err != nil {
		t.Fatal(err)
	}
	r, part, err := DecodeNTTransRequest(msg, &b)
	if err != nil || !part.Complete() || r.Function != NTTransCreate {
		t.Fatalf("%+v %v", part, err)
	}
	c, err := DecodeNTTransCreate(r.Params, r.Data, true)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != `\dir\f.txt` || c.DesiredAccess != 0x120089 || c.CreateDisposition != 2 ||
		!bytes.Equal(c.SecurityDescriptor, []byte{1, 2, 3}) || string(c.ExtendedAttributes) != "eaeae" {
		t.Errorf("decoded %+v", c)
	}
	// Lengths longer than the data are refused.
	le.PutUint32(p[40:], 50)
	if _, err := DecodeNTTransCreate(p, data, true); err == nil {
		t.Error("EA length past the data accepted")
	}
}

func TestNTTransPartial(t *testing.T) {
	msg := ntTransMsg(NTTransIoctl, make([]byte, 8), nil, []byte("abcd"), 0, 10)
	b, _ := DecodeBlock(msg, HeaderSize)
	r, part, err := DecodeNTTransRequest(msg, &b)
	if err != nil || part.Complete() || r.Data != nil || string(part.Data) != "abcd" || part.TotalData != 10 {
		t.Fatalf("%+v %+v %v", r, part, err)
	}
	// A data offset outside the bytes block.
	le.PutUint32(msg[HeaderSize+1+31:], 4000)
	b, _ = DecodeBlock(msg, HeaderSize)
	if _, _, err := DecodeNTTransRequest(msg, &b); err == nil {
		t.Error("data outside the block accepted")
	}
}

func TestNTTransResponse(t *testing.T) {
	base := 4
	dst := make([]byte, base+HeaderSize)
	out := AppendNTTransResponse(dst, base, nil, []byte{1, 2, 3}, []byte{9})
	blk, err := DecodeBlock(out[base:], HeaderSize)
	if err != nil || blk.WordCount() != 18 {
		t.Fatalf("%d words %v", blk.WordCount(), err)
	}
	w := blk.Words
	po, do := le.Uint32(w[15:]), le.Uint32(w[27:])
	if po%4 != 0 || do%4 != 0 || out[base+int(po)] != 1 || out[base+int(do)] != 9 || le.Uint32(w[3:]) != 3 {
		t.Errorf("params at %d, data at %d: % x", po, do, out[base:])
	}
}
