package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
)

// Identities: every user and group of a UserDB has a SID made of the
// database's domain SID (S-1-5-21-a-b-c, random when the database is
// created, kept in the users file) and a RID. RIDs of users and groups
// stored in the file come from one counter that only grows, so the RID
// of a deleted user is never given to another one. Groups defined only
// in the server's configuration (AddConfigGroup) get a RID derived from
// their name in a range the counter never reaches.

// Well-known SIDs a session token carries (MS-DTYP 2.4.2.4).
const (
	SIDEveryone           = "S-1-1-0"
	SIDAuthenticatedUsers = "S-1-5-11"
	SIDAnonymous          = "S-1-5-7"
	SIDBuiltinUsers       = "S-1-5-32-545"
	SIDBuiltinGuests      = "S-1-5-32-546"
	SIDBuiltinAdmins      = "S-1-5-32-544"
)

const (
	firstRID = 1000
	// RIDGuest is the RID of the guest account.
	RIDGuest = 501
	// RIDDomainUsers is the RID of the group every user belongs to.
	RIDDomainUsers = 513
	// configRIDBase starts the RIDs of configuration-only groups.
	configRIDBase = 1 << 28
	maxRID        = configRIDBase - 1
)

// groupEntry is one group and its members (lower-case user names).
type groupEntry struct {
	name      string
	rid       uint32
	members   []string
	persisted bool // written to the users file (else from the config)
}

func randomDomainSID() string {
	var b [12]byte
	rand.Read(b[:])
	return domainSIDFrom(b[:])
}

func domainSIDFrom(b []byte) string {
	le := binary.LittleEndian
	return fmt.Sprintf("S-1-5-21-%d-%d-%d", le.Uint32(b[0:]), le.Uint32(b[4:]), le.Uint32(b[8:]))
}

func parseRID(s string) (uint32, error) {
	v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
	if err != nil || v < firstRID || v > maxRID {
		return 0, fmt.Errorf("bad RID %q: want a number from %d to %d", s, firstRID, maxRID)
	}
	return uint32(v), nil
}

// validDomainSID reports whether s has the S-1-5-21-a-b-c form.
func validDomainSID(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) != 7 || strings.Join(parts[:4], "-") != "S-1-5-21" {
		return false
	}
	for _, p := range parts[4:] {
		if _, err := strconv.ParseUint(p, 10, 32); err != nil {
			return false
		}
	}
	return true
}

// parseDirective handles the "!sid S-…" and "!next-rid N" lines.
func (db *UserDB) parseDirective(line string) error {
	key, val, _ := strings.Cut(line, " ")
	val = strings.TrimSpace(val)
	switch key {
	case "sid":
		if !validDomainSID(val) {
			return fmt.Errorf("bad domain SID %q: want S-1-5-21-a-b-c", val)
		}
		db.sid = val
	case "next-rid":
		v, err := parseRID(val)
		if err != nil {
			return err
		}
		db.nextRID = v
	default:
		return fmt.Errorf("unknown directive !%s", key)
	}
	return nil
}

// parseGroup handles "@name:RID:member,member".
func (db *UserDB) parseGroup(line string) error {
	fields := strings.Split(line, ":")
	if len(fields) != 3 {
		return errors.New(`expected "@group:rid:member,member"`)
	}
	name := strings.TrimSpace(fields[0])
	if err := ValidUserName(name); err != nil {
		return err
	}
	rid, err := parseRID(fields[1])
	if err != nil {
		return fmt.Errorf("group %q: %w", name, err)
	}
	key := strings.ToLower(name)
	if _, dup := db.groups[key]; dup {
		return fmt.Errorf("group %q listed twice", name)
	}
	g := groupEntry{name: name, rid: rid, persisted: true}
	for _, m := range strings.Split(fields[2], ",") {
		if m = strings.ToLower(strings.TrimSpace(m)); m != "" && !slices.Contains(g.members, m) {
			g.members = append(g.members, m)
		}
	}
	db.groups[key] = g
	return nil
}

// finishLoad gives an old file (no "!sid", users without RIDs) its
// identities: a domain SID derived from the user names, RIDs in name
// order after the highest one in use. The next Save records them, so
// they do not change when the file is rewritten.
func (db *UserDB) finishLoad() error {
	names := make([]string, 0, len(db.users))
	for k := range db.users {
		names = append(names, k)
	}
	slices.Sort(names)
	if db.sid == "" {
		h := sha256.Sum256([]byte("zerosmb users\x00" + strings.Join(names, "\x00")))
		db.sid = domainSIDFrom(h[:12])
	}
	used := map[uint32]string{}
	high := uint32(firstRID - 1)
	claim := func(rid uint32, what string) error {
		if prev, dup := used[rid]; dup {
			return fmt.Errorf("RID %d used by both %s and %s", rid, prev, what)
		}
		used[rid] = what
		high = max(high, rid)
		return nil
	}
	for _, k := range names {
		if rid := db.users[k].rid; rid != 0 {
			if err := claim(rid, "user "+k); err != nil {
				return err
			}
		}
	}
	for k, g := range db.groups {
		if err := claim(g.rid, "group "+k); err != nil {
			return err
		}
	}
	db.nextRID = max(db.nextRID, high+1, firstRID)
	for _, k := range names {
		if e := db.users[k]; e.rid == 0 {
			e.rid = db.allocRID()
			db.users[k] = e
		}
	}
	return nil
}

// allocRID returns a fresh RID. The caller holds db.mu.
func (db *UserDB) allocRID() uint32 {
	if db.nextRID < firstRID {
		db.nextRID = firstRID
	}
	r := db.nextRID
	db.nextRID++
	return r
}

func (db *UserDB) persistedGroups() []groupEntry {
	var out []groupEntry
	for _, g := range db.groups {
		if g.persisted {
			out = append(out, g)
		}
	}
	slices.SortFunc(out, func(a, b groupEntry) int { return strings.Compare(a.name, b.name) })
	return out
}

// DomainSID returns the SID of the server's user database (S-1-5-21-…).
func (db *UserDB) DomainSID() string {
	if db == nil {
		return "S-1-5-21-0-0-0"
	}
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.sid
}

// UserSID returns the SID of user name and its stored spelling.
func (db *UserDB) UserSID(name string) (sid, stored string, ok bool) {
	if db == nil {
		return "", "", false
	}
	db.mu.RLock()
	defer db.mu.RUnlock()
	e, ok := db.users[strings.ToLower(name)]
	if !ok {
		return "", "", false
	}
	return fmt.Sprintf("%s-%d", db.sid, e.rid), e.name, true
}

// SetGroup creates or replaces group name (stored in the users file by
// Save) with the given members. Unknown member names are an error.
func (db *UserDB) SetGroup(name string, members []string) error {
	if err := ValidUserName(name); err != nil {
		return err
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	if _, clash := db.users[strings.ToLower(name)]; clash {
		return fmt.Errorf("auth: %q is already a user name", name)
	}
	var ms []string
	for _, m := range members {
		k := strings.ToLower(m)
		if _, ok := db.users[k]; !ok {
			return fmt.Errorf("auth: group %q: no user %q", name, m)
		}
		if !slices.Contains(ms, k) {
			ms = append(ms, k)
		}
	}
	key := strings.ToLower(name)
	g, ok := db.groups[key]
	if !ok || !g.persisted {
		g = groupEntry{rid: db.allocRID()}
	}
	g.name, g.members, g.persisted = name, ms, true
	db.groups[key] = g
	return nil
}

// DeleteGroup removes a group and reports whether it existed.
func (db *UserDB) DeleteGroup(name string) bool {
	db.mu.Lock()
	defer db.mu.Unlock()
	key := strings.ToLower(name)
	_, ok := db.groups[key]
	delete(db.groups, key)
	return ok
}

// AddConfigGroup adds members to group name for the life of the
// database without writing it to the users file (groups of the server's
// configuration file). A group not in the users file gets a RID derived
// from its name.
func (db *UserDB) AddConfigGroup(name string, members []string) error {
	if err := ValidUserName(name); err != nil {
		return err
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	key := strings.ToLower(name)
	if _, clash := db.users[key]; clash {
		return fmt.Errorf("auth: group %q has the name of a user", name)
	}
	g, ok := db.groups[key]
	if !ok {
		h := fnv.New32a()
		h.Write([]byte(key))
		g = groupEntry{name: name, rid: configRIDBase + h.Sum32()%(1<<28)}
	}
	for _, m := range members {
		if k := strings.ToLower(m); !slices.Contains(g.members, k) {
			g.members = append(g.members, k)
		}
	}
	db.groups[key] = g
	return nil
}

// GroupNames returns the names of all groups, sorted.
func (db *UserDB) GroupNames() []string {
	if db == nil {
		return nil
	}
	db.mu.RLock()
	defer db.mu.RUnlock()
	var out []string
	for _, g := range db.groups {
		out = append(out, g.name)
	}
	slices.Sort(out)
	return out
}

// GroupMembers returns the members of group name (lower-case names).
func (db *UserDB) GroupMembers(name string) ([]string, bool) {
	if db == nil {
		return nil, false
	}
	db.mu.RLock()
	defer db.mu.RUnlock()
	g, ok := db.groups[strings.ToLower(name)]
	return slices.Clone(g.members), ok
}

// InGroup reports whether user is a member of group.
func (db *UserDB) InGroup(user, group string) bool {
	ms, _ := db.GroupMembers(group)
	return slices.Contains(ms, strings.ToLower(user))
}

// TokenSIDs returns the SIDs a session of user carries: the user, the
// domain's Users group, every group the user is in, Everyone,
// Authenticated Users and BUILTIN\Users. An unknown user gets the guest
// token.
func (db *UserDB) TokenSIDs(user string) []string {
	sid, _, ok := db.UserSID(user)
	if !ok {
		return db.GuestTokenSIDs()
	}
	db.mu.RLock()
	dom := db.sid
	out := []string{sid, fmt.Sprintf("%s-%d", dom, RIDDomainUsers)}
	key := strings.ToLower(user)
	for _, g := range db.groups {
		if slices.Contains(g.members, key) {
			out = append(out, fmt.Sprintf("%s-%d", dom, g.rid))
		}
	}
	db.mu.RUnlock()
	slices.Sort(out[2:])
	return append(out, SIDEveryone, SIDAuthenticatedUsers, SIDBuiltinUsers)
}

// GuestTokenSIDs returns the SIDs of a guest session.
func (db *UserDB) GuestTokenSIDs() []string {
	return []string{fmt.Sprintf("%s-%d", db.DomainSID(), RIDGuest), SIDEveryone, SIDBuiltinGuests}
}

// AnonymousTokenSIDs returns the SIDs of an anonymous (null) session.
func AnonymousTokenSIDs() []string { return []string{SIDAnonymous, SIDEveryone} }

// SIDKind says what a SID names (the LSA SID_NAME_USE values).
type SIDKind int

// SID kinds.
const (
	KindUnknown   SIDKind = 8
	KindUser      SIDKind = 1
	KindGroup     SIDKind = 2
	KindAlias     SIDKind = 4 // builtin groups
	KindWellKnown SIDKind = 5
)

// LookupSID names a SID of this database (users, groups, guest, the
// domain Users group). ok is false for SIDs it does not know.
func (db *UserDB) LookupSID(sid string) (name string, kind SIDKind, ok bool) {
	if db == nil {
		return "", KindUnknown, false
	}
	db.mu.RLock()
	defer db.mu.RUnlock()
	rest, found := strings.CutPrefix(sid, db.sid+"-")
	if !found {
		return "", KindUnknown, false
	}
	v, err := strconv.ParseUint(rest, 10, 32)
	if err != nil {
		return "", KindUnknown, false
	}
	rid := uint32(v)
	switch rid {
	case RIDGuest:
		return "Guest", KindUser, true
	case RIDDomainUsers:
		return "None", KindGroup, true
	}
	for _, e := range db.users {
		if e.rid == rid {
			return e.name, KindUser, true
		}
	}
	for _, g := range db.groups {
		if g.rid == rid {
			return g.name, KindGroup, true
		}
	}
	return "", KindUnknown, false
}

// LookupName returns the SID of a user or group name of this database.
func (db *UserDB) LookupName(name string) (sid string, kind SIDKind, ok bool) {
	if db == nil {
		return "", KindUnknown, false
	}
	db.mu.RLock()
	defer db.mu.RUnlock()
	key := strings.ToLower(name)
	if e, ok := db.users[key]; ok {
		return fmt.Sprintf("%s-%d", db.sid, e.rid), KindUser, true
	}
	if g, ok := db.groups[key]; ok {
		return fmt.Sprintf("%s-%d", db.sid, g.rid), KindGroup, true
	}
	switch key {
	case "guest":
		return fmt.Sprintf("%s-%d", db.sid, RIDGuest), KindUser, true
	case "none":
		return fmt.Sprintf("%s-%d", db.sid, RIDDomainUsers), KindGroup, true
	}
	return "", KindUnknown, false
}
