package auth

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestIdentitiesPersistAndRIDsAreNotReused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users")
	db := NewUserDB()
	db.Add("alice", "a")
	db.Add("bob", "b")
	if err := db.SetGroup("staff", []string{"alice", "Bob"}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetGroup("x", []string{"carol"}); err == nil {
		t.Error("group with unknown member accepted")
	}
	aliceSID, _, _ := db.UserSID("alice")
	bobSID, _, _ := db.UserSID("bob")
	if !strings.HasPrefix(aliceSID, db.DomainSID()+"-") || aliceSID == bobSID {
		t.Fatalf("SIDs %s %s in %s", aliceSID, bobSID, db.DomainSID())
	}
	if err := db.Save(path); err != nil {
		t.Fatal(err)
	}
	db2, err := LoadUsers(path)
	if err != nil {
		t.Fatal(err)
	}
	if s, _, _ := db2.UserSID("ALICE"); s != aliceSID {
		t.Errorf("alice after reload: %s, want %s", s, aliceSID)
	}
	if !db2.InGroup("bob", "STAFF") || db2.InGroup("carol", "staff") {
		t.Error("group membership lost")
	}
	staffSID, kind, ok := db2.LookupName("staff")
	if !ok || kind != KindGroup {
		t.Fatal("staff not found")
	}
	if !slices.Contains(db2.TokenSIDs("alice"), staffSID) || !slices.Contains(db2.TokenSIDs("alice"), SIDAuthenticatedUsers) {
		t.Errorf("alice's token %v lacks staff %s", db2.TokenSIDs("alice"), staffSID)
	}
	if n, k, ok := db2.LookupSID(bobSID); !ok || n != "bob" || k != KindUser {
		t.Errorf("LookupSID(bob) = %q %v %v", n, k, ok)
	}
	// Delete bob, add carol: carol must not get bob's RID.
	db2.Delete("bob")
	db2.Add("carol", "c")
	carolSID, _, _ := db2.UserSID("carol")
	if carolSID == bobSID {
		t.Fatalf("carol reuses bob's SID %s", bobSID)
	}
	if db2.InGroup("bob", "staff") {
		t.Error("deleted user still in a group")
	}
	if err := db2.Save(path); err != nil {
		t.Fatal(err)
	}
	db3, err := LoadUsers(path)
	if err != nil {
		t.Fatal(err)
	}
	db3.Add("dave", "d")
	if d, _, _ := db3.UserSID("dave"); d == bobSID || d == carolSID || d == aliceSID {
		t.Errorf("dave reuses a SID: %s", d)
	}
	if _, _, ok := db3.LookupSID(bobSID); ok {
		t.Error("deleted user's SID still resolves")
	}
}

func TestOldUsersFileGetsStableIdentities(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users")
	h := NTHash("pw")
	old := "# old format\nbob:" + hexs(h) + "\nalice:" + hexs(h) + "\n"
	if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := LoadUsers(path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := LoadUsers(path)
	as, _, _ := a.UserSID("alice")
	bs, _, _ := b.UserSID("alice")
	if as != bs || as == "" {
		t.Fatalf("old file gives unstable SIDs: %s vs %s", as, bs)
	}
	// Rewriting the file (user add) keeps them.
	a.Add("carol", "c")
	if err := a.Save(path); err != nil {
		t.Fatal(err)
	}
	c, err := LoadUsers(path)
	if err != nil {
		t.Fatal(err)
	}
	if cs, _, _ := c.UserSID("alice"); cs != as {
		t.Errorf("after save: %s, want %s", cs, as)
	}
}

func TestUsersFileIdentityErrors(t *testing.T) {
	h := hexs(NTHash("pw"))
	for _, bad := range []string{
		"!sid S-1-5-32-544\n",
		"!next-rid abc\n",
		"!colour blue\n",
		"alice:" + h + ":12\n",
		"alice:" + h + ":1000\nbob:" + h + ":1000\n",
		"@staff:1000\n",
		"@staff:1001:a\n@staff:1002:b\n",
	} {
		path := filepath.Join(t.TempDir(), "users")
		os.WriteFile(path, []byte(bad), 0o600)
		if _, err := LoadUsers(path); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestConfigGroups(t *testing.T) {
	db := NewUserDB()
	db.Add("alice", "a")
	if err := db.AddConfigGroup("lab", []string{"alice"}); err != nil {
		t.Fatal(err)
	}
	if !db.InGroup("alice", "lab") {
		t.Error("not in config group")
	}
	path := filepath.Join(t.TempDir(), "users")
	db.Save(path)
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), "@lab") {
		t.Error("config group written to users file")
	}
	if err := db.AddConfigGroup("alice", nil); err == nil {
		t.Error("group named like a user accepted")
	}
}

func hexs(h [16]byte) string {
	const d = "0123456789abcdef"
	var b []byte
	for _, x := range h {
		b = append(b, d[x>>4], d[x&15])
	}
	return string(b)
}
