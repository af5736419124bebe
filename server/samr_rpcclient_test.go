package server

import (
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rpcclient runs Samba's rpcclient against m as user with commands cmds.
func rpcclient(t *testing.T, m *multiUserServer, user, pass, cmds string) string {
	t.Helper()
	bin := requireTool(t, "rpcclient")
	host, port, _ := net.SplitHostPort(m.Addr)
	cmd := exec.Command(bin, "-U", user+"%"+pass, "-p", port, host, "-c", cmds)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("rpcclient %q timed out:\n%s", cmds, out)
	}
	if err != nil {
		t.Fatalf("rpcclient %q: %v\n%s", cmds, err, out)
	}
	return string(out)
}

// TestRpcclientSamr browses the server's accounts over \pipe\samr with
// rpcclient: domains, users, groups, name and RID lookups, a user's
// level-21 information.
func TestRpcclientSamr(t *testing.T) {
	m := startMultiUser(t, false)
	aliceSID, _, _ := m.users.UserSID(testUser)
	rid := aliceSID[strings.LastIndexByte(aliceSID, '-')+1:]
	ridN, _ := strconv.ParseInt(rid, 10, 64)
	out := rpcclient(t, m, testUser, testPass, "enumdomains; enumdomusers; enumdomgroups; lookupnames alice; samlookupnames domain alice bob; samlookupnames domain alice nosuch; samlookupnames builtin administrators; samlookuprids domain "+rid+"; samlookuprids domain 99999; queryuser "+rid)
	t.Logf("rpcclient:\n%s", out)
	for _, want := range []string{
		"name:[ZEROSMB] idx:[0x0]", "name:[Builtin] idx:[0x0]",
		"user:[alice] rid:[0x", "user:[bob] rid:[0x", "user:[carol] rid:[0x",
		"group:[staff] rid:[0x",
		"alice " + aliceSID + " (User: 1)",
		"name alice: 0x" + strconv.FormatInt(ridN, 16) + " (1)", "name bob: 0x",
		"result was STATUS_SOME_UNMAPPED", // alice nosuch
		"name administrators: 0x220 (4)",  // Builtin alias 544
		"rid 0x" + strconv.FormatInt(ridN, 16) + ": alice (1)",
		"result was NT_STATUS_NONE_MAPPED", // RID 99999
		"User Name   :\talice",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("rpcclient output lacks %q", want)
		}
	}
}
