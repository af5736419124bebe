package auth

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"golang.org/x/crypto/md4"
)

// UserDB holds user names and their NT hashes. Names are case-insensitive.
// It is safe for concurrent use.
//
// On disk it is a text file with one "name:32-hex-digit-NT-hash" line per
// user; blank lines and lines starting with '#' are ignored. Passwords are
// never stored.
//
// Every user and group also has a RID: with the database's domain SID it
// forms the user's SID (identity.go). Those are kept in the same file
// ("name:hash:RID", "@group:RID:member,member" and "!sid"/"!next-rid"
// lines); files written before RIDs existed still load, their users get
// RIDs in name order and the next Save records them.
type UserDB struct {
	mu      sync.RWMutex
	users   map[string]userEntry  // key: strings.ToLower(name)
	groups  map[string]groupEntry // key: strings.ToLower(name)
	sid     string                // domain SID, S-1-5-21-a-b-c
	nextRID uint32                // never decreases: RIDs are not reused
}

type userEntry struct {
	name string // as given to Add
	hash [16]byte
	rid  uint32
}

// NewUserDB returns an empty user database with a new random domain SID.
func NewUserDB() *UserDB {
	return &UserDB{users: make(map[string]userEntry), groups: make(map[string]groupEntry),
		sid: randomDomainSID(), nextRID: firstRID}
}

// NTHash returns the NT hash of password: MD4 of its UTF-16LE encoding.
func NTHash(password string) [16]byte {
	h := md4.New()
	h.Write(utf16le(password))
	var out [16]byte
	h.Sum(out[:0])
	return out
}

// ValidUserName reports why name cannot be stored in a user file, or nil.
func ValidUserName(name string) error {
	switch {
	case name == "":
		return errors.New("auth: empty user name")
	case strings.ContainsAny(name, ":\r\n"):
		return fmt.Errorf("auth: user name %q contains ':' or a line break", name)
	case strings.TrimSpace(name) != name:
		return fmt.Errorf("auth: user name %q has leading or trailing space", name)
	case name[0] == '#':
		return fmt.Errorf("auth: user name %q starts with '#'", name)
	}
	return nil
}

// Add stores the user with the hash of password, replacing any user of the
// same name (compared case-insensitively).
func (db *UserDB) Add(name, password string) {
	db.addHash(name, NTHash(password))
}

func (db *UserDB) addHash(name string, hash [16]byte) {
	db.mu.Lock()
	defer db.mu.Unlock()
	key := strings.ToLower(name)
	rid := db.users[key].rid
	if rid == 0 {
		rid = db.allocRID()
	}
	db.users[key] = userEntry{name: name, hash: hash, rid: rid}
}

// Delete removes the user and reports whether it existed.
func (db *UserDB) Delete(name string) bool {
	db.mu.Lock()
	defer db.mu.Unlock()
	key := strings.ToLower(name)
	_, ok := db.users[key]
	delete(db.users, key)
	for k, g := range db.groups {
		g.members = slices.DeleteFunc(g.members, func(m string) bool { return m == key })
		db.groups[k] = g
	}
	return ok
}

// Names returns the stored user names, sorted.
func (db *UserDB) Names() []string {
	db.mu.RLock()
	defer db.mu.RUnlock()
	names := make([]string, 0, len(db.users))
	for _, e := range db.users {
		names = append(names, e.name)
	}
	slices.Sort(names)
	return names
}

// NTHash returns the NT hash stored for name.
func (db *UserDB) NTHash(name string) ([16]byte, bool) {
	_, h, ok := db.lookup(name)
	return h, ok
}

// lookup returns the stored spelling of name and its hash. A nil db has no
// users.
func (db *UserDB) lookup(name string) (string, [16]byte, bool) {
	if db == nil {
		return "", [16]byte{}, false
	}
	db.mu.RLock()
	defer db.mu.RUnlock()
	e, ok := db.users[strings.ToLower(name)]
	return e.name, e.hash, ok
}

// LoadUsers reads a user file. It refuses files that group or others may
// access, since NT hashes are password equivalents.
func LoadUsers(path string) (*UserDB, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("auth: load users: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("auth: load users: %w", err)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("auth: user file %s has mode %#o; it must not be accessible by group or others (chmod 600 %s)", path, perm, path)
	}
	db := &UserDB{users: make(map[string]userEntry), groups: make(map[string]groupEntry)}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		if err := db.parseLine(sc.Text()); err != nil {
			return nil, fmt.Errorf("auth: %s:%d: %w", path, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("auth: load users %s: %w", path, err)
	}
	if err := db.finishLoad(); err != nil {
		return nil, fmt.Errorf("auth: %s: %w", path, err)
	}
	return db, nil
}

// parseLine adds the user on one line of a user file. Error messages never
// quote the hash.
func (db *UserDB) parseLine(line string) error {
	line = strings.TrimSpace(line)
	switch {
	case line == "" || line[0] == '#':
		return nil
	case line[0] == '!':
		return db.parseDirective(line[1:])
	case line[0] == '@':
		return db.parseGroup(line[1:])
	}
	fields := strings.Split(line, ":")
	if len(fields) < 2 || len(fields) > 3 {
		return errors.New(`expected "name:nthash[:rid]"`)
	}
	name, hexHash := strings.TrimSpace(fields[0]), strings.TrimSpace(fields[1])
	var rid uint32
	if len(fields) == 3 {
		v, err := parseRID(fields[2])
		if err != nil {
			return fmt.Errorf("user %q: %w", name, err)
		}
		rid = v
	}
	if err := ValidUserName(name); err != nil {
		return err
	}
	var h [16]byte
	if len(hexHash) != 32 {
		return fmt.Errorf("user %q: NT hash must be 32 hex digits", name)
	}
	if _, err := hex.Decode(h[:], []byte(hexHash)); err != nil {
		return fmt.Errorf("user %q: NT hash is not hexadecimal", name)
	}
	if _, _, ok := db.lookup(name); ok {
		return fmt.Errorf("user %q listed twice", name)
	}
	db.users[strings.ToLower(name)] = userEntry{name: name, hash: h, rid: rid}
	return nil
}

// Save writes the database to path atomically (a temporary file in the same
// directory, then rename) with mode 0600.
func (db *UserDB) Save(path string) error {
	db.mu.RLock()
	entries := make([]userEntry, 0, len(db.users))
	for _, e := range db.users {
		entries = append(entries, e)
	}
	groups := db.persistedGroups()
	sid, next := db.sid, db.nextRID
	db.mu.RUnlock()
	slices.SortFunc(entries, func(a, b userEntry) int { return strings.Compare(a.name, b.name) })

	var buf bytes.Buffer
	buf.WriteString("# zerosmb users: name:NT-hash:RID (NT hash = MD4 of UTF-16LE password)\n")
	fmt.Fprintf(&buf, "!sid %s\n!next-rid %d\n", sid, next)
	for _, e := range entries {
		if err := ValidUserName(e.name); err != nil {
			return fmt.Errorf("auth: save users: %w", err)
		}
		fmt.Fprintf(&buf, "%s:%x:%d\n", e.name, e.hash, e.rid)
	}
	for _, g := range groups {
		fmt.Fprintf(&buf, "@%s:%d:%s\n", g.name, g.rid, strings.Join(g.members, ","))
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("auth: save users: %w", err)
	}
	tmpName := tmp.Name()
	err = writeAndClose(tmp, buf.Bytes())
	if err == nil {
		err = os.Rename(tmpName, path)
	}
	if err != nil {
		os.Remove(tmpName)
		return fmt.Errorf("auth: save users %s: %w", path, err)
	}
	return nil
}

func writeAndClose(f *os.File, data []byte) error {
	err := f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
