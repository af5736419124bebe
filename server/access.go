package server

import "github.com/zerosmb/zerosmb/smb2"

// Access checks for CREATE and the handle-based commands. zerosmb has no
// ACLs: what a user may do is bounded by the tree's maximal access
// (read-only shares) and by the access each open was granted.

const (
	// reservedAccessBits are access-mask bits no request may set
	// (MS-SMB2 3.3.5.9).
	reservedAccessBits uint32 = 0x0CE0FE00
	// dataAccess are the rights that take part in share-mode checks.
	dataAccess = fileReadData | fileWriteData | fileAppendData | fileExecute | accessDelete
	// modifyAccess are the rights a read-only share never grants.
	modifyAccess = fileWriteData | fileAppendData | fileWriteEA | fileWriteAttributes |
		fileDeleteChild | accessDelete | writeDAC | writeOwner
)

// grantAccess maps a CREATE DesiredAccess to the access granted to the
// open: GENERIC_* bits are expanded, MAXIMUM_ALLOWED becomes maxAccess,
// and anything beyond maxAccess is refused with STATUS_ACCESS_DENIED.
func grantAccess(desired, maxAccess uint32) (uint32, smb2.Status) {
	if desired&reservedAccessBits != 0 {
		return 0, smb2.StatusAccessDenied
	}
	if desired&smb2.AccessSystemSec != 0 && maxAccess&smb2.AccessSystemSec == 0 {
		return 0, smb2.StatusPrivilegeNotHeld // only share admins hold SeSecurityPrivilege
	}
	want := smb2.MapGenericAccess(desired)
	if want&maximumAllowed != 0 {
		want = want&^maximumAllowed | maxAccess
	}
	if want&^maxAccess != 0 {
		return 0, smb2.StatusAccessDenied
	}
	return want, smb2.StatusSuccess
}

// shareConflict reports whether an open asking for access with share
// mode share conflicts with an existing open (MS-FSA 2.1.5.1.2): each
// side must allow what the other one does with the data.
func shareConflict(oldAccess, oldShare, access, share uint32) bool {
	if oldAccess&dataAccess == 0 || access&dataAccess == 0 {
		return false
	}
	denied := func(acc, sh uint32) bool {
		return acc&(fileReadData|fileExecute) != 0 && sh&smb2.FileShareRead == 0 ||
			acc&(fileWriteData|fileAppendData) != 0 && sh&smb2.FileShareWrite == 0 ||
			acc&accessDelete != 0 && sh&smb2.FileShareDelete == 0
	}
	return denied(oldAccess, share) || denied(access, oldShare)
}

// checkShareModes tests a new open against every open of the node. The
// caller holds n.mu.
func (n *node) checkShareModes(access, share uint32) smb2.Status {
	for _, x := range n.opens {
		if shareConflict(x.access, x.shareAccess, access, share) {
			return smb2.StatusSharingViolation
		}
	}
	return smb2.StatusSuccess
}

// has reports whether the open was granted any of the rights in mask.
func (o *open) has(mask uint32) bool { return o.access&mask != 0 }

// validateCreate checks the CREATE fields that do not depend on the file
// (MS-SMB2 3.3.5.9, MS-FSA 2.1.5.1).
func validateCreate(req *smb2.CreateRequest) smb2.Status {
	opts := req.CreateOptions
	switch {
	case req.ImpersonationLevel > smb2.ImpersonationDelegate:
		return smb2.StatusBadImpersonationLevel
	case req.CreateDisposition > smb2.FileOverwriteIf:
		return smb2.StatusInvalidParameter
	case opts&smb2.FileDirectoryFile != 0 && opts&smb2.FileNonDirectoryFile != 0:
		return smb2.StatusInvalidParameter
	case opts&reservedCreateOptions != 0:
		return smb2.StatusInvalidParameter
	case opts&smb2.FileDirectoryFile != 0 && req.FileAttributes&smb2.FileAttributeTemporary != 0:
		return smb2.StatusInvalidParameter
	case opts&smb2.FileDirectoryFile != 0 && req.CreateDisposition != smb2.FileCreate &&
		req.CreateDisposition != smb2.FileOpen && req.CreateDisposition != smb2.FileOpenIf:
		return smb2.StatusInvalidParameter
	case opts&smb2.FileSynchronousIOAlert != 0 && opts&smb2.FileSynchronousIONonalert != 0:
		return smb2.StatusInvalidParameter
	case opts&smb2.FileDeleteOnClose != 0 && smb2.MapGenericAccess(req.DesiredAccess)&(accessDelete|maximumAllowed) == 0:
		return smb2.StatusInvalidParameter
	case opts&(smb2.FileReserveOpfilter|smb2.FileOpenByFileID|fileCreateTreeConnection) != 0:
		return smb2.StatusNotSupported
	case req.FileAttributes&^validCreateAttrs != 0:
		return smb2.StatusInvalidParameter
	case req.RequestedOplockLevel != smb2.OplockLevelNone && req.RequestedOplockLevel != smb2.OplockLevelII &&
		req.RequestedOplockLevel != smb2.OplockLevelExclusive && req.RequestedOplockLevel != smb2.OplockLevelBatch &&
		req.RequestedOplockLevel != smb2.OplockLevelLease:
		return smb2.StatusInvalidParameter
	}
	return smb2.StatusSuccess
}

// fileCreateTreeConnection is the FILE_CREATE_TREE_CONNECTION create
// option (MS-SMB2 2.2.13), which servers do not support.
const fileCreateTreeConnection uint32 = 0x00000080

// reservedCreateOptions are CreateOptions bits no request may set
// (MS-SMB2 2.2.13: the top eight bits are reserved).
const reservedCreateOptions uint32 = 0xFF000000

// validCreateAttrs are the attributes a CREATE may ask for.
const validCreateAttrs = 0x00007FB7 | smb2.FileAttributeIntegrityStream | smb2.FileAttributeNoScrubData

// settableAttrs are the attribute bits zerosmb remembers for a file.
const settableAttrs = smb2.FileAttributeReadonly | smb2.FileAttributeHidden | smb2.FileAttributeSystem |
	smb2.FileAttributeArchive | smb2.FileAttributeTemporary | smb2.FileAttributeOffline |
	smb2.FileAttributeNotContentIndexed
