package server

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs/osfs"
)

// rawCreateOpts is a CREATE (GENERIC_ALL, share all) with CreateOptions
// and a chain of contexts.
func rawCreateOpts(name string, disposition, options uint32, ctxs []smb2.CreateContext) []byte {
	b := rawCreateCtx(rawCreateReq{name: name, disposition: disposition, share: 7, ctxs: ctxs})
	le.PutUint32(b[40:], options)
	return b
}

// respContexts decodes the create contexts of a CREATE response body.
func respContexts(t testing.TB, body []byte) map[string][]byte {
	t.Helper()
	off, n := int(le.Uint32(body[80:])), int(le.Uint32(body[84:]))
	out := map[string][]byte{}
	if n == 0 {
		return out
	}
	ctxs, err := smb2.DecodeCreateContexts(body[off-smb2.HeaderSize : off-smb2.HeaderSize+n])
	if err != nil {
		t.Fatalf("response contexts: %v", err)
	}
	for _, c := range ctxs {
		out[c.Name] = c.Data
	}
	return out
}

func aaplQueryCtx(bitmap, caps uint64) smb2.CreateContext {
	q := smb2.AAPLQuery{Command: smb2.AAPLServerQuery, Bitmap: bitmap, ClientCaps: caps}
	return smb2.CreateContext{Name: smb2.CreateContextAAPL, Data: q.AppendAAPLQuery(nil)}
}

func fileIDOf(body []byte) smb2.FileID {
	return smb2.FileID{Persistent: le.Uint64(body[64:]), Volatile: le.Uint64(body[72:])}
}

// aaplSession is a raw anonymous session on hs that sent Apple's server
// query asking for READDIR_ATTR; it returns the decoded reply.
func aaplSession(t *testing.T, addr string) (*rawConn, smb2.AAPLReply) {
	t.Helper()
	c := rawSession(t, addr)
	r := c.call(smb2.Create, rawCreateOpts("", rawDispOpen, 1, []smb2.CreateContext{
		aaplQueryCtx(smb2.AAPLServerCaps|smb2.AAPLVolumeCaps|smb2.AAPLModelInfo,
			smb2.AAPLSupportsReadDirAttr|smb2.AAPLUnixBased|smb2.AAPLSupportsNFSACE)}), nil)
	if r.hdr.Status != smb2.StatusSuccess {
		t.Fatalf("CREATE with AAPL: %v", r.hdr.Status)
	}
	c.call(smb2.Close, rawClose(fileIDOf(r.body)), nil)
	data, ok := respContexts(t, r.body)[smb2.CreateContextAAPL]
	if !ok {
		t.Fatal("no AAPL context in the CREATE response")
	}
	rep, err := smb2.DecodeAAPLReply(data)
	if err != nil {
		t.Fatalf("AAPL reply %x: %v", data, err)
	}
	if want := 16 + 8 + 8 + 8 + 2*len(rep.Model); len(data) != want {
		t.Errorf("AAPL reply is %d bytes, want %d", len(data), want)
	}
	return c, rep
}

// TestAAPLServerQuery: the server query is answered with READDIR_ATTR
// (and nothing zerosmb does not implement), FULL_SYNC and not
// CASE_SENSITIVE, and the model; malformed queries fail the CREATE.
func TestAAPLServerQuery(t *testing.T) {
	hs := startHostile(t)
	_, rep := aaplSession(t, hs.Addr)
	if rep.Bitmap != 7 || rep.ServerCaps != smb2.AAPLSupportsReadDirAttr ||
		rep.VolumeCaps != smb2.AAPLFullSync || rep.Model != DefaultAppleModel {
		t.Errorf("reply %+v", rep)
	}
	c := rawSession(t, hs.Addr)
	// A client not offering READDIR_ATTR is not given it; only asked parts.
	r := c.call(smb2.Create, rawCreateOpts("", rawDispOpen, 1, []smb2.CreateContext{
		aaplQueryCtx(smb2.AAPLServerCaps|smb2.AAPLModelInfo|0x100, 0)}), nil)
	rep, err := smb2.DecodeAAPLReply(respContexts(t, r.body)[smb2.CreateContextAAPL])
	if err != nil || rep.Bitmap != smb2.AAPLServerCaps|smb2.AAPLModelInfo || rep.ServerCaps != 0 {
		t.Errorf("reply without READDIR_ATTR: %+v %v", rep, err)
	}
	bad := []smb2.CreateContext{
		{Name: "AAPL", Data: make([]byte, 23)},
		{Name: "AAPL", Data: make([]byte, 32)},
		aaplQueryCtx(7, 1),
	}
	le.PutUint32(bad[2].Data, smb2.AAPLResolveID)
	for i, cc := range bad {
		name := fmt.Sprintf("bad%d", i)
		c.expectStatus(name, smb2.Create, rawCreateOpts(name, rawDispCreate, 0, []smb2.CreateContext{cc}), nil,
			smb2.StatusInvalidParameter)
		if _, err := os.Stat(filepath.Join(hs.Dir, name)); err == nil {
			t.Errorf("%s: file created despite the refused AAPL context", name)
		}
	}
}

// TestAAPLNoAppleExtensions: with Config.NoAppleExtensions the context
// is ignored.
func TestAAPLNoAppleExtensions(t *testing.T) {
	dir := t.TempDir()
	fsys, err := osfs.New(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	ts := serveConfig(t, Config{Shares: []*Share{{Name: "share", FS: fsys, Guest: true}},
		Logger: testLogger(t), NoAppleExtensions: true}, dir)
	c := rawSession(t, ts.Addr)
	r := c.call(smb2.Create, rawCreateOpts("", rawDispOpen, 1, []smb2.CreateContext{aaplQueryCtx(7, 1)}), nil)
	if r.hdr.Status != smb2.StatusSuccess {
		t.Fatalf("CREATE: %v", r.hdr.Status)
	}
	if _, ok := respContexts(t, r.body)[smb2.CreateContextAAPL]; ok {
		t.Error("AAPL answered with NoAppleExtensions")
	}
}
