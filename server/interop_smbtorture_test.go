package server

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"
)

// tortureResult is the outcome of one smbtorture suite.
type tortureResult struct {
	pass, fail []string
	why        map[string]string // each failure's reason (parseTorture)
	out        string
}

// runTorture runs one smbtorture suite against ts and parses the
// "success:"/"failure:"/"error:" lines it prints.
//
// smbtorture gives every subtest a new connection and drops the previous
// one without closing its handles, and many subtests reuse one file name.
// Whether the server has torn down the old connection before the next
// subtest's first CREATE is a race on the client's side (Samba and Windows
// have it too); on a loaded machine the old open may still be there and
// the CREATE fails with DELETE_PENDING or SHARING_VIOLATION, or the test
// directory vanishes while the subtest sets it up (raw.search in CI). A
// failure that says so (leftoverState) is run again once, alone, in a
// fresh smbtorture process; it counts as passed only if it passes then,
// and the first failure is logged.
func runTorture(t *testing.T, ts *testServer, suite string, extra ...string) tortureResult {
	t.Helper()
	res := execTorture(t, ts, suite, extra...)
	var fail []string
	for _, name := range res.fail {
		why := res.why[name]
		if !leftoverState(why) {
			fail = append(fail, name)
			continue
		}
		again := execTorture(t, ts, suite+"."+name, extra...)
		if len(again.fail) == 0 && len(again.pass) > 0 {
			t.Logf("%s.%s failed on state left by the previous subtest's connection and passed alone: %s", suite, name, why)
			res.pass = append(res.pass, name)
			continue
		}
		fail = append(fail, name)
	}
	res.fail = fail
	return res
}

// leftoverState reports whether a failure reason names a status that an
// open left by the previous subtest's connection would cause, or says the
// subtest could not set up its directory (torture_setup_dir: the old
// directory may be vanishing under it as that connection is torn down).
func leftoverState(why string) bool {
	for _, s := range []string{"NT_STATUS_DELETE_PENDING", "NT_STATUS_SHARING_VIOLATION", "Failed to setup up test directory"} {
		if strings.Contains(why, s) {
			return true
		}
	}
	return false
}

// execTorture runs smbtorture once and returns what it printed, parsed.
func execTorture(t *testing.T, ts *testServer, suite string, extra ...string) tortureResult {
	t.Helper()
	bin := requireTool(t, "smbtorture")
	host, port, _ := net.SplitHostPort(ts.Addr)
	args := []string{"//" + host + "/share", "-p", port, "-U", testUser + "%" + testPass,
		"--option=torture:progress=no"}
	args = append(append(args, extra...), suite)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Minute):
		cmd.Process.Kill()
		<-done
		t.Errorf("%s timed out", suite)
	}
	return parseTorture(out.String())
}

// parseTorture parses smbtorture's subunit-like output. A failure's
// reason is everything its subtest printed: the lines after "test:" (some
// tests print the failing status there, as raw.search's "Unable to setup
// \testsearch - NT_STATUS_DELETE_PENDING") and the bracketed reason.
func parseTorture(out string) tortureResult {
	res := tortureResult{out: out, why: map[string]string{}}
	reasons := res.why
	var printed strings.Builder // since the last "test:" line
	var current string          // the failure whose bracketed reason is being read
	sc := bufio.NewScanner(strings.NewReader(res.out))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case current != "":
			if line == "]" {
				current = ""
			} else {
				reasons[current] += line + "\n"
			}
		case strings.HasPrefix(line, "test: "):
			printed.Reset()
		case strings.HasPrefix(line, "time: "):
		case strings.HasPrefix(line, "success: "):
			res.pass = append(res.pass, strings.TrimPrefix(line, "success: "))
		case strings.HasPrefix(line, "failure: "), strings.HasPrefix(line, "error: "):
			name, rest, bracket := strings.Cut(line[strings.Index(line, " ")+1:], " [")
			res.fail = append(res.fail, name)
			reasons[name] = printed.String()
			if bracket {
				if r, ok := strings.CutSuffix(rest, "]"); ok {
					reasons[name] += r
				} else {
					reasons[name] += rest
					current = name
				}
			}
		default:
			printed.WriteString(line + "\n")
		}
	}
	return res
}

// knownTortureFailures lists subtests ("suite.subtest") that fail today,
// each with the reason; README.md's status table states the same counts.
// Only things out of scope belong here. A subtest that starts passing
// must be removed (TestSmbtorture reports it); a new failure fails the
// test.
var knownTortureFailures = map[string]string{
	"smb2.acls_non_canonical.flags": "tests Samba's 'acl flag inherited canonicalization = no' (AUTO_INHERITED kept without AUTO_INHERIT_REQ); we store the flags as Windows does; Samba 4.17 fails it too",
	"smb2.acls.ACCESSBASED":         "needs a second share named hideunread with Samba's 'hide unreadable'; Samba 4.17 fails it too",
	"smb2.create.gentest":           "gentest probes every access-mask and create-option bit against Windows' exact answers; Samba 4.17 fails it too",
	"smb2.create.quota-fake-file":   "the NTFS $Extend\\$Quota fake file is not emulated; Samba 4.17 fails it too",
	"smb2.compound.invalid4":        "an unknown command code in a compound: MS-SMB2 3.3.5.2.6 says disconnect, Samba/Windows answer INVALID_PARAMETER; we follow the spec",
	"smb2.ioctl.bug14769":           "uses FSCTL_SMBTORTURE_IOCTL_RESPONSE_BODY_PADDING8, a Samba-private test FSCTL (fails on Samba 4.17's default configuration too)",

	"smb2.oplock.batch22b": "fails on Samba 4.17 too: expects the second break timeout to be skipped for a client that ignored the first (Windows-only behaviour)",

	"smb2.replay.dhv2-pending1n-vs-violation-lease-close-windows": replayWindows,
	"smb2.replay.dhv2-pending1n-vs-violation-lease-ack-windows":   replayWindows,
	"smb2.replay.dhv2-pending1n-vs-oplock-windows":                replayWindows,
	"smb2.replay.dhv2-pending1n-vs-lease-windows":                 replayWindows,
	"smb2.replay.dhv2-pending1l-vs-oplock-windows":                replayWindows,
	"smb2.replay.dhv2-pending1l-vs-lease-windows":                 replayWindows,
	"smb2.replay.dhv2-pending1o-vs-oplock-windows":                replayWindows,
	"smb2.replay.dhv2-pending1o-vs-lease-windows":                 replayWindows,

	"smb2.session.reauth5": "fails on Samba 4.17 too: after re-authenticating as anonymous on a non-guest share it expects a DELETE open of a missing file to get OBJECT_NAME_NOT_FOUND; zerosmb refuses every new open of an anonymous identity there with ACCESS_DENIED before looking the name up (anonymous reaches guest shares only)",

	"smb2.notify.tree": "a watched path with a '..' component inside the share (zqy\\..) is refused with OBJECT_PATH_SYNTAX_BAD: zerosmb resolves no '..' at all; Samba 4.17 fails it too",
}

// replayWindows is the reason of the "-windows" variants of smb2.replay's
// pending-create tests.
const replayWindows = "fails on Samba 4.17 too: expects Windows' answer (ACCESS_DENIED, or no replay detection) to a replay of a CREATE that is still pending; we answer FILE_NOT_AVAILABLE as Samba does, and the matching -sane variant passes"

// tortureRaces lists subtests whose outcome depends on how requests on
// two connections interleave; either result is accepted (they must still
// finish: the suite's guard catches a hang).
var tortureRaces = map[string]string{
	// Phase 2 sends two CHANGE_NOTIFYs on one connection and, without
	// waiting for their interim responses, makes its changes through a
	// second one. When both renames are handled before the first request
	// arrives, their two events are queued and returned together, and
	// the test expects one per request.
	"smb2.notify.mask-change": "the first request may get both queued events when the other connection's renames are handled before it arrives",
}

// multichannelOnly lists the smbtorture subtests that need multichannel
// (session binding on a second connection), which zerosmb does not offer;
// each is an allowed failure with that reason.
func multichannelOnly(name string) bool {
	return strings.HasPrefix(name, "smb2.session.bind_negative_")
}

// TestSmbtorture runs the smbtorture suites the project promises.
func TestSmbtorture(t *testing.T) {
	if testing.Short() {
		t.Skip("smbtorture suites are slow")
	}
	// smb2.oplock runs with a 5 s break timeout instead of 35 s: the
	// timeout path is the same, smbtorture is told the value
	// (torture:oplocktimeout, checked by smb2.oplock.batch22a), and it
	// saves half a minute. smb2.lease needs longer: breaking4 and
	// rename_wait acknowledge a break only after several seconds of
	// "no break expected" checks, so 15 s (smb2.lease.timeout then waits
	// 15 s instead of 35 s).
	breakTimeouts := map[string]time.Duration{"smb2.oplock": 5 * time.Second, "smb2.lease": 15 * time.Second}
	// smb2.notify runs subtest by subtest without basedir: basedir sends a
	// CHANGE_NOTIFY on one connection and, without waiting for its interim
	// response, changes the directory through another; when the change is
	// handled first no event is ever reported and the test waits forever
	// (about 1 run in 6 here, on main before issue 9 too).
	var notify []string
	for _, n := range []string{"valid-req", "tcon", "dir", "mask", "tdis", "tdis1", "mask-change", "close", "logoff",
		"session-reconnect", "invalid-reauth", "tree", "double", "file", "tcp", "rec", "overflow",
		"rmdir1", "rmdir2", "rmdir3", "rmdir4", "handle-permissions"} {
		notify = append(notify, "smb2.notify."+n)
	}
	suiteArgs := map[string][]string{"smb2.notify": notify}
	for _, suite := range []string{"smb2.connect", "smb2.read", "smb2.dir", "smb2.getinfo", "smb2.setinfo", "smb2.rename",
		"smb2.compound", "smb2.lock", "smb2.rw", "smb2.ioctl", "smb2.acls", "smb2.acls_non_canonical", "smb2.sdread",
		"smb2.delete-on-close-perms", "smb2.create",
		"smb2.oplock", "smb2.lease", "smb2.durable-open", "smb2.durable-v2-open", "smb2.session", "smb2.notify",
		"smb2.replay"} {
		t.Run(suite, func(t *testing.T) {
			bt := breakTimeouts[suite]
			ts := startServer(t, testOpts{Sendfile: true, RecvfileMin: 65536, BreakTimeout: bt})
			var extra []string
			if bt != 0 {
				extra = append(extra, fmt.Sprintf("--option=torture:oplocktimeout=%d", int(bt/time.Second)))
			}
			start := time.Now()
			var res tortureResult
			if names, ok := suiteArgs[suite]; ok {
				res = runTorture(t, ts, names[0], append(extra, names[1:]...)...)
			} else {
				res = runTorture(t, ts, suite, extra...)
			}
			t.Logf("%s took %v", suite, time.Since(start).Round(time.Second))
			sort.Strings(res.fail)
			t.Logf("%s: %d passed, %d failed %v", suite, len(res.pass), len(res.fail), res.fail)
			if len(res.pass)+len(res.fail) == 0 {
				t.Fatalf("no results from %s:\n%s", suite, res.out)
			}
			for _, f := range res.fail {
				_, racy := tortureRaces[suite+"."+f]
				if _, known := knownTortureFailures[suite+"."+f]; !known && !racy && !multichannelOnly(suite+"."+f) {
					t.Errorf("%s: unexpected failure %s", suite, f)
				}
			}
			for _, p := range res.pass {
				if reason, known := knownTortureFailures[suite+"."+p]; known {
					t.Errorf("%s: %s passes now; remove it from knownTortureFailures (%s)", suite, p, reason)
				}
			}
			if t.Failed() {
				t.Logf("output:\n%s", res.out)
			}
		})
	}
}

// TestSmbtortureNotifyBasedir runs smb2.notify.basedir, which Samba 4.17
// passes, up to three times. It sends its CHANGE_NOTIFY on one connection
// and, without waiting for the interim response, changes the directory
// through another; when the server happens to handle the changes before
// it has read the request, nothing is reported and the test waits for
// ever (about 1 run in 10 on this loaded 2-core machine; the server cannot
// know of a request it has not read yet). Each attempt is bounded by
// smbtorture's --maximum-runtime; one pass in three attempts is required,
// and a wrong answer (a failure, not a hang) fails at once.
func TestSmbtortureNotifyBasedir(t *testing.T) {
	if testing.Short() {
		t.Skip("smbtorture suites are slow")
	}
	ts := startServer(t, testOpts{Sendfile: true, RecvfileMin: 65536})
	for attempt := 1; attempt <= 3; attempt++ {
		res := runTorture(t, ts, "smb2.notify.basedir", "--maximum-runtime=20")
		if len(res.fail) > 0 {
			t.Fatalf("smb2.notify.basedir failed:\n%s", res.out)
		}
		if len(res.pass) == 1 {
			t.Logf("passed at attempt %d", attempt)
			return
		}
		t.Logf("attempt %d lost the race (no answer within 20 s)", attempt)
	}
	t.Error("smb2.notify.basedir never passed in 3 attempts")
}

// TestSmbtortureSigningRequired runs smb2.connect against a server that
// requires signing: requests on a logged-off session must get
// USER_SESSION_DELETED, not ACCESS_DENIED (issue 8, defect 5).
func TestSmbtortureSigningRequired(t *testing.T) {
	if testing.Short() {
		t.Skip("smbtorture suites are slow")
	}
	ts := startServer(t, testOpts{Sendfile: true, Signing: true})
	res := runTorture(t, ts, "smb2.connect")
	if len(res.pass) == 0 || len(res.fail) > 0 {
		t.Errorf("smb2.connect with signing required: passed %v, failed %v\n%s", res.pass, res.fail, res.out)
	}
}

// TestParseTorture checks the parser on smbtorture's own output,
// including a multi-line failure reason that runTorture's retry keys on.
func TestParseTorture(t *testing.T) {
	out := "test: eof\nsuccess: eof\ntest: position\nfailure: position [\n" +
		"../../source4/torture/smb2/read.c:151: status was NT_STATUS_DELETE_PENDING, expected NT_STATUS_OK: Incorrect status\n" +
		"]\ntest: dir\nerror: dir [one line]\nskip: bug14607 [\nwhy\n]\n" +
		"test: sorted\nUnable to setup \\testsearch - NT_STATUS_OBJECT_NAME_NOT_FOUND\nfailure: sorted [\n" +
		"../../source4/torture/raw/search.c:1109: Expression failed: Failed to setup up test directory\n]\n"
	res := parseTorture(out)
	reasons := res.why
	if fmt.Sprint(res.pass) != "[eof]" || fmt.Sprint(res.fail) != "[position dir sorted]" {
		t.Fatalf("pass %v fail %v", res.pass, res.fail)
	}
	if !leftoverState(reasons["position"]) || !leftoverState(reasons["sorted"]) || leftoverState(reasons["dir"]) || reasons["dir"] != "one line" {
		t.Fatalf("reasons %q", reasons)
	}
}
