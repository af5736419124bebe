package acl

import "github.com/zerosmb/zerosmb/smb2"

// inheritFlags are the ACE flags that say how an ACE passes to children.
const inheritFlags = smb2.ACEObjectInherit | smb2.ACEContainerInherit | smb2.ACENoPropagateInherit | smb2.ACEInheritOnly

// genericBits are the GENERIC_* access bits an inheritable ACE may carry.
const genericBits = smb2.GenericAll | smb2.GenericRead | smb2.GenericWrite | smb2.GenericExecute

// InheritACL computes the ACEs a new child of a directory with DACL
// parent inherits (MS-DTYP 2.5.3.4.2 with the rules of "ACE inheritance
// rules"): a file takes the OBJECT_INHERIT ACEs as effective ACEs; a
// directory takes CONTAINER_INHERIT ACEs as effective ACEs that stay
// inheritable unless NO_PROPAGATE_INHERIT is set, and OBJECT_INHERIT-only
// ACEs as inherit-only ones (unless NO_PROPAGATE_INHERIT). Effective
// ACEs get CREATOR OWNER / CREATOR GROUP replaced by owner / group and
// GENERIC_* bits mapped; a directory ACE that must stay inheritable and
// carries such generic parts is split in an effective mapped ACE and an
// inherit-only original. Every inherited ACE has INHERITED_ACE set. ok
// is false when nothing is inherited.
//
// INHERITED_ACE is set only when auto-inheritance is in effect (autoInh:
// the parent's DACL is SE_DACL_AUTO_INHERITED), as Windows does.
func InheritACL(parent *smb2.ACL, isDir, autoInh bool, owner, group string) (out []smb2.ACE, ok bool) {
	if parent == nil {
		return nil, false
	}
	defer func() {
		if !autoInh {
			for i := range out {
				out[i].Flags &^= smb2.ACEInherited
			}
		}
	}()
	for _, a := range parent.ACEs {
		if a.Type != smb2.ACEAccessAllowed && a.Type != smb2.ACEAccessDenied && a.Type != smb2.ACESystemAudit {
			continue // object and callback ACEs are not inherited here
		}
		oi, ci := a.Flags&smb2.ACEObjectInherit != 0, a.Flags&smb2.ACEContainerInherit != 0
		np := a.Flags&smb2.ACENoPropagateInherit != 0
		audit := a.Flags & (smb2.ACESuccessfulAccess | smb2.ACEFailedAccess)
		switch {
		case !isDir && oi:
			out = append(out, effective(a, owner, group, audit))
		case isDir && ci && np:
			out = append(out, effective(a, owner, group, audit))
		case isDir && ci:
			keep := a.Flags & (smb2.ACEObjectInherit | smb2.ACEContainerInherit)
			if a.Mask&genericBits != 0 || a.SID == SIDCreatorOwner || a.SID == SIDCreatorGroup {
				out = append(out, effective(a, owner, group, audit))
				io := a
				io.Flags = keep | smb2.ACEInheritOnly | smb2.ACEInherited | audit
				out = append(out, io)
			} else {
				e := a
				e.Flags = keep | smb2.ACEInherited | audit
				out = append(out, e)
			}
		case isDir && oi && !np:
			io := a
			io.Flags = smb2.ACEObjectInherit | smb2.ACEInheritOnly | smb2.ACEInherited | audit
			out = append(out, io)
		}
	}
	return out, len(out) > 0
}

// effective is a's effective copy on a child: no inheritance flags,
// CREATOR SIDs substituted, generic rights mapped.
func effective(a smb2.ACE, owner, group string, audit uint8) smb2.ACE {
	switch a.SID {
	case SIDCreatorOwner:
		a.SID = owner
	case SIDCreatorGroup:
		a.SID = group
	}
	a.Mask = smb2.MapGenericAccess(a.Mask)
	a.Flags = smb2.ACEInherited | audit
	a.Body = nil
	return a
}

// Default returns the descriptor of a file nothing was inherited by:
// owner and group as given, DACL owner full control, SYSTEM and
// Administrators full control, Everyone the rights in others (full
// control on a writable share, read and execute on a read-only one).
func Default(owner, group string, others uint32) *smb2.SecurityDescriptor {
	aces := []smb2.ACE{
		{Type: smb2.ACEAccessAllowed, Mask: smb2.FileAllAccess, SID: owner},
		{Type: smb2.ACEAccessAllowed, Mask: smb2.FileAllAccess, SID: SIDSystem},
		{Type: smb2.ACEAccessAllowed, Mask: smb2.FileAllAccess, SID: SIDAdmins},
	}
	if others != 0 {
		aces = append(aces, smb2.ACE{Type: smb2.ACEAccessAllowed, Mask: others, SID: SIDEveryone})
	}
	return &smb2.SecurityDescriptor{Owner: owner, Group: group, DACL: &smb2.ACL{Revision: 2, ACEs: aces}}
}

// New computes the descriptor of a file or directory being created by
// owner (primary group group) in a directory whose descriptor is parent
// (nil when unknown). creator is the descriptor the client sent with the
// CREATE (SecD context), or nil. The owner and group come from creator
// when it has them; the DACL is creator's DACL if it has one, else the
// ACEs inherited from parent, else Default's. The SACL is creator's.
func New(parent, creator *smb2.SecurityDescriptor, isDir bool, owner, group string, others uint32) *smb2.SecurityDescriptor {
	sd := &smb2.SecurityDescriptor{Owner: owner, Group: group}
	if creator != nil {
		if creator.Owner != "" {
			sd.Owner = creator.Owner
		}
		if creator.Group != "" {
			sd.Group = creator.Group
		}
		sd.SACL = creator.SACL
		if creator.SACL != nil {
			sd.Control |= storedControl(creator.Control, false)
		}
		if creator.DACL != nil || creator.NullDACL {
			sd.DACL, sd.NullDACL = MapExplicit(creator.DACL), creator.NullDACL
			sd.Control |= storedControl(creator.Control, true)
			return sd
		}
	}
	if parent != nil {
		auto := parent.Control&smb2.SEDACLAutoInherited != 0
		if aces, ok := InheritACL(parent.DACL, isDir, auto, sd.Owner, sd.Group); ok {
			sd.DACL = &smb2.ACL{Revision: parent.DACL.Revision, ACEs: aces}
			if parent.Control&smb2.SEDACLAutoInherited != 0 {
				sd.Control |= smb2.SEDACLAutoInherited
			}
			return sd
		}
	}
	def := Default(sd.Owner, sd.Group, others)
	sd.DACL = def.DACL
	return sd
}

// Merge returns the descriptor stored after a SET_INFO of upd for the
// parts named in info (smb2.*SecurityInformation): those are taken from
// upd, the others kept from old. A DACL part replaces the DACL and its
// PROTECTED/AUTO_INHERITED control bits.
func Merge(old, upd *smb2.SecurityDescriptor, info uint32) *smb2.SecurityDescriptor {
	sd := *old
	if info&smb2.OwnerSecurityInformation != 0 && upd.Owner != "" {
		sd.Owner = upd.Owner
	}
	if info&smb2.GroupSecurityInformation != 0 && upd.Group != "" {
		sd.Group = upd.Group
	}
	const daclBits = smb2.SEDACLProtected | smb2.SEDACLAutoInherited | smb2.SEDACLDefaulted
	const saclBits = smb2.SESACLProtected | smb2.SESACLAutoInherited | smb2.SESACLDefaulted
	if info&smb2.DACLSecurityInformation != 0 {
		sd.DACL, sd.NullDACL = MapExplicit(upd.DACL), upd.NullDACL
		if upd.DACL == nil && !upd.NullDACL {
			sd.NullDACL = true // DACL_SECURITY_INFORMATION without a DACL: none, everyone may
		}
		sd.Control = sd.Control&^daclBits | storedControl(upd.Control, true)
	}
	if info&smb2.SACLSecurityInformation != 0 {
		sd.SACL = upd.SACL
		sd.Control = sd.Control&^saclBits | storedControl(upd.Control, false)
	}
	return &sd
}

// storedControl returns the DACL (or SACL) control bits kept from a
// descriptor a client sets: PROTECTED as given, AUTO_INHERITED only when
// AUTO_INHERIT_REQ asks for it too; the REQ bit itself is never stored
// (as Windows does, smbtorture smb2.acls INHERITFLAGS).
func storedControl(c uint16, dacl bool) uint16 {
	prot, inh, req := smb2.SEDACLProtected, smb2.SEDACLAutoInherited, smb2.SEDACLAutoInheritReq
	if !dacl {
		prot, inh, req = smb2.SESACLProtected, smb2.SESACLAutoInherited, smb2.SESACLAutoInheritReq
	}
	out := c & prot
	if c&inh != 0 && c&req != 0 {
		out |= inh
	}
	return out
}

// Filter returns the parts of sd a QUERY_INFO with additional
// information info asks for.
func Filter(sd *smb2.SecurityDescriptor, info uint32) *smb2.SecurityDescriptor {
	out := &smb2.SecurityDescriptor{Control: sd.Control &^ (smb2.SEDACLProtected | smb2.SEDACLAutoInherited |
		smb2.SESACLProtected | smb2.SESACLAutoInherited | smb2.SEDACLDefaulted | smb2.SESACLDefaulted)}
	if info&smb2.OwnerSecurityInformation != 0 {
		out.Owner = sd.Owner
	}
	if info&smb2.GroupSecurityInformation != 0 {
		out.Group = sd.Group
	}
	if info&smb2.DACLSecurityInformation != 0 {
		out.DACL, out.NullDACL = sd.DACL, sd.NullDACL
		out.Control |= sd.Control & (smb2.SEDACLProtected | smb2.SEDACLAutoInherited | smb2.SEDACLDefaulted)
	}
	if info&smb2.SACLSecurityInformation != 0 {
		out.SACL = sd.SACL
		out.Control |= sd.Control & (smb2.SESACLProtected | smb2.SESACLAutoInherited | smb2.SESACLDefaulted)
	}
	return out
}

// MapExplicit returns acl with the GENERIC_* bits of every ACE that
// applies to the object itself (not inherit-only) mapped to file rights,
// as Windows stores a DACL it is given. Inherit-only ACEs keep theirs
// for the children to map.
func MapExplicit(in *smb2.ACL) *smb2.ACL {
	if in == nil {
		return nil
	}
	out := &smb2.ACL{Revision: in.Revision, ACEs: make([]smb2.ACE, len(in.ACEs))}
	copy(out.ACEs, in.ACEs)
	for i, a := range out.ACEs {
		if a.Flags&smb2.ACEInheritOnly == 0 && (a.Type == smb2.ACEAccessAllowed || a.Type == smb2.ACEAccessDenied || a.Type == smb2.ACESystemAudit) {
			out.ACEs[i].Mask = smb2.MapGenericAccess(a.Mask)
		}
	}
	return out
}
