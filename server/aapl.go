package server

import (
	"os"
	"path"
	"slices"
	"strings"

	"github.com/zerosmb/zerosmb/internal/acl"
	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs"
)

// Apple's SMB2 extensions (the AAPL create context; layouts in
// smb2/aapl.go). A macOS client sends a server query on its first CREATE
// of a tree; zerosmb answers with:
//
//   - server capabilities: READDIR_ATTR when the client offers it (then
//     every FileIdBothDirectoryInformation listing of the connection
//     carries max access, resource fork size and compressed FinderInfo,
//     so Finder needs no CREATE + QUERY_INFO per file). Neither UNIX-based
//     modes nor NFS ACEs are offered (zerosmb keeps no UNIX modes per SMB
//     user). OSX copyfile is offered: a COPYCHUNK with no chunks then
//     copies the whole source file and all its named streams (Finder
//     tags, resource fork, AfpInfo) to the target, in the request, with
//     no size bound (it is one server-side copy of a file the client may
//     read anyway); its response counts the data bytes copied (mod 2^32).
//   - volume capabilities: FULL_SYNC (FLUSH is a real fsync(2), which on
//     Linux also flushes the disk's write cache, as F_FULLFSYNC asks);
//     never CASE_SENSITIVE (names are resolved case-insensitively) and
//     never RESOLVE_ID (the resolve-ID command is not implemented).
//   - the model, Config.AppleModel (default DefaultAppleModel).
//
// Only the server query is answered; any other command, or a context
// that is not exactly 24 bytes, fails the CREATE with
// STATUS_INVALID_PARAMETER, as Samba's vfs_fruit does.

// DefaultAppleModel is the model answered to Apple's server query and, by
// the zerosmb command, advertised in _device-info._tcp: a rack-mounted
// server icon in Finder.
const DefaultAppleModel = "RackMac"

// Stream names with a meaning for Apple clients (matched
// case-insensitively, stored as the client spelled them).
const (
	afpInfoStream     = "AFP_AfpInfo"
	afpResourceStream = "AFP_Resource"
)

// aaplQuery returns the AAPL server query of req, if it has one to
// answer. A malformed or unsupported one is STATUS_INVALID_PARAMETER.
func (c *conn) aaplQuery(req *smb2.CreateRequest) (*smb2.AAPLQuery, smb2.Status) {
	if c.srv.cfg.NoAppleExtensions {
		return nil, smb2.StatusSuccess
	}
	b, ok := req.Context(smb2.CreateContextAAPL)
	if !ok {
		return nil, smb2.StatusSuccess
	}
	q, err := smb2.DecodeAAPLQuery(b)
	if err != nil || q.Command != smb2.AAPLServerQuery {
		return nil, smb2.StatusInvalidParameter
	}
	return &q, smb2.StatusSuccess
}

// aaplReply answers q for share and, when READDIR_ATTR is granted,
// switches the connection's listings to Apple's entries.
func (c *conn) aaplReply(share *Share, q *smb2.AAPLQuery) smb2.CreateContext {
	r := smb2.AAPLReply{Bitmap: q.Bitmap & (smb2.AAPLServerCaps | smb2.AAPLVolumeCaps | smb2.AAPLModelInfo)}
	if r.Bitmap&smb2.AAPLServerCaps != 0 {
		if q.ClientCaps&smb2.AAPLSupportsReadDirAttr != 0 {
			r.ServerCaps |= smb2.AAPLSupportsReadDirAttr
			c.aaplReaddirAttr.Store(true)
		}
		r.ServerCaps |= smb2.AAPLSupportsOSXCopyfile
		c.aaplCopyfile.Store(true)
	}
	r.VolumeCaps = smb2.AAPLFullSync
	r.Model = c.srv.cfg.AppleModel
	return smb2.CreateContext{Name: smb2.CreateContextAAPL, Data: r.AppendAAPLReply(nil)}
}

// aaplDirInfo is the READDIR_ATTR metadata of entry p (a regular file
// when regular) listed through tree t: max access, resource fork size and
// compressed FinderInfo, read through one open of the entry (its
// descriptor and streams are attributes of it). parent is the tree's
// grant on the listed directory, for the rights it passes on (see
// grantedOn). An entry that cannot be opened gets the max access alone.
func (c *conn) aaplDirInfo(t *tree, p string, regular bool, btime int64, parent uint32) *smb2.AAPLDirInfo {
	a := &smb2.AAPLDirInfo{FinderInfo: smb2.CompressFinderInfo(nil, regular, smb2.AAPLDateStart)}
	f, err := t.share.FS.OpenFile(vfsName(p), os.O_RDONLY, 0)
	if err != nil {
		a.MaxAccess = c.grantedOn(t, p)
		return a
	}
	defer f.Close()
	x, _ := f.(vfs.XattrFile)
	raw := c.srv.nodes.ns.getMeta(t.share, p).sd
	if raw == nil {
		raw = fileSD(f)
	}
	sd := c.decodeStoredSD(t.share, p, raw)
	if sd == nil {
		sd = defaultSD(t.share, p)
	}
	id := t.rights()
	a.MaxAccess = (acl.Granted(sd, id.tok) | inheritedRights(parent)) & id.maxAccess
	if regular {
		a.ResourceForkSize = resourceForkSize(f)
	}
	if x == nil {
		return a
	}
	names, err := listStreams(x)
	if err != nil {
		return a
	}
	if i := slices.IndexFunc(names, isAfpInfo); i >= 0 {
		v, err := x.Getxattr(streamXattrPrefix + names[i])
		if ai, ok := smb2.DecodeAfpInfo(v); err == nil && ok {
			a.FinderInfo = smb2.CompressFinderInfo(ai.FinderInfo[:], regular, appleDate(btime))
		}
	}
	return a
}

// appleDate converts Unix seconds to Apple's seconds since 2000.
func appleDate(unix int64) uint32 { return uint32(unix - smb2.AAPLDateDelta) }

func isAfpInfo(name string) bool     { return strings.EqualFold(name, afpInfoStream) }
func isAfpResource(name string) bool { return strings.EqualFold(name, afpResourceStream) }

// aaplListing is the per-request state of a READDIR_ATTR listing: the
// tree's grant on the listed directory, looked up once.
type aaplListing struct {
	parent    uint32
	parentSet bool
}

// aaplEntry adds the READDIR_ATTR metadata to e, listed in o's directory,
// when the connection negotiated it and the class carries it.
func (c *conn) aaplEntry(o *open, class uint8, e *smb2.DirEntry, l *aaplListing) {
	if class != smb2.FileIDBothDirectoryInformation || !c.aaplReaddirAttr.Load() {
		return
	}
	isDir := e.FileAttributes&smb2.FileAttributeDirectory != 0
	btime := smb2.TimeFromFileTime(e.CreationTime).Unix()
	switch e.Name {
	case ".", "..":
		p := o.name
		if e.Name == ".." && o.name != "" {
			p, _ = parentPath(o.name)
		}
		a := c.aaplDirInfo(o.tree, p, false, btime, 0)
		a.MaxAccess = c.grantedOn(o.tree, p) // its parent is not the listed directory
		e.AAPL = a
		return
	}
	if !l.parentSet {
		l.parent = acl.Granted(c.effectiveSD(o.tree.share, o.name), o.tree.rights().tok)
		l.parentSet = true
	}
	e.AAPL = c.aaplDirInfo(o.tree, path.Join(o.name, e.Name), !isDir, btime, l.parent)
}

// copyfile is Apple's copyfile over COPYCHUNK: the whole data of src,
// then each of its named streams, copied to dst.
func copyfile(src, dst *open) ioctlResult {
	fi, err := src.file.Stat()
	if err != nil {
		return ioctlErr(statusFromError(err))
	}
	n, err := copyRange(dst.file, 0, src.file, 0, fi.Size())
	if err != nil {
		return ioctlResult{st: statusFromError(err), out: appendCopyChunkResponse(nil, 0, 0, uint32(n))}
	}
	if err := copyStreams(src.file, dst.file); err != nil {
		return ioctlResult{st: statusFromError(err), out: appendCopyChunkResponse(nil, 0, 0, uint32(n))}
	}
	return ioctlResult{out: appendCopyChunkResponse(nil, 0, 0, uint32(n))}
}
