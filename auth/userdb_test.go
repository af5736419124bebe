package auth

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestUserDBBasics(t *testing.T) {
	db := NewUserDB()
	db.Add("Alice", "one")
	db.Add("bob", "two")
	db.Add("ALICE", "three") // replaces Alice
	if got := db.Names(); !slices.Equal(got, []string{"ALICE", "bob"}) {
		t.Fatalf("Names = %q", got)
	}
	h, ok := db.NTHash("alice")
	if !ok || h != NTHash("three") {
		t.Fatalf("NTHash(alice) = %x, %v", h, ok)
	}
	if _, ok := db.NTHash("carol"); ok {
		t.Fatal("unknown user found")
	}
	if !db.Delete("Bob") || db.Delete("bob") {
		t.Fatal("Delete should succeed once")
	}
	if got := db.Names(); !slices.Equal(got, []string{"ALICE"}) {
		t.Fatalf("Names after delete = %q", got)
	}
	var nilDB *UserDB
	if _, ok := nilDB.NTHash("x"); ok {
		t.Fatal("nil db has users")
	}
}

func TestNTHashEmptyAndUnicode(t *testing.T) {
	// Well-known NT hash of the empty password.
	if h := NTHash(""); hex.EncodeToString(h[:]) != "31d6cfe0d16ae931b73c59d7e0c089c0" {
		t.Fatalf("NTHash(\"\") = %x", h)
	}
	if NTHash("pässwörd") == NTHash("passwort") {
		t.Fatal("different passwords, same hash")
	}
}

func TestUserDBSaveLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "users")
	db := NewUserDB()
	db.Add("alice", "correct horse")
	db.Add("Bob", "battery staple")
	if err := db.Save(path); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", st.Mode().Perm())
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), "horse") || strings.Contains(string(data), "staple") {
		t.Fatal("password stored in plain text")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}

	got, err := LoadUsers(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Names(), []string{"Bob", "alice"}) {
		t.Fatalf("Names = %q", got.Names())
	}
	if h, ok := got.NTHash("BOB"); !ok || h != NTHash("battery staple") {
		t.Fatal("hash did not round-trip")
	}

	// Save over an existing file keeps 0600 even if it was looser.
	os.Chmod(path, 0o644)
	if err := got.Save(path); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode after re-save %v", st.Mode().Perm())
	}

	bad := NewUserDB()
	bad.Add("a:b", "x")
	if err := bad.Save(filepath.Join(dir, "bad")); err == nil {
		t.Fatal("saved a name containing ':'")
	}
}

func TestLoadUsersRefusesLooseMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users")
	if err := os.WriteFile(path, []byte("alice:31d6cfe0d16ae931b73c59d7e0c089c0\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o640) // umask-proof
	_, err := LoadUsers(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "0640") {
		t.Fatalf("err = %v; want one naming path and mode", err)
	}
	os.Chmod(path, 0o600)
	if _, err := LoadUsers(path); err != nil {
		t.Fatal(err)
	}
}

func TestLoadUsersSyntax(t *testing.T) {
	const h = "31d6cfe0d16ae931b73c59d7e0c089c0"
	tests := []struct {
		name, content string
		wantLine      string // "" means success
		users         []string
	}{
		{"ok", "# comment\n\nalice:" + h + "\n  bob : " + strings.ToUpper(h) + "  \n", "", []string{"alice", "bob"}},
		{"no colon", "alice:" + h + "\nbob\n", ":2:", nil},
		{"short hash", "alice:31d6\n", ":1:", nil},
		{"not hex", "# x\nalice:" + strings.Repeat("zz", 16) + "\n", ":2:", nil},
		{"empty name", ":" + h + "\n", ":1:", nil},
		{"duplicate", "a:" + h + "\nA:" + h + "\n", ":2:", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "users")
			os.WriteFile(path, []byte(tt.content), 0o600)
			db, err := LoadUsers(path)
			if tt.wantLine == "" {
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(db.Names(), tt.users) {
					t.Fatalf("Names = %q", db.Names())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantLine) {
				t.Fatalf("err = %v, want line %s", err, tt.wantLine)
			}
			if strings.Contains(err.Error(), "31d6") {
				t.Errorf("error quotes the hash: %v", err)
			}
		})
	}
	if _, err := LoadUsers(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("missing file accepted")
	}
}

func TestUserDBConcurrent(t *testing.T) {
	db := NewUserDB()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				name := string(rune('a'+i)) + string(rune('a'+j%26))
				db.addHash(name, [16]byte{byte(j)})
				db.NTHash(name)
				db.Names()
				if j%3 == 0 {
					db.Delete(name)
				}
			}
		}()
	}
	wg.Wait()
}
