package server

import (
	"strings"
	"unicode"

	"github.com/zerosmb/zerosmb/smb2"
)

// QUERY_INFO (MS-SMB2 3.3.5.20): file, file system and security
// information. Quotas are not supported.

func (c *conn) handleQueryInfo(r *request) response {
	req, err := smb2.DecodeQueryInfoRequest(r.msg)
	if err != nil {
		return errResp(smb2.StatusInvalidParameter)
	}
	o, st := c.lookupOpen(r, req.FileID)
	if st != smb2.StatusSuccess {
		return errResp(st)
	}
	if o.pipe != nil {
		return c.queryPipeInfo(&req)
	}
	var out []byte
	switch req.InfoType {
	case smb2.InfoFile:
		if req.FileInfoClass == smb2.FileFullEaInformation {
			return c.queryFullEA(o, &req)
		}
		if req.FileInfoClass == smb2.FileNormalizedNameInformation && c.dialect < smb2.Dialect311 {
			return errResp(smb2.StatusNotSupported) // MS-SMB2 3.3.5.20.1: 3.1.1 only
		}
		out, st = c.queryFileInfo(o, &req)
	case smb2.InfoFilesystem:
		out, st = c.queryFSInfo(o, req.FileInfoClass)
	case smb2.InfoSecurity:
		return c.querySecurity(o, &req)
	case smb2.InfoQuota:
		return errResp(smb2.StatusNotSupported)
	default:
		return errResp(smb2.StatusInvalidParameter)
	}
	if st != smb2.StatusSuccess {
		return errResp(st)
	}
	return fitOutput(out, req.OutputBufferLength, smb2.MinInfoSize(req.InfoType, req.FileInfoClass))
}

// fitOutput applies MS-SMB2 3.3.5.20.1 to an encoded information buffer:
// a buffer too small for the fixed part fails with
// STATUS_INFO_LENGTH_MISMATCH; variable-length classes (min > 0 and less
// than the data) are truncated and answered with STATUS_BUFFER_OVERFLOW.
func fitOutput(out []byte, maxLen uint32, min int) response {
	if uint32(len(out)) <= maxLen {
		return response{body: smb2.AppendOutputResponse(nil, out)}
	}
	if min <= 0 || uint32(min) > maxLen {
		return errResp(smb2.StatusInfoLengthMismatch)
	}
	return response{status: smb2.StatusBufferOverflow, body: smb2.AppendOutputResponse(nil, out[:maxLen])}
}

// fileInfoNeeds returns the access a file information class requires.
func fileInfoNeeds(class uint8) uint32 {
	switch class {
	case smb2.FileBasicInformation, smb2.FileAllInformation, smb2.FileNetworkOpenInformation,
		smb2.FileAttributeTagInformation:
		return fileReadAttributes
	case smb2.FileFullEaInformation:
		return fileReadEA
	}
	return 0
}

func (c *conn) queryFileInfo(o *open, req *smb2.QueryInfoRequest) ([]byte, smb2.Status) {
	class := req.FileInfoClass
	// SMB1 handle queries need no access (as Samba's and Windows' SMB1
	// servers answer them): only SMB2 checks the handle (smb1.go).
	if need := fileInfoNeeds(class); need != 0 && !o.has(need) && c.s1 == nil {
		return nil, smb2.StatusAccessDenied
	}
	fi, err := o.file.Stat()
	if err != nil {
		return nil, statusFromError(err)
	}
	p := o.path()
	info := c.fileInfo(o.tree.share, p, fi, dosSrc(o))
	o.mu.Lock()
	info.Position = uint64(o.position)
	info.Mode = o.mode
	o.mu.Unlock()
	info.AccessFlags = o.access
	if o.node != nil {
		info.DeletePending = c.srv.state.deletePending(o)
	}
	if info.DeletePending && info.NumberOfLinks > 0 {
		info.NumberOfLinks--
	}
	if o.stream != "" {
		info.Name += ":" + o.stream // named stream (stream.go)
	}
	switch class {
	case smb2.FilePosixInformation:
		if !c.posix {
			return nil, smb2.StatusInvalidInfoClass
		}
		return smb2.AppendFilePosixInfo(nil, &info, posixInfo(fi), 0), smb2.StatusSuccess
	case smb2.FileStreamInformation:
		return c.queryStreams(o, &info)
	case smb2.FileEaInformation, smb2.FileAllInformation:
		eas, st := c.readEAs(o)
		if st != smb2.StatusSuccess {
			return nil, st
		}
		info.EaSize = eaSize(eas)
	case smb2.FileAlternateNameInformation:
		if p == "" {
			return nil, smb2.StatusObjectNameNotFound
		}
		_, base := parentPath(p)
		info.AlternateName = shortName(base)
	case smb2.FileNormalizedNameInformation:
		info.Name = info.Name[1:] // relative to the share, no leading backslash
	}
	out, err := smb2.AppendFileInfo(nil, class, &info)
	if err != nil {
		return nil, smb2.StatusInvalidInfoClass
	}
	return out, smb2.StatusSuccess
}

// shortName makes an 8.3 name for FileAlternateNameInformation: the name
// itself, upper-cased, when it already fits; otherwise a mangled form
// "BASE~1.EXT".
func shortName(name string) string {
	base, ext := name, ""
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		base, ext = name[:i], name[i+1:]
	}
	valid := func(s string, max int) bool {
		if len(s) > max {
			return false
		}
		for _, r := range s {
			if r > 0x7f || r == '.' || r == ' ' || strings.ContainsRune(`+,;=[]`, r) {
				return false
			}
		}
		return true
	}
	if base != "" && valid(base, 8) && valid(ext, 3) {
		return strings.ToUpper(name)
	}
	clean := func(s string, n int) string {
		var b strings.Builder
		for _, r := range s {
			if b.Len() >= n {
				break
			}
			if r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
				b.WriteRune(unicode.ToUpper(r))
			}
		}
		return b.String()
	}
	s := clean(base, 6)
	if s == "" {
		s = "FILE"
	}
	s += "~1"
	if e := clean(ext, 3); e != "" {
		s += "." + e
	}
	return s
}

// fsInfo describes the volume of o's share.
func (c *conn) fsInfo(o *open) (smb2.FSInfo, smb2.Status) {
	share := o.tree.share
	st, err := share.FS.Statfs()
	if err != nil {
		return smb2.FSInfo{}, statusFromError(err)
	}
	const sector = 512
	bs := st.BlockSize
	if bs < sector {
		bs = 4096
	}
	attrs := smb2.FileCaseSensitiveSearch | smb2.FileCasePreservedNames | smb2.FileUnicodeOnDisk |
		smb2.FilePersistentACLs | smb2.FileSupportsSparseFiles
	if share.ReadOnly {
		attrs |= smb2.FileReadOnlyVolume
	}
	if share.TimeMachine && share.TimeMachineMaxSize > 0 {
		st.TotalBlocks, st.FreeBlocks = share.timeMachineSize(st, uint64(bs)) // timemachine.go
	}
	label := st.Label
	if label == "" {
		label = share.Name
	}
	serial := st.Serial
	if serial == 0 {
		serial = uint32(volumeID(share))
	}
	info := smb2.FSInfo{
		VolumeCreationTime:         smb2.FileTime(c.srv.start),
		VolumeSerialNumber:         serial,
		VolumeLabel:                label,
		TotalAllocationUnits:       st.TotalBlocks,
		CallerAvailableUnits:       st.FreeBlocks,
		ActualAvailableUnits:       st.FreeBlocks,
		SectorsPerAllocationUnit:   bs / sector,
		BytesPerSector:             sector,
		DeviceType:                 smb2.FileDeviceDisk,
		FileSystemAttributes:       attrs,
		MaximumComponentNameLength: maxComponentLen,
		FileSystemName:             "NTFS",
	}
	info.ObjectID = smb2.GUIDFromUint64(volumeID(share), nil)
	return info, smb2.StatusSuccess
}

func (c *conn) queryFSInfo(o *open, class uint8) ([]byte, smb2.Status) {
	if class == smb2.FileFsPosixInformation && !c.posix {
		return nil, smb2.StatusInvalidInfoClass
	}
	info, st := c.fsInfo(o)
	if st != smb2.StatusSuccess {
		return nil, st
	}
	if class == smb2.FileFsControlInformation {
		// Quotas are off: thresholds and limits of -1, no flags.
		out := make([]byte, 48)
		for i := 24; i < 40; i++ {
			out[i] = 0xff
		}
		return out, smb2.StatusSuccess
	}
	out, err := smb2.AppendFSInfo(nil, class, &info)
	if err != nil {
		return nil, smb2.StatusInvalidInfoClass
	}
	return out, smb2.StatusSuccess
}

// queryPipeInfo answers the few file classes clients ask of a named pipe.
func (c *conn) queryPipeInfo(req *smb2.QueryInfoRequest) response {
	if req.InfoType != smb2.InfoFile {
		return errResp(smb2.StatusInvalidParameter)
	}
	info := smb2.FileInfo{FileAttributes: smb2.FileAttributeNormal, NumberOfLinks: 1,
		AllocationSize: 4096, DeletePending: true}
	switch req.FileInfoClass {
	case smb2.FileBasicInformation, smb2.FileStandardInformation, smb2.FileNetworkOpenInformation,
		smb2.FileAttributeTagInformation:
	default:
		return errResp(smb2.StatusInvalidParameter)
	}
	out, _ := smb2.AppendFileInfo(nil, req.FileInfoClass, &info)
	return fitOutput(out, req.OutputBufferLength, 0)
}

// querySecurity is in aclinfo.go.
