package server

import (
	"encoding/binary"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/zerosmb/zerosmb/auth"
	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs/memfs"
)

// unitConn is a connection wired to an in-memory pipe with one valid
// session and one tree on a memfs share, for calling handlers directly.
type unitConn struct {
	c      *conn
	peer   net.Conn
	sess   *session
	tree   *tree
	frames chan []byte // messages the server wrote (async completions)
	mid    uint64
}

func newUnitConn(t *testing.T) *unitConn {
	t.Helper()
	fsys := memfs.New()
	users := auth.NewUserDB()
	users.Add("u", "pw")
	srv, err := New(Config{Shares: []*Share{{Name: "s", FS: fsys}}, Users: users, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	a, b := net.Pipe()
	c := newConn(srv, a)
	c.negotiated = true
	c.dialect = smb2.Dialect302
	c.maxIO = 1 << 20
	c.authed = true
	s := &session{id: 7, c: c, state: sessionValid, trees: map[uint32]*tree{}, user: "u"}
	s.sids = srv.tokenSIDs(s)
	tr := &tree{id: 3, sess: s, share: srv.shareTable().byName["s"]}
	if st := srv.treeAccess(tr); st != smb2.StatusSuccess {
		t.Fatalf("treeAccess: %v", st)
	}
	s.trees[tr.id] = tr
	c.sessions[s.id] = s
	u := &unitConn{c: c, peer: b, sess: s, tree: tr, frames: make(chan []byte, 16)}
	go func() {
		var fh [4]byte
		for {
			if _, err := io.ReadFull(b, fh[:]); err != nil {
				close(u.frames)
				return
			}
			n, _ := smb2.FrameLength(fh[:])
			msg := make([]byte, n)
			if _, err := io.ReadFull(b, msg); err != nil {
				close(u.frames)
				return
			}
			u.frames <- msg
		}
	}()
	t.Cleanup(func() { a.Close(); b.Close() })
	return u
}

// open creates a file on the share and registers an open of it.
func (u *unitConn) open(t *testing.T, name string, access uint32) *open {
	t.Helper()
	f, err := u.tree.share.FS.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	n := u.c.srv.nodes.acquire(u.tree.share, name)
	o := &open{sess: u.sess, tree: u.tree, name: name, file: f, node: n, access: access}
	n.mu.Lock()
	n.opens = append(n.opens, o)
	n.mu.Unlock()
	u.c.addOpen(o)
	return o
}

// req builds a request for cmd with body.
func (u *unitConn) req(cmd smb2.Command, body []byte) *request {
	u.mid++
	h := smb2.Header{Command: cmd, MessageID: u.mid, SessionID: u.sess.id, TreeID: u.tree.id, Credits: 1}
	msg := append(h.Append(nil), body...)
	return &request{hdr: h, msg: msg, sess: u.sess, tree: u.tree, chain: &compoundState{}}
}

// finalStatus waits for an async completion and returns its status.
func (u *unitConn) finalStatus(t *testing.T) smb2.Status {
	t.Helper()
	select {
	case msg, ok := <-u.frames:
		if !ok {
			t.Fatal("connection closed")
		}
		return smb2.Status(binary.LittleEndian.Uint32(msg[smb2.OffStatus:]))
	case <-time.After(5 * time.Second):
		t.Fatal("no async completion")
	}
	return 0
}

// expectNoFrame checks that nothing is written for a short while.
func (u *unitConn) expectNoFrame(t *testing.T) {
	t.Helper()
	select {
	case msg := <-u.frames:
		t.Fatalf("unexpected response, status %#x", binary.LittleEndian.Uint32(msg[smb2.OffStatus:]))
	case <-time.After(50 * time.Millisecond):
	}
}
