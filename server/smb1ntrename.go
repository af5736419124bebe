package server

import (
	"io"
	"strings"

	"github.com/zerosmb/zerosmb/smb1"
	"github.com/zerosmb/zerosmb/smb2"
)

// smb1CopyChunk is the size of one READ/WRITE of an NT_RENAME copy.
const smb1CopyChunk = 1 << 20

// smb1NTRename is NT_RENAME: rename (SMB2 FileRenameInformation), hard
// link (FileLinkInformation) or copy (read and write through SMB2) one
// file. The search attributes apply as for DELETE; wildcards are
// STATUS_OBJECT_PATH_SYNTAX_BAD, MOVE_CLUSTER_INFORMATION
// STATUS_INVALID_PARAMETER (with a cluster count) and any other level
// STATUS_ACCESS_DENIED (as Windows before 7 and Samba). Hard links do
// not share DOS attributes here (they are kept per path).
func (c *conn) smb1NTRename(r *smb1Req) smb1Resp {
	req, err := smb1.DecodeNTRenameRequest(r.msg, &r.blk, r.hdr.Unicode())
	if err != nil {
		return smb1Err(smb1Status(err))
	}
	switch req.Level {
	case smb1.NTRenameRenameFile, smb1.NTRenameSetLinkInfo, smb1.NTRenameCopyFile:
	case smb1.NTRenameMoveClusterInfo:
		if req.ClusterCount == 0 {
			return smb1Err(smb2.StatusAccessDenied)
		}
		return smb1Err(smb2.StatusInvalidParameter)
	default:
		return smb1Err(smb2.StatusAccessDenied)
	}
	if strings.ContainsAny(req.OldName+req.NewName, "*?<>\"") {
		return smb1Err(smb2.StatusObjectPathSyntaxBad)
	}
	oldName, st := smb1CleanPath(smb1Name(req.OldName))
	if st != smb2.StatusSuccess {
		return smb1Err(st)
	}
	newName, st := smb1CleanPath(smb1Name(req.NewName))
	if st != smb2.StatusSuccess {
		return smb1Err(st)
	}
	// The rename's open shares reads and writes but not delete, so a
	// file another open may delete is a sharing violation (as Samba).
	access, share := uint32(accessDelete|fileReadAttributes), uint32(smb2.FileShareRead|2)
	if req.Level != smb1.NTRenameRenameFile {
		access, share = 0x00120089, smb2.FileShareRead // FILE_GENERIC_READ
	}
	resp, st := c.smb2Create(r, &smb2.CreateRequest{DesiredAccess: access, ShareAccess: share,
		CreateDisposition: smb2.FileOpen, Name: oldName})
	if st != smb2.StatusSuccess {
		return smb1Err(st)
	}
	defer c.smb2Close(r, resp.FileID)
	if !smb1.AttrsMatch(resp.FileAttributes&^fileAttrDirectory, req.SearchAttributes) {
		return smb1Err(smb2.StatusNoSuchFile)
	}
	switch req.Level {
	case smb1.NTRenameRenameFile:
		if strings.EqualFold(oldName, newName) {
			return smb1Resp{} // renaming a file to itself
		}
		st = c.smb2SetInfo(r, resp.FileID, smb2.FileRenameInformation, renameInfo(newName, false))
	case smb1.NTRenameSetLinkInfo:
		st = c.smb2SetInfo(r, resp.FileID, smb2.FileLinkInformation, renameInfo(newName, false))
	default:
		st = c.smb1CopyFile(r, resp.FileID, resp.FileAttributes, newName)
	}
	return smb1Resp{status: st}
}

// smb1CopyFile copies open src (attributes attrs) to a new file name.
func (c *conn) smb1CopyFile(r *smb1Req, src smb2.FileID, attrs uint32, name string) smb2.Status {
	dst, st := c.smb2Create(r, &smb2.CreateRequest{DesiredAccess: 0x00120116, // FILE_GENERIC_WRITE
		CreateDisposition: smb2.FileCreate, CreateOptions: smb2.FileNonDirectoryFile,
		FileAttributes: attrs & settableAttrs, Name: name})
	if st != smb2.StatusSuccess {
		return st
	}
	defer c.smb2Close(r, dst.FileID)
	// The copy has the source's attributes (not ARCHIVE added).
	basic := make([]byte, 40)
	a := attrs & settableAttrs
	if a == 0 {
		a = smb2.FileAttributeNormal
	}
	le32(basic[32:], a)
	if st := c.smb2SetInfo(r, dst.FileID, smb2.FileBasicInformation, basic); st != smb2.StatusSuccess {
		return st
	}
	buf := make([]byte, smb1CopyChunk)
	for off := uint64(0); ; {
		rr := smb2.ReadRequest{Length: smb1CopyChunk, Offset: off, FileID: src}
		resp := c.smb2Call(r, smb2.Read, rr.Append(nil))
		if resp.status == smb2.StatusEndOfFile || resp.data == nil || resp.data.n == 0 {
			return smb2.StatusSuccess
		}
		if resp.status.IsError() {
			return resp.status
		}
		n, err := resp.data.f.ReadAt(buf[:resp.data.n], resp.data.off)
		if err != nil && err != io.EOF {
			return smb2.StatusUnexpectedIOError
		}
		if n == 0 {
			return smb2.StatusSuccess
		}
		if _, st := c.smb1WriteBytes(r, dst.FileID, off, buf[:n]); st != smb2.StatusSuccess {
			return st
		}
		off += uint64(n)
	}
}
