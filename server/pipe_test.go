package server

import (
	"encoding/binary"
	"testing"

	"github.com/zerosmb/zerosmb/smb2"
)

func readBody(id smb2.FileID, n uint32) []byte {
	le := binary.LittleEndian
	b := le.AppendUint16(nil, 49)
	b = append(b, 0, 0)
	b = le.AppendUint32(b, n)
	b = le.AppendUint64(b, 0)
	b = le.AppendUint64(b, id.Persistent)
	b = le.AppendUint64(b, id.Volatile)
	b = append(b, make([]byte, 16)...)
	return append(b, 0)
}

func TestPipeReadPends(t *testing.T) {
	u := newUnitConn(t)
	p, ok := u.c.srv.rpc.OpenPipe("srvsvc")
	if !ok {
		t.Fatal("no srvsvc pipe")
	}
	o := &open{sess: u.sess, tree: u.tree, pipe: p, access: fileReadData | fileWriteData}
	u.c.addOpen(o)
	r := u.c.handleRead(u.req(smb2.Read, readBody(o.id, 1024)))
	if r.pending == nil {
		t.Fatalf("READ on an empty pipe: %v, want pending", r.status)
	}
	r.pending.interimSent()
	if r2 := u.c.handleRead(u.req(smb2.Read, readBody(o.id, 1024))); r2.status != smb2.StatusPipeBusy {
		t.Errorf("second READ: %v, want PIPE_BUSY", r2.status)
	}
	r.pending.cancelOp()
	if st := u.finalStatus(t); st != smb2.StatusCancelled {
		t.Fatalf("cancelled pipe READ: %v", st)
	}
	r = u.c.handleRead(u.req(smb2.Read, readBody(o.id, 1024)))
	r.pending.interimSent()
	if w := u.c.writePipe(o, []byte("not dce/rpc at all, sixteen+ bytes")); w.status == smb2.StatusSuccess {
		t.Error("garbage WRITE to a pipe succeeded")
	}
	u.c.removeOpen(o)
	u.c.closeOpen(o)
	if st := u.finalStatus(t); st != smb2.StatusPipeBroken {
		t.Fatalf("pipe READ after close: %v", st)
	}
}
