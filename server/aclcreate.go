package server

import (
	"io/fs"

	"github.com/zerosmb/zerosmb/internal/acl"
	"github.com/zerosmb/zerosmb/smb2"
)

// Access checks of CREATE against security descriptors (internal/acl):
// an existing file's descriptor decides the access its open gets (DELETE
// also through the parent's FILE_DELETE_CHILD); creating needs
// FILE_ADD_FILE or FILE_ADD_SUBDIRECTORY on the parent and gives the
// creator the access it asked for; the new file's descriptor comes from
// the SecD create context, else the parent's inheritable ACEs, else the
// default.

// aclResult is the outcome of a CREATE's access check.
type aclResult struct {
	access    uint32                   // granted to the open
	maxAccess uint32                   // answered in the MxAc create context
	newSD     *smb2.SecurityDescriptor // for a file being created, else nil
}

// checkCreateACL checks the CREATE of share path p (exists tells whether
// it does; action is the CreateAction createAction decided). fi, if not
// nil, is the existing file's information this request just read, for
// the descriptor cache (sdcache.go).
func (c *conn) checkCreateACL(r *request, req *smb2.CreateRequest, p string, exists bool, fi fs.FileInfo, isDir bool, action uint32) (aclResult, smb2.Status) {
	t := r.tree
	if action != smb2.FileOpened && t.readOnly {
		return aclResult{}, smb2.StatusAccessDenied
	}
	if !exists {
		return c.checkNewFile(r, req, p, isDir)
	}
	granted := c.grantedOnInfo(t, p, fi)
	access, ok := acl.Check(req.DesiredAccess, granted)
	switch {
	case !ok:
		c.log.Debug("CREATE refused by the file's ACL", "path", p, "desired", req.DesiredAccess, "granted", granted)
		return aclResult{}, smb2.StatusAccessDenied
	case req.CreateOptions&smb2.FileDeleteOnClose != 0 && access&accessDelete == 0:
		return aclResult{}, smb2.StatusAccessDenied
	case action == smb2.FileSuperseded && granted&accessDelete == 0,
		action == smb2.FileOverwritten && granted&fileWriteData == 0,
		action == smb2.FileSuperseded && granted&fileWriteData == 0:
		return aclResult{}, smb2.StatusAccessDenied
	}
	return aclResult{access: access, maxAccess: granted}, smb2.StatusSuccess
}

// grantedOn returns every right the tree's token has on existing path p,
// bounded by the tree's maximal access.
func (c *conn) grantedOn(t *tree, p string) uint32 {
	return c.grantedOnInfo(t, p, nil)
}

// grantedOnInfo is grantedOn for a file whose information fi this
// request has just read (effectiveSDOf).
func (c *conn) grantedOnInfo(t *tree, p string, fi fs.FileInfo) uint32 {
	id := t.rights()
	granted := acl.Granted(c.effectiveSDOf(t.share, p, fi), id.tok)
	if p != "" && granted&(accessDelete|smb2.FileReadAttributes) != accessDelete|smb2.FileReadAttributes {
		dir, _ := parentPath(p)
		var dfi fs.FileInfo
		if fi != nil {
			// A stat is cheaper than the open that reading the
			// parent's descriptor uncached takes (sdcache.go).
			dfi, _ = t.share.FS.Stat(vfsName(dir))
		}
		granted |= inheritedRights(acl.Granted(c.effectiveSDOf(t.share, dir, dfi), id.tok))
	}
	return granted & id.maxAccess
}

// inheritedRights are the rights on a file that its directory's grant
// gives (MS-FSA 2.1.5.1.2.1): DELETE through the parent's
// FILE_DELETE_CHILD, FILE_READ_ATTRIBUTES through its FILE_LIST_DIRECTORY.
func inheritedRights(parent uint32) uint32 {
	var r uint32
	if parent&fileDeleteChild != 0 {
		r |= accessDelete
	}
	if parent&smb2.FileListDirectory != 0 {
		r |= smb2.FileReadAttributes
	}
	return r
}

// checkNewFile checks the creation of p and computes its descriptor.
func (c *conn) checkNewFile(r *request, req *smb2.CreateRequest, p string, isDir bool) (aclResult, smb2.Status) {
	t := r.tree
	dir, _ := parentPath(p)
	parent := c.storedSD(t.share, dir)
	pe := parent
	if pe == nil {
		pe = defaultSD(t.share, dir)
	}
	need := smb2.FileAddFile
	if isDir {
		need = smb2.FileAddSubdirectory
	}
	id := t.rights()
	if acl.Granted(pe, id.tok)&id.maxAccess&need == 0 {
		c.log.Debug("CREATE refused by the parent's ACL", "path", p, "need", need)
		return aclResult{}, smb2.StatusAccessDenied
	}
	creator, st := c.creatorSD(req, id.tok)
	if st != smb2.StatusSuccess {
		return aclResult{}, st
	}
	sd := acl.New(parent, creator, isDir, id.tok.User(), c.primaryGroup(r.sess), othersAccess(t.share))
	access, ok := acl.Check(req.DesiredAccess, id.maxAccess)
	if !ok {
		return aclResult{}, smb2.StatusAccessDenied
	}
	return aclResult{access: access, maxAccess: acl.Granted(sd, id.tok)&id.maxAccess | access, newSD: sd}, smb2.StatusSuccess
}

// creatorSD decodes the SecD create context, if any. Setting an owner
// the token does not hold needs admin rights (SeRestorePrivilege), and
// so does a SACL (SeSecurityPrivilege).
func (c *conn) creatorSD(req *smb2.CreateRequest, tok *acl.Token) (*smb2.SecurityDescriptor, smb2.Status) {
	b, ok := req.Context(smb2.CreateContextSecDesc)
	if !ok {
		return nil, smb2.StatusSuccess
	}
	sd, err := smb2.DecodeSecurityDescriptor(b)
	switch {
	case err != nil:
		return nil, smb2.StatusInvalidParameter
	case sd.SACL != nil && !tok.Admin:
		return nil, smb2.StatusPrivilegeNotHeld
	case sd.Owner != "" && !tok.Has(sd.Owner) && !tok.Admin:
		return nil, smb2.StatusInvalidOwner
	}
	return sd, smb2.StatusSuccess
}

// primaryGroup is the group SID of the files a session creates.
func (c *conn) primaryGroup(s *session) string {
	if s.anonymous || s.guest {
		return smb2.SIDUsers
	}
	return c.srv.users().DomainSID() + "-513"
}

// storeNewSD records the descriptor computed for a file just created.
func (c *conn) storeNewSD(o *open, sd *smb2.SecurityDescriptor) smb2.Status {
	if sd == nil {
		return smb2.StatusSuccess
	}
	return c.storeSD(o.tree.share, o.name, sd)
}

// checkStreamACL checks the open of a named stream of p against the
// base file's descriptor (a missing base was just created by the
// stream's CREATE and gets the access asked for).
func (c *conn) checkStreamACL(r *request, req *smb2.CreateRequest, p string) (aclResult, smb2.Status) {
	granted := c.grantedOn(r.tree, p)
	access, ok := acl.Check(req.DesiredAccess, granted)
	if !ok {
		return aclResult{}, smb2.StatusAccessDenied
	}
	return aclResult{access: access, maxAccess: granted}, smb2.StatusSuccess
}

// checkRenameACL checks a rename of o to newp against the descriptors:
// moving into another directory needs FILE_ADD_FILE (a directory:
// FILE_ADD_SUBDIRECTORY) there, and replacing an existing file needs
// DELETE on it (or FILE_DELETE_CHILD on its directory). DELETE on the
// source was checked when o was opened.
func (c *conn) checkRenameACL(o *open, newp string, replace bool) smb2.Status {
	t := o.tree
	oldDir, _ := parentPath(o.path())
	newDir, _ := parentPath(newp)
	if oldDir != newDir {
		need := smb2.FileAddFile
		if o.isDir {
			need = smb2.FileAddSubdirectory
		}
		id := t.rights()
		if acl.Granted(c.effectiveSD(t.share, newDir), id.tok)&id.maxAccess&need == 0 {
			return smb2.StatusAccessDenied
		}
	}
	if replace && c.grantedOn(t, newp)&accessDelete == 0 {
		return smb2.StatusAccessDenied
	}
	return smb2.StatusSuccess
}
