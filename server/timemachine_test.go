package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs/osfs"
)

// TestTimeMachineShareChecks: shares Time Machine cannot use are refused.
func TestTimeMachineShareChecks(t *testing.T) {
	fsys, err := osfs.New(t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		sh      *Share
		durable int
		want    string
	}{
		{&Share{Name: "tm", FS: fsys, TimeMachine: true, ReadOnly: true}, 0, "writable"},
		{&Share{Name: "tm", FS: fsys, TimeMachine: true}, -1, "durable"},
		{&Share{Name: "tm", FS: fsys, TimeMachineMaxSize: 1 << 30}, 0, "without TimeMachine"},
		{&Share{Name: "tm", FS: fsys, TimeMachine: true, TimeMachineMaxSize: -1}, 0, "negative"},
	} {
		_, err := New(Config{Shares: []*Share{c.sh}, MaxDurableOpens: c.durable, Logger: testLogger(t)})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error about %q", c.want, err, c.want)
		}
	}
}

// TestTimeMachineMaxSize: a Time Machine share with a size limit reports
// the limit as its size and the limit minus its sparse bundles' bands as
// free space.
func TestTimeMachineMaxSize(t *testing.T) {
	dir := t.TempDir()
	bands := filepath.Join(dir, "Mac.sparsebundle", "bands")
	os.MkdirAll(bands, 0o755)
	for _, n := range []string{"0", "1", "2"} {
		f, _ := os.Create(filepath.Join(bands, n))
		f.Truncate(100 << 20) // sparse: the sizes count, as Samba's fruit counts them
		f.Close()
	}
	os.WriteFile(filepath.Join(dir, "other"), make([]byte, 1<<20), 0o644) // not a bundle: not counted
	fsys, err := osfs.New(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	const max = 1 << 30
	ts := serveConfig(t, Config{Shares: []*Share{
		{Name: "share", FS: fsys, Guest: true, TimeMachine: true, TimeMachineMaxSize: max},
	}, Logger: testLogger(t)}, dir)
	c := rawSession(t, ts.Addr)
	id, st := c.create("", rawDispOpen)
	if st != smb2.StatusSuccess {
		t.Fatalf("open root: %v", st)
	}
	r := c.call(smb2.QueryInfo, fuzzQueryInfo(id, smb2.InfoFilesystem, smb2.FileFsSizeInformation), nil)
	if r.hdr.Status != smb2.StatusSuccess {
		t.Fatalf("QUERY_INFO FileFsSizeInformation: %v", r.hdr.Status)
	}
	o := int(le.Uint16(r.body[2:])) - smb2.HeaderSize
	b := r.body[o:]
	unit := uint64(le.Uint32(b[16:])) * uint64(le.Uint32(b[20:]))
	total, avail := le.Uint64(b)*unit, le.Uint64(b[8:])*unit
	if total != max/unit*unit || avail != (max-300<<20)/unit*unit {
		t.Errorf("size %d free %d (unit %d), want %d and %d", total, avail, unit, max, max-300<<20)
	}
}
