package server

import (
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// knownFruitFailures lists the smbtorture vfs.fruit subtests that fail,
// each with the reason. Samba 4.17's results with "vfs objects = catia
// fruit streams_xattr" are in
// /work/shared/reference/smbtorture-samba-4.17/fruit.tsv.
var knownFruitFailures = map[string]string{
	"SMB2/CREATE context AAPL":                                "expects UNIX_BASED|NFS_ACE|OSX_COPYFILE and the model \"MacSamba\" byte for byte; zerosmb answers READDIR_ATTR|OSX_COPYFILE with its own model; Samba 4.17 fails it too",
	"OS X AppleDouble file conversion":                        "Samba converts ._ AppleDouble files into streams; zerosmb stores ._ files as written (documented); Samba 4.17 fails it too",
	"truncate resource fork to 0 bytes":                       enableAAPL,
	"opening and creating resource fork":                      enableAAPL,
	"fsync_resource_fork":                                     enableAAPL,
	"rename_dir_openfile":                                     enableAAPL,
	"setinfo eof AFP_AfpResource":                             enableAAPL,
	"setinfo eof stream":                                      enableAAPL,
	"read open rsrc after rename":                             enableAAPL,
	"readdir_attr with names with illegal ntfs characters":    enableAAPL,
	"NFS ACE entries":                                         enableAAPL,
	"OS X AppleDouble file conversion without embedded xattr": enableAAPL,
	"empty_stream":                                            enableAAPL,
}

// enableAAPL is why the subtests that start with smbtorture's enable_aapl fail.
const enableAAPL = "enable_aapl demands server caps UNIX_BASED|READDIR_ATTR|NFS_ACE|OSX_COPYFILE and Samba's 8-character model \"MacSamba\"; zerosmb offers READDIR_ATTR and OSX_COPYFILE (no UNIX modes or NFS ACEs) with its own model; Samba 4.17 (copyfile off) fails it too"

// TestSmbtortureFruit runs smbtorture's vfs.fruit suite (Apple's SMB2
// extensions, AFP_AfpInfo and AFP_Resource streams) and fails on any
// failure not in knownFruitFailures, or an allowlisted subtest passing.
func TestSmbtortureFruit(t *testing.T) {
	if testing.Short() {
		t.Skip("smbtorture suites are slow")
	}
	ts := startServer(t, testOpts{Sendfile: true, RecvfileMin: 65536})
	start := time.Now()
	res := runTorture(t, ts, "vfs.fruit")
	t.Logf("vfs.fruit took %v", time.Since(start).Round(time.Second))
	sort.Strings(res.fail)
	t.Logf("vfs.fruit: %d passed %v, %d failed %v", len(res.pass), res.pass, len(res.fail), res.fail)
	if len(res.pass)+len(res.fail) == 0 {
		t.Fatalf("no results from vfs.fruit:\n%s", res.out)
	}
	for _, f := range res.fail {
		if _, known := knownFruitFailures[f]; !known {
			t.Errorf("vfs.fruit: unexpected failure %s", f)
		}
	}
	for _, p := range res.pass {
		if reason, known := knownFruitFailures[p]; known {
			t.Errorf("vfs.fruit: %s passes now; remove it from knownFruitFailures (%s)", p, reason)
		}
	}
	// copyfile skips itself unless OSX copyfile is offered; its pass
	// proves a 0-chunk COPYCHUNK copied the data and both streams.
	if !slices.Contains(res.pass, "copyfile") {
		t.Error("vfs.fruit.copyfile did not pass")
	}
	if t.Failed() {
		t.Logf("output:\n%s", strings.TrimSpace(res.out))
	}
}
