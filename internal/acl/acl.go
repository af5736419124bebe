// Package acl is zerosmb's Windows security model: the access check of
// MS-DTYP 2.5.3.2 over a security descriptor and a session's token, the
// inheritance of ACEs by new files and directories (MS-DTYP 2.5.3.4), the
// default descriptor of a file nothing is inherited by, and the merge of
// a SET_INFO descriptor into the stored one. The byte layout of
// descriptors lives in package smb2; this package works on the decoded
// smb2.SecurityDescriptor and never touches the wire or the disk.
package acl

import (
	"slices"

	"github.com/zerosmb/zerosmb/smb2"
)

// Well-known SIDs the model treats specially.
const (
	SIDCreatorOwner = "S-1-3-0"
	SIDCreatorGroup = "S-1-3-1"
	SIDOwnerRights  = "S-1-3-4"
	SIDSystem       = "S-1-5-18"
	SIDAdmins       = "S-1-5-32-544"
	SIDEveryone     = "S-1-1-0"
)

// Token is the identity an access check runs for: the SIDs of the user,
// its groups and the well-known groups it belongs to, and whether it
// holds the privileges of a share administrator (take ownership, restore
// any owner, read and write any DACL and SACL).
type Token struct {
	SIDs  []string // SIDs[0] is the user
	Admin bool
}

// User returns the token's user SID.
func (t *Token) User() string {
	if t == nil || len(t.SIDs) == 0 {
		return ""
	}
	return t.SIDs[0]
}

// Has reports whether the token carries sid.
func (t *Token) Has(sid string) bool { return t != nil && sid != "" && slices.Contains(t.SIDs, sid) }

// adminRights are granted to an administrator token whatever the DACL
// says (SeTakeOwnership, SeSecurity and the right to change any DACL).
const adminRights = smb2.ReadControl | smb2.WriteDAC | smb2.WriteOwner | smb2.AccessSystemSec

// ownerRights are implied for the owner unless an OWNER RIGHTS ACE exists.
const ownerRights = smb2.ReadControl | smb2.WriteDAC

// Granted returns every right sd grants tok (the MAXIMUM_ALLOWED mask of
// MS-DTYP 2.5.3.2): with no DACL or a NULL DACL, every file right; else
// the owner's implied READ_CONTROL|WRITE_DAC (unless the DACL has an
// OWNER RIGHTS ACE) plus, bit by bit, what the first matching ACE that
// mentions the bit decides. Inherit-only ACEs and ACE types other than
// allowed and denied do not take part. GENERIC_* bits in ACEs are mapped
// to file rights.
func Granted(sd *smb2.SecurityDescriptor, tok *Token) uint32 {
	var granted uint32
	if tok != nil && tok.Admin {
		granted |= adminRights
	}
	if sd == nil || sd.DACL == nil {
		return granted | smb2.FileAllAccess
	}
	isOwner := tok.Has(sd.Owner)
	var denied uint32
	if isOwner && !hasOwnerRightsACE(sd.DACL) {
		granted |= ownerRights
	}
	for _, a := range sd.DACL.ACEs {
		if a.Flags&smb2.ACEInheritOnly != 0 {
			continue
		}
		if !(tok.Has(a.SID) || a.SID == SIDOwnerRights && isOwner) {
			continue
		}
		mask := smb2.MapGenericAccess(a.Mask) &^ smb2.MaximumAllowed
		switch a.Type {
		case smb2.ACEAccessAllowed:
			granted |= mask &^ denied
		case smb2.ACEAccessDenied:
			denied |= mask &^ granted
		}
	}
	return granted
}

func hasOwnerRightsACE(dacl *smb2.ACL) bool {
	for _, a := range dacl.ACEs {
		if a.SID == SIDOwnerRights && a.Flags&smb2.ACEInheritOnly == 0 {
			return true
		}
	}
	return false
}

// Check decides a CREATE's DesiredAccess (GENERIC_* bits allowed) against
// the rights the file's descriptor grants, granted (from Granted, plus
// whatever the caller adds: DELETE through the parent's
// FILE_DELETE_CHILD). It returns the access the open gets: the mapped
// desired rights, plus every granted right if MAXIMUM_ALLOWED was asked
// for, and ok=false when a desired right is not granted.
func Check(desired, granted uint32) (access uint32, ok bool) {
	want := smb2.MapGenericAccess(desired) &^ smb2.MaximumAllowed
	if want&^granted != 0 {
		return 0, false
	}
	if desired&smb2.MaximumAllowed != 0 {
		want |= granted
	}
	return want, true
}
