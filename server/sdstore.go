package server

import (
	"errors"
	"io/fs"
	"os"
	"reflect"
	"strings"
	"syscall"

	"github.com/zerosmb/zerosmb/internal/acl"
	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs"
)

// Stored security descriptors. A file's descriptor is kept in the
// backend extended attribute sdXattr (osfs: user.zerosmb.ntacl) as one
// format byte followed by the self-relative descriptor, written with one
// setxattr so it is replaced whole or not at all. A descriptor larger
// than the file system's attribute limit (ext4: about 4 KiB) goes to the
// backend's sidecar store (vfs.Streamer: the blob sdMeta, written to a
// temporary file and renamed into place) and the attribute holds only
// the one byte sdFormatSidecar pointing there; the attribute decides, so
// a crash between the two writes leaves the old descriptor or the new
// one. Where the backend has no extended attributes the descriptor is
// kept in memory with the path's other metadata (meta.go) and lost at
// restart. Streams share their base file's descriptor. A file with no
// stored descriptor (made outside the server) is described by
// defaultSD.

const (
	sdXattr  = "ntacl"
	sdFormat = 1
	// sdFormatDefault stores only the owner and group SIDs of a file
	// whose descriptor is the share's default one: small enough to stay
	// inside an ext4 inode, so a new file allocates no xattr block (which
	// would show in its allocation size).
	sdFormatDefault = 2
	// sdFormatSidecar is the whole attribute of a file whose descriptor
	// is the sidecar blob sdMeta.
	sdFormatSidecar = 3
	sdMeta          = "ntacl"
)

// storedSD returns the descriptor stored for (share, p), or nil. A value
// that does not decode is reported and replaced by an empty DACL owned
// by Administrators, so only share admins can open the file to fix it.
func (c *conn) storedSD(share *Share, p string) *smb2.SecurityDescriptor {
	return c.storedSDOf(share, p, nil)
}

// storedSDOf is storedSD for a file whose information fi (nil: unknown)
// this request has just read: the xattr is read through the cache
// (sdcache.go).
func (c *conn) storedSDOf(share *Share, p string, fi fs.FileInfo) *smb2.SecurityDescriptor {
	raw := c.srv.nodes.ns.getMeta(share, p).sd // in memory: no xattrs, or a create in progress
	if raw == nil {
		raw = c.cachedXattrSD(share, p, fi)
	}
	return c.decodeStoredSD(share, p, raw)
}

// decodeStoredSD decodes the stored descriptor raw of (share, p) as
// storedSD does; nil raw is nil.
func (c *conn) decodeStoredSD(share *Share, p string, raw []byte) *smb2.SecurityDescriptor {
	if raw == nil {
		return nil
	}
	if len(raw) > 1 && raw[0] == sdFormat {
		if sd, err := smb2.DecodeSecurityDescriptor(raw[1:]); err == nil {
			return sd
		}
	}
	if sd := decodeDefaultSD(share, raw); sd != nil {
		return sd
	}
	c.log.Warn("stored security descriptor is corrupt; only admins may open the file", "share", share.Name, "path", p)
	return &smb2.SecurityDescriptor{Owner: acl.SIDAdmins, Group: acl.SIDAdmins, DACL: &smb2.ACL{Revision: 2}}
}

// effectiveSD is the stored descriptor of (share, p) or the default one.
func (c *conn) effectiveSD(share *Share, p string) *smb2.SecurityDescriptor {
	return c.effectiveSDOf(share, p, nil)
}

// effectiveSDOf is effectiveSD with the file's fresh information fi, as
// storedSDOf.
func (c *conn) effectiveSDOf(share *Share, p string, fi fs.FileInfo) *smb2.SecurityDescriptor {
	if sd := c.storedSDOf(share, p, fi); sd != nil {
		return sd
	}
	return defaultSD(share, p)
}

// defaultSD describes a file the server has no descriptor for (made
// outside the server, or before it kept descriptors): owned by
// Administrators, full control for SYSTEM and Administrators, and for
// Everyone full control on a writable share (as before zerosmb had
// ACLs: such files stay usable by every user the share admits), read
// and execute on a read-only one. Set an ACL to protect them.
func defaultSD(share *Share, p string) *smb2.SecurityDescriptor {
	if !share.ReadOnly {
		return acl.Default(acl.SIDAdmins, smb2.SIDUsers, smb2.FileAllAccess)
	}
	return acl.Default(acl.SIDAdmins, smb2.SIDUsers, othersAccess(share))
}

// othersAccess is what Everyone gets in the default descriptor of a file
// the server creates with nothing to inherit: on a writable share
// everything but changing the ACL or owner and deleting other people's
// files through the directory (FILE_DELETE_CHILD, which would override a
// DENY DELETE on the file), read and execute on a read-only one.
func othersAccess(share *Share) uint32 {
	if share.ReadOnly {
		return smb2.FileGenericRead | smb2.FileGenericExecute
	}
	return smb2.FileAllAccess &^ (smb2.FileDeleteChild | smb2.WriteDAC | smb2.WriteOwner)
}

// storeSD writes sd as the descriptor of (share, p).
func (c *conn) storeSD(share *Share, p string, sd *smb2.SecurityDescriptor) smb2.Status {
	raw, st := encodeSD(share, sd)
	if st != smb2.StatusSuccess {
		return st
	}
	f, err := share.FS.OpenFile(vfsName(p), os.O_RDONLY, 0)
	if err != nil {
		return statusFromError(err)
	}
	defer f.Close()
	if xf, ok := f.(vfs.XattrFile); ok {
		defer c.srv.nodes.ns.sdWritten(share, p) // once written (sdcache.go)
		err = xf.Setxattr(sdXattr, raw)
		sc, _ := f.(vfs.Streamer)
		switch {
		case err == nil:
			if sc != nil {
				sc.RemoveMeta(sdMeta) // an older large one, if any
			}
			c.srv.nodes.ns.updateMeta(share, p, func(m *pathMeta) { m.sd = nil })
			return smb2.StatusSuccess
		case errors.Is(err, vfs.ErrXattrUnsupported):
		case errors.Is(err, syscall.E2BIG), errors.Is(err, syscall.ERANGE), errors.Is(err, syscall.ENOSPC):
			if sc == nil {
				return smb2.StatusInsufficientResources // too large for this file system's attributes
			}
			return c.storeSidecarSD(share, p, xf, sc, raw)
		default:
			return statusFromError(err)
		}
	}
	c.srv.nodes.ns.updateMeta(share, p, func(m *pathMeta) { m.sd = raw })
	return smb2.StatusSuccess
}

// storeSidecarSD stores raw, too large for the attribute, as the sidecar
// blob sdMeta and points the attribute at it.
func (c *conn) storeSidecarSD(share *Share, p string, xf vfs.XattrFile, sc vfs.Streamer, raw []byte) smb2.Status {
	if err := sc.WriteMeta(sdMeta, raw); err != nil {
		c.log.Warn("storing a large security descriptor failed", "share", share.Name, "path", p, "err", err)
		return statusFromError(err)
	}
	if err := xf.Setxattr(sdXattr, []byte{sdFormatSidecar}); err != nil {
		return statusFromError(err)
	}
	c.srv.nodes.ns.updateMeta(share, p, func(m *pathMeta) { m.sd = nil })
	return smb2.StatusSuccess
}

// encodeDefaultSD returns the sdFormatDefault encoding of sd if sd is the
// share's default descriptor for its owner and group, else nil: format
// byte, owner SID length, owner SID, then the group SID unless it is the
// owner's domain's Users group (RID 513). Kept under 48 bytes, which ext4
// holds inside the inode.
func encodeDefaultSD(share *Share, sd *smb2.SecurityDescriptor) []byte {
	if sd.Owner == "" || sd.Group == "" || !reflect.DeepEqual(sd, acl.Default(sd.Owner, sd.Group, othersAccess(share))) {
		return nil
	}
	o, err1 := smb2.EncodeSID(sd.Owner)
	g, err2 := smb2.EncodeSID(sd.Group)
	if err1 != nil || err2 != nil {
		return nil
	}
	if sd.Group == domainUsersOf(sd.Owner) {
		g = nil
	}
	return append(append([]byte{sdFormatDefault, byte(len(o))}, o...), g...)
}

// domainUsersOf returns the Users group (RID 513) of sid's domain.
func domainUsersOf(sid string) string {
	if i := strings.LastIndexByte(sid, '-'); i > 0 {
		return sid[:i] + "-513"
	}
	return ""
}

// decodeDefaultSD reverses encodeDefaultSD; nil if raw is not one.
func decodeDefaultSD(share *Share, raw []byte) *smb2.SecurityDescriptor {
	if len(raw) < 2 || raw[0] != sdFormatDefault || int(raw[1]) > len(raw)-2 {
		return nil
	}
	on := int(raw[1])
	owner, n, err := smb2.DecodeSID(raw[2 : 2+on])
	if err != nil || n != on {
		return nil
	}
	group := domainUsersOf(owner)
	if rest := raw[2+on:]; len(rest) > 0 {
		if group, n, err = smb2.DecodeSID(rest); err != nil || n != len(rest) {
			return nil
		}
	}
	return acl.Default(owner, group, othersAccess(share))
}

// encodeSD is the stored form of sd.
func encodeSD(share *Share, sd *smb2.SecurityDescriptor) ([]byte, smb2.Status) {
	if raw := encodeDefaultSD(share, sd); raw != nil {
		return raw, smb2.StatusSuccess
	}
	raw, err := sd.Append([]byte{sdFormat})
	if err != nil {
		return nil, smb2.StatusInvalidParameter // larger than MaxSecurityDescriptorSize or a bad SID
	}
	return raw, smb2.StatusSuccess
}

// pendingSD records the descriptor of a file about to be created in
// memory, where storedSD looks first: a CREATE of the same name racing
// with this one sees it from the moment the file exists, before
// storeNewSD moves it into the file's xattr.
func (c *conn) pendingSD(share *Share, p string, sd *smb2.SecurityDescriptor) {
	if sd == nil {
		return
	}
	if raw, st := encodeSD(share, sd); st == smb2.StatusSuccess {
		c.srv.nodes.ns.updateMeta(share, p, func(m *pathMeta) { m.sd = raw })
	}
}

// dropPendingSD forgets a pendingSD whose create failed.
func (c *conn) dropPendingSD(share *Share, p string, sd *smb2.SecurityDescriptor) {
	if sd != nil {
		c.srv.nodes.ns.updateMeta(share, p, func(m *pathMeta) { m.sd = nil })
	}
}

// xattrSD reads the raw stored descriptor of (share, p) from its xattr;
// nil if there is none or the backend has no xattrs.
func xattrSD(share *Share, p string) []byte {
	f, err := share.FS.OpenFile(vfsName(p), os.O_RDONLY, 0)
	if err != nil {
		return nil
	}
	defer f.Close()
	return fileSD(f)
}

// fileSD reads the raw stored descriptor of the open file f: its
// attribute, or the sidecar blob the attribute points to; nil if none.
// A pointer to a missing blob reads as a corrupt descriptor (only admins
// may open the file), not as none.
func fileSD(f vfs.File) []byte {
	xf, ok := f.(vfs.XattrFile)
	if !ok {
		return nil
	}
	raw, err := xf.Getxattr(sdXattr)
	if err != nil {
		return nil
	}
	if len(raw) != 1 || raw[0] != sdFormatSidecar {
		return raw
	}
	if sc, ok := f.(vfs.Streamer); ok {
		if blob, err := sc.ReadMeta(sdMeta); err == nil {
			return blob
		}
	}
	return raw
}
