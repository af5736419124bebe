package server

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs"
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
// and OSX copyfile (and nothing zerosmb does not implement), FULL_SYNC and not
// CASE_SENSITIVE, and the model; malformed queries fail the CREATE.
func TestAAPLServerQuery(t *testing.T) {
	hs := startHostile(t)
	_, rep := aaplSession(t, hs.Addr)
	if rep.Bitmap != 7 || rep.ServerCaps != smb2.AAPLSupportsReadDirAttr|smb2.AAPLSupportsOSXCopyfile ||
		rep.VolumeCaps != smb2.AAPLFullSync || rep.Model != DefaultAppleModel {
		t.Errorf("reply %+v", rep)
	}
	c := rawSession(t, hs.Addr)
	// A client not offering READDIR_ATTR is not given it; only asked parts.
	r := c.call(smb2.Create, rawCreateOpts("", rawDispOpen, 1, []smb2.CreateContext{
		aaplQueryCtx(smb2.AAPLServerCaps|smb2.AAPLModelInfo|0x100, 0)}), nil)
	rep, err := smb2.DecodeAAPLReply(respContexts(t, r.body)[smb2.CreateContextAAPL])
	if err != nil || rep.Bitmap != smb2.AAPLServerCaps|smb2.AAPLModelInfo ||
		rep.ServerCaps != smb2.AAPLSupportsOSXCopyfile {
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

// rawQueryDirClass is a QUERY_DIRECTORY of class with flags.
func rawQueryDirClass(id smb2.FileID, class, flags uint8, pattern string, outLen uint32) []byte {
	b := rawQueryDir(id, pattern, outLen)
	b[2], b[3] = class, flags
	return b
}

// idBothEntry is a decoded FileIdBothDirectoryInformation entry.
type idBothEntry struct {
	name      string
	eaSize    uint32
	shortLen  uint8
	short     []byte // the 24-byte ShortName field
	reserved2 uint16
	fileID    uint64
}

// decodeIDBoth splits a QUERY_DIRECTORY response body into entries.
func decodeIDBoth(t testing.TB, body []byte) []idBothEntry {
	t.Helper()
	off, n := int(le.Uint16(body[2:]))-smb2.HeaderSize, int(le.Uint32(body[4:]))
	buf := body[off : off+n]
	var out []idBothEntry
	for len(buf) > 0 {
		if len(buf) < 104 {
			t.Fatalf("short entry (%d bytes)", len(buf))
		}
		next, nameLen := int(le.Uint32(buf)), int(le.Uint32(buf[60:]))
		out = append(out, idBothEntry{name: smb2.DecodeUTF16(buf[104 : 104+nameLen]), eaSize: le.Uint32(buf[64:]),
			shortLen: buf[68], short: buf[70:94], reserved2: le.Uint16(buf[94:]), fileID: le.Uint64(buf[96:])})
		if next == 0 {
			break
		}
		buf = buf[next:]
	}
	return out
}

// writeStream creates base:stream and writes data to it.
func writeStream(t *testing.T, c *rawConn, name string, data []byte) {
	t.Helper()
	id, st := c.create(name, rawDispOverwriteIf)
	if st != smb2.StatusSuccess {
		t.Fatalf("CREATE %s: %v", name, st)
	}
	if r := c.call(smb2.Write, rawWrite(id, 0, data), nil); r.hdr.Status != smb2.StatusSuccess {
		t.Fatalf("WRITE %s: %v", name, r.hdr.Status)
	}
	c.call(smb2.Close, rawClose(id), nil)
}

func testAfpInfo(typeCreator string) []byte {
	ai := smb2.AfpInfo{Signature: smb2.AfpSignature, Version: smb2.AfpVersion, BackupTime: smb2.AAPLDateStart}
	copy(ai.FinderInfo[:], typeCreator)
	ai.FinderInfo[8] = 0x0c // a label colour in the Finder flags
	return ai.AppendAfpInfo(nil)
}

// TestAAPLReaddirAttr: after READDIR_ATTR was granted, FileIdBoth
// entries carry the max access (as MxAc reports it), the resource fork
// size and the FinderInfo of the AFP streams; a connection without it
// gets plain entries for the same files.
func TestAAPLReaddirAttr(t *testing.T) {
	hs := startHostile(t)
	c, _ := aaplSession(t, hs.Addr)
	os.WriteFile(filepath.Join(hs.Dir, "f"), []byte("data"), 0o644)
	os.WriteFile(filepath.Join(hs.Dir, "plain"), nil, 0o644)
	os.Mkdir(filepath.Join(hs.Dir, "d"), 0o755)
	writeStream(t, c, "f:AFP_AfpInfo", testAfpInfo("SMB,OLE!"))
	writeStream(t, c, "f:AFP_Resource", []byte("foo"))
	r := c.call(smb2.Create, rawCreateOpts("f", rawDispOpen, 0, []smb2.CreateContext{{Name: "MxAc"}}), nil)
	mxac := respContexts(t, r.body)["MxAc"]
	c.call(smb2.Close, rawClose(fileIDOf(r.body)), nil)
	fi, _ := os.Stat(filepath.Join(hs.Dir, "f"))

	list := func(c *rawConn) map[string]idBothEntry {
		dir, st := c.create("", rawDispOpen)
		if st != smb2.StatusSuccess {
			t.Fatalf("open root: %v", st)
		}
		defer c.call(smb2.Close, rawClose(dir), nil)
		r := c.call(smb2.QueryDirectory, rawQueryDirClass(dir, smb2.FileIDBothDirectoryInformation, 0, "*", 65536), nil)
		if r.hdr.Status != smb2.StatusSuccess {
			t.Fatalf("QUERY_DIRECTORY: %v", r.hdr.Status)
		}
		m := map[string]idBothEntry{}
		for _, e := range decodeIDBoth(t, r.body) {
			m[e.name] = e
		}
		return m
	}
	m := list(c)
	f := m["f"]
	if f.eaSize != le.Uint32(mxac[4:]) || f.eaSize == 0 {
		t.Errorf("max access %#x, MxAc says %#x", f.eaSize, le.Uint32(mxac[4:]))
	}
	if f.shortLen != 24 || le.Uint64(f.short) != 3 || string(f.short[8:16]) != "SMB,OLE!" || f.short[16] != 0x0c {
		t.Errorf("f: short name len %d, field % x", f.shortLen, f.short)
	}
	if got, want := binary32BE(f.short[20:]), appleDate(btimeOf(fi)); got != want {
		t.Errorf("date added %#x, want %#x", got, want)
	}
	for _, n := range []string{"plain", "d", ".", ".."} {
		e := m[n]
		if e.shortLen != 24 || le.Uint64(e.short) != 0 || !bytes.Equal(e.short[8:], []byte{12: 0x80, 15: 0}) || e.eaSize == 0 {
			t.Errorf("%s: short len %d, field % x, ea %#x", n, e.shortLen, e.short, e.eaSize)
		}
	}
	// The same listing on a connection that sent no AAPL context.
	p := list(rawSession(t, hs.Addr))
	if e := p["f"]; e.shortLen != 2 || e.eaSize != 0 || e.short[0] != 'F' {
		t.Errorf("plain connection: %+v", e)
	}
}

func binary32BE(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// btimeOf is the birth time the server reports for fi, in Unix seconds.
func btimeOf(fi os.FileInfo) int64 {
	_, _, _, b := vfs.Times(fi)
	return b.Unix()
}

// TestAAPLReaddirAttr10000: listing 10,000 files with READDIR_ATTR is
// one QUERY_DIRECTORY per 64 KiB buffer, each buffer filled, and no
// CREATE or QUERY_INFO on the server while it runs (counted by
// Server.Metrics); the Mac metadata of every entry is in the listing.
func TestAAPLReaddirAttr10000(t *testing.T) {
	const files, bufSize = 10000, 65536
	hs := startHostile(t)
	c, _ := aaplSession(t, hs.Addr)
	for i := range files {
		if err := os.WriteFile(filepath.Join(hs.Dir, fmt.Sprintf("file-%05d.txt", i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < files; i += 1000 {
		writeStream(t, c, fmt.Sprintf("file-%05d.txt:AFP_Resource", i), bytes.Repeat([]byte{1}, i/1000+1))
	}
	dir, st := c.create("", rawDispOpen)
	if st != smb2.StatusSuccess {
		t.Fatalf("open root: %v", st)
	}
	before := hs.Srv.Metrics().Commands
	start := time.Now()
	seen, calls := 0, 0
	maxEntry := 104 + 2*len("file-00000.txt") + 8
	for {
		r := c.call(smb2.QueryDirectory, rawQueryDirClass(dir, smb2.FileIDBothDirectoryInformation, 0, "*", bufSize), nil)
		calls++
		if r.hdr.Status == smb2.StatusNoMoreFiles {
			break
		}
		if r.hdr.Status != smb2.StatusSuccess {
			t.Fatalf("QUERY_DIRECTORY %d: %v", calls, r.hdr.Status)
		}
		ents := decodeIDBoth(t, r.body)
		if n := int(le.Uint32(r.body[4:])); seen+len(ents) < files+2 && n < bufSize-maxEntry {
			t.Errorf("buffer %d holds %d bytes (%d entries): not filled", calls, n, len(ents))
		}
		for _, e := range ents {
			var i int
			if _, err := fmt.Sscanf(e.name, "file-%05d.txt", &i); err == nil {
				want := uint64(0)
				if i%1000 == 0 {
					want = uint64(i/1000 + 1)
				}
				if e.shortLen != 24 || le.Uint64(e.short) != want || e.eaSize == 0 {
					t.Fatalf("%s: short len %d, rfork %d (want %d), max access %#x", e.name, e.shortLen, le.Uint64(e.short), want, e.eaSize)
				}
			}
		}
		seen += len(ents)
		if calls > files {
			t.Fatal("listing does not end")
		}
	}
	after := hs.Srv.Metrics().Commands
	took := time.Since(start)
	if seen != files+2 {
		t.Errorf("listed %d entries, want %d", seen, files+2)
	}
	// Entries of this size fill a 64 KiB buffer ~480 at a time.
	if want := (files+2)*(maxEntry)/bufSize + 2; calls > want {
		t.Errorf("%d QUERY_DIRECTORY calls, want at most %d", calls, want)
	}
	if d := after[smb2.QueryDirectory].Requests - before[smb2.QueryDirectory].Requests; d != uint64(calls) {
		t.Errorf("server counted %d QUERY_DIRECTORY, client sent %d", d, calls)
	}
	for _, cmd := range []smb2.Command{smb2.Create, smb2.QueryInfo} {
		if d := after[cmd].Requests - before[cmd].Requests; d != 0 {
			t.Errorf("%v: %d requests during the listing", cmd, d)
		}
	}
	// For comparison: the same listing without READDIR_ATTR.
	p := rawSession(t, hs.Addr)
	pdir, _ := p.create("", rawDispOpen)
	plain := time.Now()
	for p.call(smb2.QueryDirectory, rawQueryDirClass(pdir, smb2.FileIDBothDirectoryInformation, 0, "*", bufSize), nil).hdr.Status == smb2.StatusSuccess {
	}
	t.Logf("%d entries in %d QUERY_DIRECTORY round trips of %d bytes: %v with READDIR_ATTR, %v without",
		seen, calls, bufSize, took.Round(time.Millisecond), time.Since(plain).Round(time.Millisecond))
}

// TestAfpInfoStream: AFP_AfpInfo follows macOS' rules (afpinfo.go).
func TestAfpInfoStream(t *testing.T) {
	hs := startHostile(t)
	c := rawSession(t, hs.Addr)
	os.WriteFile(filepath.Join(hs.Dir, "f"), nil, 0o644)
	id, st := c.create("f:AFP_AfpInfo", rawDispOverwriteIf)
	if st != smb2.StatusSuccess {
		t.Fatalf("CREATE: %v", st)
	}
	read := func(off uint64, n uint32) ([]byte, smb2.Status) {
		r := c.call(smb2.Read, rawRead(id, off, n), nil)
		if r.hdr.Status != smb2.StatusSuccess {
			return nil, r.hdr.Status
		}
		o := int(r.body[2]) - smb2.HeaderSize
		return r.body[o : o+int(le.Uint32(r.body[4:]))], r.hdr.Status
	}
	if b, st := read(0, 60); st != smb2.StatusSuccess || !bytes.Equal(b, defaultAfpInfo()) {
		t.Errorf("unwritten AfpInfo reads %x %v", b, st)
	}
	good := testAfpInfo("TEXTttxt")
	for _, w := range []struct {
		off  uint64
		data []byte
		want smb2.Status
	}{
		{0, []byte("AF"), smb2.StatusInvalidParameter},
		{0, bytes.Repeat([]byte{'x'}, 60), smb2.StatusInvalidParameter},
		{1, good[:59], smb2.StatusInvalidParameter},
		{0, append([]byte("AFP\x00\x00\x00\x02\x00"), good[8:]...), smb2.StatusInvalidParameter}, // version
		{0, good[:16], smb2.StatusSuccess},                                                       // changes nothing
		{0, good, smb2.StatusSuccess},
	} {
		if r := c.call(smb2.Write, rawWrite(id, w.off, w.data), nil); r.hdr.Status != w.want {
			t.Errorf("WRITE %d bytes at %d (%q...): %v, want %v", len(w.data), w.off, w.data[:3], r.hdr.Status, w.want)
		}
	}
	if b, _ := read(16, 8); !bytes.Equal(b, good[:8]) {
		t.Errorf("READ at 16 returns %q, want the start", b)
	}
	if b, _ := read(60, 1); !bytes.Equal(b, good[:1]) {
		t.Errorf("READ at 60 returns %q", b)
	}
	if _, st := read(61, 1); st != smb2.StatusEndOfFile {
		t.Errorf("READ at 61: %v", st)
	}
	c.expectStatus("EOF 61", smb2.SetInfo, rawSetEOF(id, 61), nil, smb2.StatusAllottedSpaceExceeded)
	c.expectStatus("EOF 0", smb2.SetInfo, rawSetEOF(id, 0), nil, smb2.StatusSuccess)
	if b, _ := read(0, 60); !bytes.Equal(b, good) {
		t.Errorf("after EOF 0 the stream reads %x", b)
	}
	v, err := xattrOf(t, hs.Dir, "f", streamXattrPrefix+afpInfoStream)
	if err != nil || !bytes.Equal(v, good) {
		t.Errorf("stored %x %v", v, err)
	}
	// All-zero FinderInfo removes the stream.
	zero := smb2.AfpInfo{Signature: smb2.AfpSignature, Version: smb2.AfpVersion}
	c.expectStatus("zero", smb2.Write, rawWrite(id, 0, zero.AppendAfpInfo(nil)), nil, smb2.StatusSuccess)
	c.call(smb2.Close, rawClose(id), nil)
	if _, st := c.create("f:AFP_AfpInfo", rawDispOpen); st != smb2.StatusObjectNameNotFound {
		t.Errorf("AfpInfo after an all-zero write: %v", st)
	}
}

func rawSetEOF(id smb2.FileID, size uint64) []byte {
	return rawSetInfo(id, smb2.InfoFile, smb2.FileEndOfFileInformation, le.AppendUint64(nil, size))
}

// xattrOf reads attribute name of file in dir through osfs.
func xattrOf(t *testing.T, dir, file, name string) ([]byte, error) {
	fsys, err := osfs.New(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	f, err := fsys.OpenFile(file, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.(vfs.XattrFile).Getxattr(name)
}

// syncFS counts the Sync calls on the files it opens.
type syncFS struct {
	vfs.FS
	syncs *atomic.Int64
}

func (s syncFS) OpenFile(name string, flag int, perm os.FileMode) (vfs.File, error) {
	f, err := s.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return syncFile{File: f, syncs: s.syncs}, nil
}

// syncFile forwards the attribute methods so streams still work.
type syncFile struct {
	vfs.File
	syncs *atomic.Int64
}

func (f syncFile) Sync() error { f.syncs.Add(1); return f.File.Sync() }
func (f syncFile) Getxattr(n string) ([]byte, error) {
	return f.File.(vfs.XattrFile).Getxattr(n)
}
func (f syncFile) Setxattr(n string, v []byte) error { return f.File.(vfs.XattrFile).Setxattr(n, v) }
func (f syncFile) Listxattr() ([]string, error)      { return f.File.(vfs.XattrFile).Listxattr() }
func (f syncFile) Removexattr(n string) error        { return f.File.(vfs.XattrFile).Removexattr(n) }

// TestFlushFullSync: FLUSH is a real fsync of the file, and of the base
// file for a resource fork (the FULL_SYNC volume capability).
func TestFlushFullSync(t *testing.T) {
	dir := t.TempDir()
	fsys, err := osfs.New(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	var syncs atomic.Int64
	ts := serveConfig(t, Config{Shares: []*Share{{Name: "share", FS: syncFS{FS: fsys, syncs: &syncs}, Guest: true}},
		Logger: testLogger(t)}, dir)
	c := rawSession(t, ts.Addr)
	for _, name := range []string{"f", "f:AFP_Resource"} {
		id, st := c.create(name, rawDispOverwriteIf)
		if st != smb2.StatusSuccess {
			t.Fatalf("CREATE %s: %v", name, st)
		}
		c.call(smb2.Write, rawWrite(id, 0, []byte("data")), nil)
		before := syncs.Load()
		c.expectStatus("FLUSH "+name, smb2.Flush, rawClose(id), nil, smb2.StatusSuccess)
		if syncs.Load() != before+1 {
			t.Errorf("FLUSH of %s: %d fsyncs, want 1", name, syncs.Load()-before)
		}
		c.call(smb2.Close, rawClose(id), nil)
	}
}
