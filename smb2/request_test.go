package smb2

import (
	"bytes"
	"testing"
)

// The request encoders are the inverses of the server's decoders: encode,
// decode, compare.

func bridgeMsg(cmd Command, body []byte) []byte {
	return AppendBody(nil, &Header{Command: cmd}, body)
}

func TestRequestEncodersRoundTrip(t *testing.T) {
	id := FileID{Persistent: 7, Volatile: 9}
	cr := CreateRequest{ImpersonationLevel: 2, DesiredAccess: 0x12019F, FileAttributes: 0x80, ShareAccess: 7,
		CreateDisposition: FileOpenIf, CreateOptions: FileNonDirectoryFile, Name: `dir\f.txt`}
	got, err := DecodeCreateRequest(bridgeMsg(Create, cr.Append(nil)))
	if err != nil || got.Name != cr.Name || got.DesiredAccess != cr.DesiredAccess || got.CreateOptions != cr.CreateOptions ||
		got.CreateDisposition != cr.CreateDisposition || got.ShareAccess != 7 || got.FileAttributes != 0x80 {
		t.Errorf("create: %+v %v", got, err)
	}
	if got, err := DecodeCreateRequest(bridgeMsg(Create, (&CreateRequest{}).Append(nil))); err != nil || got.Name != "" {
		t.Errorf("create of the root: %+v %v", got, err)
	}
	if c, err := DecodeCloseRequest(bridgeMsg(Close, (&CloseRequest{Flags: 1, FileID: id}).Append(nil))); err != nil || c.FileID != id || c.Flags != 1 {
		t.Errorf("close: %+v %v", c, err)
	}
	if fl, err := DecodeFlushRequest(bridgeMsg(Flush, (&FlushRequest{FileID: id}).Append(nil))); err != nil || fl.FileID != id {
		t.Errorf("flush: %+v %v", fl, err)
	}
	rr := ReadRequest{Length: 65536, Offset: 1 << 33, FileID: id, MinimumCount: 3}
	if r, err := DecodeReadRequest(bridgeMsg(Read, rr.Append(nil))); err != nil || r.Length != rr.Length || r.Offset != rr.Offset || r.FileID != id || r.MinimumCount != 3 {
		t.Errorf("read: %+v %v", r, err)
	}
	wr := WriteRequest{DataOffset: HeaderSize + WriteRequestFixedSize, Length: 5, Offset: 10, FileID: id, Flags: WriteFlagWriteThrough}
	w, data, err := DecodeWriteRequest(bridgeMsg(Write, append(wr.AppendFixed(nil), "hello"...)))
	if err != nil || string(data) != "hello" || w.Offset != 10 || w.FileID != id || w.Flags != WriteFlagWriteThrough {
		t.Errorf("write: %+v %q %v", w, data, err)
	}
	qd := QueryDirectoryRequest{FileInformationClass: FileBothDirectoryInformation, FileID: id, FileName: "*.txt", OutputBufferLength: 4096}
	if q, err := DecodeQueryDirectoryRequest(bridgeMsg(QueryDirectory, qd.Append(nil))); err != nil || q != qd {
		t.Errorf("query directory: %+v %v", q, err)
	}
	qi := QueryInfoRequest{InfoType: InfoFile, FileInfoClass: 18, OutputBufferLength: 1024, FileID: id}
	if q, err := DecodeQueryInfoRequest(bridgeMsg(QueryInfo, qi.Append(nil))); err != nil || q.FileInfoClass != 18 || q.FileID != id || q.OutputBufferLength != 1024 {
		t.Errorf("query info: %+v %v", q, err)
	}
	si := SetInfoRequest{InfoType: InfoFile, FileInfoClass: 13, Buffer: []byte{1}, FileID: id}
	if s, err := DecodeSetInfoRequest(bridgeMsg(SetInfo, si.Append(nil))); err != nil || !bytes.Equal(s.Buffer, []byte{1}) || s.FileID != id {
		t.Errorf("set info: %+v %v", s, err)
	}
	lr := LockRequest{FileID: id, LockSequenceNumber: 3, LockSequenceIndex: 9, Locks: []LockElement{{Offset: 1, Length: 2, Flags: LockFlagSharedLock}}}
	if l, err := DecodeLockRequest(bridgeMsg(Lock, lr.Append(nil))); err != nil || l.FileID != id || len(l.Locks) != 1 || l.Locks[0] != lr.Locks[0] ||
		l.LockSequenceNumber != 3 || l.LockSequenceIndex != 9 {
		t.Errorf("lock: %+v %v", l, err)
	}
	ir := IoctlRequest{CtlCode: FsctlPipeTransceive, FileID: id, Input: []byte{5, 0, 11}, MaxOutputResponse: 4280, Flags: IoctlFlagIsFsctl}
	if i, err := DecodeIoctlRequest(bridgeMsg(Ioctl, ir.Append(nil))); err != nil || i.CtlCode != ir.CtlCode || i.FileID != id ||
		!bytes.Equal(i.Input, ir.Input) || i.MaxOutputResponse != 4280 || !i.IsFsctl() {
		t.Errorf("ioctl: %+v %v", i, err)
	}
	if tc, err := DecodeTreeConnectRequest(bridgeMsg(TreeConnect, AppendTreeConnectRequest(nil, `\\h\share`))); err != nil || tc.Path != `\\h\share` {
		t.Errorf("tree connect: %+v %v", tc, err)
	}
}

func TestResponseDecodersRoundTrip(t *testing.T) {
	cr := CreateResponse{CreateAction: FileCreated, EndOfFile: 5, FileAttributes: 0x20, FileID: FileID{1, 2}, LastWriteTime: 99}
	if got, err := DecodeCreateResponse(cr.Append(nil)); err != nil || got.FileID != cr.FileID || got.EndOfFile != 5 ||
		got.CreateAction != FileCreated || got.LastWriteTime != 99 || got.FileAttributes != 0x20 {
		t.Errorf("create response: %+v %v", got, err)
	}
	if out, err := DecodeOutputResponse(AppendOutputResponse(nil, []byte("abc"))); err != nil || string(out) != "abc" {
		t.Errorf("output response: %q %v", out, err)
	}
	if out, err := DecodeOutputResponse(AppendOutputResponse(nil, nil)); err != nil || out != nil {
		t.Errorf("empty output response: %q %v", out, err)
	}
	if n, err := DecodeWriteResponse((&WriteResponse{Count: 77}).Append(nil)); err != nil || n != 77 {
		t.Errorf("write response: %d %v", n, err)
	}
	tr := TreeConnectResponse{ShareType: ShareTypePipe, MaximalAccess: 0x1F01FF}
	if got, err := DecodeTreeConnectResponse(tr.Append(nil)); err != nil || got != tr {
		t.Errorf("tree connect response: %+v %v", got, err)
	}
	if out, err := DecodeIoctlOutput((&IoctlResponse{CtlCode: FsctlPipeTransceive, Output: []byte("pdu")}).Append(nil)); err != nil || string(out) != "pdu" {
		t.Errorf("ioctl output: %q %v", out, err)
	}
	if _, err := DecodeOutputResponse([]byte{9, 0, 200, 0, 5, 0, 0, 0}); err == nil {
		t.Error("output buffer past the body accepted")
	}
}
