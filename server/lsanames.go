package server

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/zerosmb/zerosmb/auth"
	"github.com/zerosmb/zerosmb/internal/acl"
	"github.com/zerosmb/zerosmb/internal/rpc"
)

// lsaNames answers lsarpc lookups (internal/rpc) for the server's users
// and groups (domain = the server's NetBIOS name) and the well-known
// SIDs an ACL editor shows.
type lsaNames struct{ s *Server }

// wellKnownSIDs are the SIDs named without a users database.
var wellKnownSIDs = []struct {
	sid, domain, name string
	kind              uint16
}{
	{auth.SIDEveryone, "", "Everyone", rpc.SidTypeWellKnownGroup},
	{acl.SIDCreatorOwner, "", "CREATOR OWNER", rpc.SidTypeWellKnownGroup},
	{acl.SIDCreatorGroup, "", "CREATOR GROUP", rpc.SidTypeWellKnownGroup},
	{acl.SIDOwnerRights, "", "OWNER RIGHTS", rpc.SidTypeWellKnownGroup},
	{acl.SIDSystem, "NT AUTHORITY", "SYSTEM", rpc.SidTypeWellKnownGroup},
	{auth.SIDAuthenticatedUsers, "NT AUTHORITY", "Authenticated Users", rpc.SidTypeWellKnownGroup},
	{auth.SIDAnonymous, "NT AUTHORITY", "ANONYMOUS LOGON", rpc.SidTypeWellKnownGroup},
	{auth.SIDBuiltinAdmins, "BUILTIN", "Administrators", rpc.SidTypeAlias},
	{auth.SIDBuiltinUsers, "BUILTIN", "Users", rpc.SidTypeAlias},
	{auth.SIDBuiltinGuests, "BUILTIN", "Guests", rpc.SidTypeAlias},
	{"S-1-5-32", "BUILTIN", "BUILTIN", rpc.SidTypeDomain},
	{"S-1-5", "NT AUTHORITY", "NT AUTHORITY", rpc.SidTypeDomain},
}

func (n lsaNames) Domain() (string, string) {
	return n.s.cfg.ServerName, n.s.users().DomainSID()
}

func (n lsaNames) LookupSID(sid string) (string, string, uint16, bool) {
	for _, w := range wellKnownSIDs {
		if w.sid == sid {
			return w.domain, w.name, w.kind, true
		}
	}
	dom, dsid := n.Domain()
	if sid == dsid {
		return dom, dom, rpc.SidTypeDomain, true
	}
	name, kind, ok := n.s.users().LookupSID(sid)
	if !ok {
		return "", "", 0, false
	}
	return dom, name, sidType(kind), true
}

func (n lsaNames) LookupName(name string) (string, string, uint16, bool) {
	dom, dsid := n.Domain()
	if name == "" { // as Windows: the empty name is the BUILTIN domain
		return "BUILTIN", "S-1-5-32", rpc.SidTypeDomain, true
	}
	qual, short, found := strings.Cut(name, `\`)
	if !found {
		qual, short = "", name
	}
	if short == "" { // "DOMAIN\": the domain itself
		short, qual = qual, ""
	}
	for _, w := range wellKnownSIDs {
		if strings.EqualFold(w.name, short) && (qual == "" || strings.EqualFold(qual, w.domain)) {
			return w.domain, w.sid, w.kind, true
		}
	}
	if qual != "" && !strings.EqualFold(qual, dom) && !strings.EqualFold(qual, n.s.cfg.Domain) {
		return "", "", 0, false
	}
	if strings.EqualFold(short, dom) {
		return dom, dsid, rpc.SidTypeDomain, true
	}
	sid, kind, ok := n.s.users().LookupName(short)
	if !ok {
		return "", "", 0, false
	}
	return dom, sid, sidType(kind), true
}

// sidType is the LSA SID_NAME_USE of a user database account kind.
func sidType(kind auth.SIDKind) uint16 {
	if kind == auth.KindGroup {
		return rpc.SidTypeGroup
	}
	return rpc.SidTypeUser
}

// Accounts lists the users (or groups) of the users database with their
// RIDs, for SAMR enumeration (rpc.Accounts), sorted by RID.
func (n lsaNames) Accounts(groups bool) []rpc.Account {
	db := n.s.users()
	dom := db.DomainSID() + "-"
	var names []string
	if groups {
		names = db.GroupNames()
	} else {
		names = db.Names()
	}
	var out []rpc.Account
	for _, name := range names {
		sid, kind, ok := db.LookupName(name)
		if !ok || (kind == auth.KindGroup) != groups {
			continue
		}
		rid, err := strconv.ParseUint(strings.TrimPrefix(sid, dom), 10, 32)
		if err != nil {
			continue
		}
		out = append(out, rpc.Account{Name: name, RID: uint32(rid)})
	}
	slices.SortFunc(out, func(a, b rpc.Account) int { return cmp.Compare(a.RID, b.RID) })
	return out
}
