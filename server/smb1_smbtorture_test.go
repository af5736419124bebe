package server

import (
	"os"
	"sort"
	"strings"
	"testing"
	"time"
)

// smb1TortureSuites are the smbtorture SMB1 suites that apply to a file
// server (Samba 4.17's results with server min protocol = NT1 are in
// /work/shared/reference/smbtorture-samba-4.17/smb1-nt1.tsv).
var smb1TortureSuites = []string{
	"base.fdpass", "base.lock", "base.rw1", "base.deny1", "base.openattr", "base.chkpath", "base.dir1", "base.dir2",
	"base.attr", "base.tcon", "base.vuid", "base.unlink", "base.rename", "base.properties", "base.delete",
	"base.createx_access", "raw.read", "raw.write", "raw.open", "raw.search", "raw.qfileinfo", "raw.qfsinfo",
	"raw.sfileinfo", "raw.rename", "raw.unlink", "raw.mkdir", "raw.lock", "raw.close", "raw.seek",
}

// knownSMB1TortureFailures lists the SMB1 subtests that fail today with
// Samba's result for the same subtest and the first error smbtorture
// reports. SMB1 support is partial (README): most of these fail on Samba
// too. A subtest that starts passing must be removed (TestSmbtortureSMB1
// reports it).
var knownSMB1TortureFailures = map[string]string{
	"base.createx_access":    "fails on Samba 4.17 too; Incorrect status NT_STATUS_PRIVILEGE_NOT_HELD - should be NT_STATUS_OK",
	"base.delete.deltest16a": "fails on Samba 4.17 too; Expression `expect_it == io.all_info.out.delete_pending' failed: - Expected del_on_close flag 0, qfi",
	"base.delete.deltest17a": "fails on Samba 4.17 too; status was NT_STATUS_INVALID_LEVEL, expected NT_STATUS_OK: qpathinfo failed",
	"base.deny1":             "Samba: not in the reference; see the subtest output",
	"raw.close":              "fails on Samba 4.17 too; the print-file close SPLCLOSE is not implemented (should be ERRSRV:ERRerror)",
	"raw.qfileinfo":          "fails on Samba 4.17 too; see the subtest output",
	"raw.qfsinfo":            "fails on Samba 4.17 too; ERROR: level DSKATTR failed - NT_STATUS_NOT_IMPLEMENTED",
	"raw.seek":               "fails on Samba 4.17 too; FILE_POSITION_INFORMATION does not follow SEEK, reads and writes",
	"raw.sfileinfo.base":     "fails on Samba 4.17 too; see the subtest output",
}

// TestSmbtortureSMB1 runs the SMB1 suites against an --smb1 server with
// the zero-copy paths on (SMB1_TORTURE_OUT=1 logs every suite's output).
func TestSmbtortureSMB1(t *testing.T) {
	if testing.Short() {
		t.Skip("smbtorture suites are slow")
	}
	total, passed := 0, 0
	for _, suite := range smb1TortureSuites {
		t.Run(suite, func(t *testing.T) {
			ts := startServer(t, testOpts{SMB1: true, Sendfile: true, RecvfileMin: 65536})
			start := time.Now()
			res := runTorture(t, ts, suite)
			sort.Strings(res.fail)
			t.Logf("%s: %d passed, %d failed %v (%v)", suite, len(res.pass), len(res.fail), res.fail, time.Since(start).Round(time.Second))
			if os.Getenv("SMB1_TORTURE_OUT") != "" {
				t.Logf("output:\n%s", res.out)
			}
			if len(res.pass)+len(res.fail) == 0 {
				t.Fatalf("no results from %s:\n%s", suite, res.out)
			}
			total += len(res.pass) + len(res.fail)
			passed += len(res.pass)
			name := func(sub string) string {
				if sub == suite[strings.LastIndexByte(suite, '.')+1:] {
					return suite // a one-test suite reports its own name
				}
				return suite + "." + sub
			}
			for _, f := range res.fail {
				if _, known := knownSMB1TortureFailures[name(f)]; !known {
					t.Errorf("%s: unexpected failure %s", suite, f)
				}
			}
			for _, p := range res.pass {
				if reason, known := knownSMB1TortureFailures[name(p)]; known {
					t.Errorf("%s: %s passes now; remove it from knownSMB1TortureFailures (%s)", suite, p, reason)
				}
			}
			if t.Failed() {
				t.Logf("output:\n%s", res.out)
			}
		})
	}
	t.Logf("SMB1 smbtorture: %d of %d subtests pass", passed, total)
}
