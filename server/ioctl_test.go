package server

import (
	"encoding/binary"
	"testing"

	"github.com/zerosmb/zerosmb/smb2"
)

func ioctlBody(ctl uint32, id smb2.FileID, in []byte, maxOut uint32) []byte {
	le := binary.LittleEndian
	b := le.AppendUint16(nil, 57)
	b = le.AppendUint16(b, 0)
	b = le.AppendUint32(b, ctl)
	b = le.AppendUint64(b, id.Persistent)
	b = le.AppendUint64(b, id.Volatile)
	b = le.AppendUint32(b, smb2.HeaderSize+56) // InputOffset
	b = le.AppendUint32(b, uint32(len(in)))
	b = le.AppendUint32(b, 0) // MaxInputResponse
	b = le.AppendUint32(b, 0) // OutputOffset
	b = le.AppendUint32(b, 0) // OutputCount
	b = le.AppendUint32(b, maxOut)
	b = le.AppendUint32(b, smb2.IoctlFlagIsFsctl)
	b = le.AppendUint32(b, 0)
	return append(b, in...)
}

// ioctlOut extracts the output buffer of an IOCTL response body.
func ioctlOut(t *testing.T, body []byte) []byte {
	t.Helper()
	off := binary.LittleEndian.Uint32(body[32:]) - smb2.HeaderSize
	n := binary.LittleEndian.Uint32(body[36:])
	if int(off+n) > len(body) {
		t.Fatalf("output %d+%d outside body of %d", off, n, len(body))
	}
	return body[off : off+n]
}

func TestValidateNegotiate(t *testing.T) {
	u := newUnitConn(t)
	c := u.c
	c.clientGUID = [16]byte{1, 2, 3}
	c.clientSecMode = smb2.NegotiateSigningEnabled
	c.clientCaps = 0x44
	c.clientDialects = []uint16{smb2.Dialect202, smb2.Dialect210, smb2.Dialect300, smb2.Dialect302}
	c.serverCaps = smb2.CapLargeMTU
	c.serverSecMode = smb2.NegotiateSigningEnabled
	vneg := func(caps uint32, guid [16]byte, mode uint16, dialects ...uint16) []byte {
		b := binary.LittleEndian.AppendUint32(nil, caps)
		b = append(b, guid[:]...)
		b = binary.LittleEndian.AppendUint16(b, mode)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(dialects)))
		for _, d := range dialects {
			b = binary.LittleEndian.AppendUint16(b, d)
		}
		return b
	}
	good := vneg(0x44, c.clientGUID, smb2.NegotiateSigningEnabled, c.clientDialects...)
	resp := c.handleIoctl(u.req(smb2.Ioctl, ioctlBody(smb2.FsctlValidateNegotiateInfo, smb2.AnyFileID, good, 24)))
	if resp.status != smb2.StatusSuccess {
		t.Fatalf("matching VALIDATE_NEGOTIATE_INFO: %v", resp.status)
	}
	out := ioctlOut(t, resp.body)
	if len(out) != 24 || binary.LittleEndian.Uint16(out[22:]) != smb2.Dialect302 ||
		binary.LittleEndian.Uint32(out) != smb2.CapLargeMTU || [16]byte(out[4:20]) != c.srv.guid {
		t.Errorf("VALIDATE_NEGOTIATE_INFO response %x", out)
	}
	bad := map[string][]byte{
		"guid":     vneg(0x44, [16]byte{9}, smb2.NegotiateSigningEnabled, c.clientDialects...),
		"caps":     vneg(0x45, c.clientGUID, smb2.NegotiateSigningEnabled, c.clientDialects...),
		"secmode":  vneg(0x44, c.clientGUID, 0, c.clientDialects...),
		"dialects": vneg(0x44, c.clientGUID, smb2.NegotiateSigningEnabled, smb2.Dialect202, smb2.Dialect210),
		"short":    good[:10],
	}
	for name, in := range bad {
		resp := c.handleIoctl(u.req(smb2.Ioctl, ioctlBody(smb2.FsctlValidateNegotiateInfo, smb2.AnyFileID, in, 24)))
		if !resp.disconnect {
			t.Errorf("%s mismatch: %v, want disconnect", name, resp.status)
		}
	}
	if r := c.handleIoctl(u.req(smb2.Ioctl, ioctlBody(smb2.FsctlValidateNegotiateInfo, smb2.AnyFileID, good, 23))); !r.disconnect {
		t.Errorf("MaxOutputResponse 23: %v, want disconnect", r.status)
	}
	c.dialect = smb2.Dialect311
	if r := c.handleIoctl(u.req(smb2.Ioctl, ioctlBody(smb2.FsctlValidateNegotiateInfo, smb2.AnyFileID, good, 24))); !r.disconnect {
		t.Errorf("on 3.1.1: %v, want disconnect", r.status)
	}
}

func TestFileIoctls(t *testing.T) {
	u := newUnitConn(t)
	o := u.open(t, "z", fileReadData|fileWriteData)
	data := make([]byte, 300)
	for i := range data {
		data[i] = 0xAA
	}
	o.file.WriteAt(data, 0)
	rng := func(a, b uint64) []byte {
		return binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, a), b)
	}
	call := func(ctl uint32, in []byte, maxOut uint32) response {
		return u.c.handleIoctl(u.req(smb2.Ioctl, ioctlBody(ctl, o.id, in, maxOut)))
	}
	// Zero 100..200, clipped to the file.
	if r := call(smb2.FsctlSetZeroData, rng(100, 200), 0); r.status != smb2.StatusSuccess {
		t.Fatalf("SET_ZERO_DATA: %v", r.status)
	}
	got := make([]byte, 300)
	o.file.ReadAt(got, 0)
	for i, b := range got {
		if want := byte(0xAA); (i >= 100 && i < 200 && b != 0) || ((i < 100 || i >= 200) && b != want) {
			t.Fatalf("byte %d = %#x after SET_ZERO_DATA", i, b)
		}
	}
	if fi, _ := o.file.Stat(); fi.Size() != 300 {
		t.Errorf("SET_ZERO_DATA changed size to %d", fi.Size())
	}
	r := call(smb2.FsctlQueryAllocatedRanges, rng(10, 1000), 16)
	if out := ioctlOut(t, r.body); r.status != smb2.StatusSuccess || len(out) != 16 ||
		binary.LittleEndian.Uint64(out) != 10 || binary.LittleEndian.Uint64(out[8:]) != 290 {
		t.Errorf("QUERY_ALLOCATED_RANGES: %v %x", r.status, r.body)
	}
	if r := call(smb2.FsctlQueryAllocatedRanges, rng(10, 1000), 8); r.status != smb2.StatusBufferTooSmall {
		t.Errorf("QUERY_ALLOCATED_RANGES with 8-byte output: %v", r.status)
	}
	if r := call(smb2.FsctlGetReparsePoint, nil, 100); r.status != smb2.StatusNotAReparsePoint {
		t.Errorf("GET_REPARSE_POINT: %v", r.status)
	}
	if r := call(0x00090000, nil, 100); r.status != smb2.StatusNotSupported {
		t.Errorf("unknown FSCTL: %v", r.status)
	}
	if r := call(smb2.FsctlSrvEnumerateSnapshots, nil, 16); r.status != smb2.StatusSuccess || len(ioctlOut(t, r.body)) != 16 {
		t.Errorf("ENUMERATE_SNAPSHOTS: %v", r.status)
	}
	body := ioctlBody(smb2.FsctlSetSparse, o.id, nil, 0)
	binary.LittleEndian.PutUint32(body[48:], 0) // not an FSCTL
	if r := u.c.handleIoctl(u.req(smb2.Ioctl, body)); r.status != smb2.StatusNotSupported {
		t.Errorf("non-FSCTL IOCTL: %v", r.status)
	}
	if r := call(smb2.FsctlSetSparse, nil, 0); r.status != smb2.StatusSuccess {
		t.Errorf("SET_SPARSE: %v", r.status)
	}
	if r := call(smb2.FsctlPipeTransceive, nil, 100); r.status != smb2.StatusInvalidDeviceRequest {
		t.Errorf("PIPE_TRANSCEIVE on a file: %v", r.status)
	}
	if r := u.c.handleIoctl(u.req(smb2.Ioctl, ioctlBody(smb2.FsctlQueryNetworkInterfaceInfo, o.id, nil, 1000))); r.status != smb2.StatusInvalidParameter {
		t.Errorf("QUERY_NETWORK_INTERFACE_INFO with a FileId: %v", r.status)
	}
}
