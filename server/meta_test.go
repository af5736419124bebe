package server

import (
	"fmt"
	"testing"

	"github.com/zerosmb/zerosmb/smb2"
)

// metaCount is how many paths have in-memory metadata.
func metaCount(s *Server) int {
	s.nodes.ns.mu.Lock()
	defer s.nodes.ns.mu.Unlock()
	return len(s.nodes.ns.meta)
}

// TestMetaForgottenOnDelete: the in-memory metadata of a file (its DOS
// attributes, sparse flag...) goes with the file, so creating and
// deleting files does not grow the server without bound.
func TestMetaForgottenOnDelete(t *testing.T) {
	hs := startHostile(t)
	c := hs.session(t)
	base := metaCount(hs.Srv)
	for i := range 200 {
		b := rawCreate(fmt.Sprintf("tmp%d", i), rawDispCreate)
		le.PutUint32(b[40:], 0x00001000) // FILE_DELETE_ON_CLOSE
		le.PutUint32(b[24:], genericAll|0x00010000)
		r := c.call(smb2.Create, b, nil)
		if r.hdr.Status != smb2.StatusSuccess {
			t.Fatalf("CREATE: %v", r.hdr.Status)
		}
		fid := smb2.FileID{Persistent: le.Uint64(r.body[64:]), Volatile: le.Uint64(r.body[72:])}
		c.call(smb2.Close, rawClose(fid), nil)
	}
	if n := metaCount(hs.Srv); n > base {
		t.Errorf("metadata of %d paths kept after creating and deleting 200 files (%d before)", n, base)
	}
}
