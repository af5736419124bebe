package server

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"math/big"
	"time"

	"github.com/zerosmb/zerosmb/smb1"
	"github.com/zerosmb/zerosmb/smb2"
)

// The core (pre-NT) SMB1 file commands: OPEN, CREATE, CREATE_NEW,
// CREATE_TEMPORARY, READ, WRITE, WRITE_AND_CLOSE and SEEK, each run as the
// SMB2 operations that do the same (layouts in smb1/core.go). Core READ
// and WRITE carry at most 64 KiB, so they take the copy path.

// FILE_GENERIC_READ | FILE_GENERIC_WRITE: what CREATE and its relatives
// open with (as Windows and Samba).
const genericReadWrite = 0x0012019F

// smb1Chain is what the links of one AndX chain share: the FID of the
// last file opened in it, which a later link uses whatever FID it names
// (a client chaining OPEN_ANDX + READ_ANDX cannot know the FID yet).
type smb1Chain struct {
	fid     uint16
	haveFID bool
}

// setChainFID records fid as the chain's file.
func (r *smb1Req) setChainFID(fid uint16) {
	if r.chain != nil {
		r.chain.fid, r.chain.haveFID = fid, true
	}
}

// fid returns the FID a command of r means by fid: the chain's file when
// an earlier link opened one.
func (r *smb1Req) fid(fid uint16) uint16 {
	if r.chain != nil && r.chain.haveFID {
		return r.chain.fid
	}
	return fid
}

// utime converts an SMB1 UTIME to a FILETIME; 0 and all ones mean "not
// given" and give 0.
func utime(t uint32) uint64 {
	if t == 0 || t == 0xFFFFFFFF {
		return 0
	}
	return smb2.FileTime(time.Unix(int64(t), 0))
}

// utimeOf converts a FILETIME to an SMB1 UTIME (0 before 1970).
func utimeOf(ft uint64) uint32 {
	return uint32(max(smb2.TimeFromFileTime(ft).Unix(), 0))
}

// smb1SetWriteTime sets the last write time of open id to the FILETIME
// ft (nothing for 0).
func (c *conn) smb1SetWriteTime(r *smb1Req, id smb2.FileID, ft uint64) smb2.Status {
	if ft == 0 {
		return smb2.StatusSuccess
	}
	basic := make([]byte, 40)
	le64(basic[16:], ft)
	return c.smb2SetInfo(r, id, smb2.FileBasicInformation, basic)
}

// smb1CoreOpen is the core OPEN: OPEN_ANDX's mapping of the DOS access
// and sharing mode with "open if it exists".
func (c *conn) smb1CoreOpen(r *smb1Req) smb1Resp {
	req, err := smb1.DecodeOpenRequest(r.msg, &r.blk, r.hdr.Unicode())
	if err != nil {
		return smb1Err(smb1Status(err))
	}
	cr, ok := dosOpenCreate(smb1Name(req.Name), req.AccessMode, 1)
	if !ok {
		return smb1Err(smb1.StatusDOSBadAccess)
	}
	resp, fid, st := c.smb1Open(r, &cr)
	if st != smb2.StatusSuccess {
		return smb1Err(st)
	}
	r.setChainFID(fid)
	return smb1Resp{block: smb1.AppendOpenResponse(nil, fid, uint16(resp.FileAttributes&0x37),
		utimeOf(resp.LastWriteTime), uint32(min(resp.EndOfFile, 0xFFFFFFFF)), req.AccessMode)}
}

// smb1CoreCreate is CREATE (create or truncate) and CREATE_NEW (create
// only), opened for reading and writing, sharing reads and writes, with
// the given attributes and last write time.
func (c *conn) smb1CoreCreate(r *smb1Req) smb1Resp {
	req, err := smb1.DecodeCreateRequest(r.msg, &r.blk, r.hdr.Unicode())
	if err != nil {
		return smb1Err(smb1Status(err))
	}
	disp := uint32(5) // FILE_OVERWRITE_IF
	if r.hdr.Command == smb1.ComCreateNew {
		disp = smb2.FileCreate
	}
	cr := smb2.CreateRequest{ImpersonationLevel: 2, DesiredAccess: genericReadWrite,
		ShareAccess: smb2.FileShareRead | 2, CreateDisposition: disp, CreateOptions: smb2.FileNonDirectoryFile,
		FileAttributes: uint32(req.FileAttributes) & 0x27, Name: smb1Name(req.Name)}
	return c.smb1CreateFID(r, &cr, req.Time)
}

// smb1CreateFID opens cr, sets the last write time t (a UTIME) and
// answers the one-word FID response.
func (c *conn) smb1CreateFID(r *smb1Req, cr *smb2.CreateRequest, t uint32) smb1Resp {
	resp, fid, st := c.smb1Open(r, cr)
	if st != smb2.StatusSuccess {
		return smb1Err(st)
	}
	if st := c.smb1SetWriteTime(r, resp.FileID, utime(t)); st != smb2.StatusSuccess {
		c.log.Debug("SMB1 create: setting the write time failed", "status", st)
	}
	r.setChainFID(fid)
	return smb1Resp{block: smb1.AppendFIDResponse(nil, fid)}
}

// smb1CreateTemp is CREATE_TEMPORARY: a new file named TMPnnnnnn in the
// given directory (ten tries at a free name), answered with its name.
func (c *conn) smb1CreateTemp(r *smb1Req) smb1Resp {
	req, err := smb1.DecodeCreateRequest(r.msg, &r.blk, r.hdr.Unicode())
	if err != nil {
		return smb1Err(smb1Status(err))
	}
	dir := smb1Name(req.Name)
	for range 10 {
		n, err := rand.Int(rand.Reader, big.NewInt(1000000))
		if err != nil {
			return smb1Err(smb2.StatusInternalError)
		}
		base := fmt.Sprintf("TMP%06d", n.Int64())
		name := base
		if dir != "" {
			name = dir + `\` + base
		}
		cr := smb2.CreateRequest{ImpersonationLevel: 2, DesiredAccess: genericReadWrite,
			ShareAccess: smb2.FileShareRead | 2, CreateDisposition: smb2.FileCreate,
			CreateOptions: smb2.FileNonDirectoryFile, FileAttributes: uint32(req.FileAttributes) & 0x27, Name: name}
		resp, fid, st := c.smb1Open(r, &cr)
		if st == smb2.StatusObjectNameCollision {
			continue
		}
		if st != smb2.StatusSuccess {
			return smb1Err(st)
		}
		c.smb1SetWriteTime(r, resp.FileID, utime(req.Time))
		r.setChainFID(fid)
		return smb1Resp{block: smb1.AppendCreateTemporaryResponse(nil, fid, base)}
	}
	return smb1Err(smb2.StatusObjectNameCollision)
}

// smb1ReadBytes reads up to n bytes at off of FID fid into memory through
// SMB2 READ (a read at or past the end gives no bytes).
func (c *conn) smb1ReadBytes(r *smb1Req, fid uint16, off uint64, n uint32) ([]byte, smb2.Status) {
	rr := smb2.ReadRequest{Length: n, Offset: off, FileID: c.s1.fileID(r.fid(fid))}
	resp := c.smb2Call(r, smb2.Read, rr.Append(nil))
	if resp.status == smb2.StatusEndOfFile {
		return nil, smb2.StatusSuccess
	}
	if resp.status.IsError() {
		return nil, fidStatus(resp.status)
	}
	if resp.data == nil || resp.data.n == 0 {
		return nil, smb2.StatusSuccess
	}
	d := resp.data
	buf := make([]byte, d.n)
	got, err := d.f.ReadAt(buf, d.off)
	if err != nil && err != io.EOF {
		return nil, smb2.StatusUnexpectedIOError
	}
	c.srv.data.read.Add(uint64(got))
	return buf[:got], smb2.StatusSuccess
}

// smb1CoreRead is the core READ.
func (c *conn) smb1CoreRead(r *smb1Req) smb1Resp {
	req, err := smb1.DecodeCoreIORequest(&r.blk)
	if err != nil {
		return smb1Err(smb2.StatusInvalidParameter)
	}
	// The response must fit the client's buffer.
	n := min(uint32(req.Count), uint32(max(c.s1.clientMB-smb1.HeaderSize-16, 0)))
	data, st := c.smb1ReadBytes(r, req.FID, uint64(req.Offset), n)
	if st != smb2.StatusSuccess {
		return smb1Err(st)
	}
	return smb1Resp{block: smb1.AppendReadResponse(nil, data)}
}

// smb1WriteBytes writes data at off of open id through SMB2 WRITE and
// returns the count written.
func (c *conn) smb1WriteBytes(r *smb1Req, id smb2.FileID, off uint64, data []byte) (uint32, smb2.Status) {
	w := smb2.WriteRequest{DataOffset: smb2.HeaderSize + smb2.WriteRequestFixedSize, Length: uint32(len(data)),
		Offset: off, FileID: id}
	body := w.AppendFixed(make([]byte, 0, smb2.WriteRequestFixedSize+len(data)))
	resp := c.smb2Call(r, smb2.Write, append(body, data...))
	if resp.status.IsError() {
		return 0, fidStatus(resp.status)
	}
	n, err := smb2.DecodeWriteResponse(resp.body)
	if err != nil {
		return 0, smb2.StatusInternalError
	}
	return n, smb2.StatusSuccess
}

// smb1CoreWrite is the core WRITE; a zero-byte WRITE sets the end of
// file at its offset (truncating or extending), as MS-CIFS 2.2.4.12
// says.
func (c *conn) smb1CoreWrite(r *smb1Req) smb1Resp {
	req, data, err := smb1.DecodeWriteRequest(&r.blk)
	if err != nil {
		return smb1Err(smb2.StatusInvalidParameter)
	}
	id := c.s1.fileID(r.fid(req.FID))
	if req.Count == 0 {
		eof := make([]byte, 8)
		le64(eof, uint64(req.Offset))
		if !c.smb1OpenHas(r, id, fileWriteData|fileAppendData) {
			return smb1Err(smb2.StatusAccessDenied)
		}
		st := fidStatus(c.smb2SetInfo(r, id, smb2.FileEndOfFileInformation, eof))
		if st != smb2.StatusSuccess {
			return smb1Err(st)
		}
		return smb1Resp{block: smb1.AppendFIDResponse(nil, 0)}
	}
	n, st := c.smb1WriteBytes(r, id, uint64(req.Offset), data)
	if st != smb2.StatusSuccess {
		return smb1Err(st)
	}
	return smb1Resp{block: smb1.AppendFIDResponse(nil, uint16(n))}
}

// smb1WriteAndClose is WRITE_AND_CLOSE: write, set the last write time if
// given, close. A zero-byte one writes nothing and leaves the file open
// (as Windows and Samba).
func (c *conn) smb1WriteAndClose(r *smb1Req) smb1Resp {
	req, data, err := smb1.DecodeWriteAndCloseRequest(&r.blk)
	if err != nil {
		return smb1Err(smb2.StatusInvalidParameter)
	}
	fid := r.fid(req.FID)
	id := c.s1.fileID(fid)
	var n uint32
	if len(data) > 0 {
		var st smb2.Status
		if n, st = c.smb1WriteBytes(r, id, uint64(req.Offset), data); st != smb2.StatusSuccess {
			return smb1Err(st)
		}
	}
	if st := fidStatus(c.smb1SetWriteTime(r, id, utime(req.LastWrite))); st != smb2.StatusSuccess {
		return smb1Err(st)
	}
	if len(data) > 0 {
		if st := c.smb1CloseFID(r, fid); st != smb2.StatusSuccess {
			return smb1Err(st)
		}
	}
	return smb1Resp{block: smb1.AppendFIDResponse(nil, uint16(n))}
}

// smb1CloseFID closes FID fid and forgets it.
func (c *conn) smb1CloseFID(r *smb1Req, fid uint16) smb2.Status {
	st := c.smb2Close(r, c.s1.fileID(fid))
	if st == smb2.StatusSuccess || st == smb2.StatusFileClosed {
		delete(c.s1.fids, fid)
		delete(c.s1.seek, fid)
	}
	return fidStatus(st)
}

// smb1Seek is SEEK: the FID's file position (kept per FID, used by no
// other command), from the start, the current position or the end, in
// 32-bit arithmetic that wraps (as Windows: -1 from the start is
// 0xFFFFFFFF).
func (c *conn) smb1Seek(r *smb1Req) smb1Resp {
	req, err := smb1.DecodeSeekRequest(&r.blk)
	if err != nil {
		return smb1Err(smb2.StatusInvalidParameter)
	}
	fid := r.fid(req.FID)
	id := c.s1.fileID(fid)
	var base int64
	switch req.Mode {
	case 0:
	case 1:
		base = c.s1.seek[fid]
	case 2:
		b, st := c.smb2QueryInfo(r, id, smb2.InfoFile, smb2.FileStandardInformation, 24)
		if st.IsError() {
			return smb1Err(fidStatus(st))
		}
		if len(b) < 16 {
			return smb1Err(smb2.StatusInternalError)
		}
		base = int64(binary.LittleEndian.Uint64(b[8:]))
	default:
		return smb1Err(smb2.StatusInvalidParameter)
	}
	if req.Mode != 2 && !c.smb1OpenExists(r, id) {
		return smb1Err(smb2.StatusInvalidHandle)
	}
	pos := uint32(base + int64(req.Offset))
	if c.s1.seek == nil {
		c.s1.seek = map[uint16]int64{}
	}
	c.s1.seek[fid] = int64(pos)
	return smb1Resp{block: smb1.AppendSeekResponse(nil, pos)}
}

// smb1OpenExists reports whether id is an open of r's session.
func (c *conn) smb1OpenExists(r *smb1Req, id smb2.FileID) bool {
	c.mu.Lock()
	o := c.opens[id.Volatile]
	c.mu.Unlock()
	return o != nil && o.id == id && o.sess == r.sess
}

// dosOpenCreate maps a DOS access and sharing mode (OPEN, OPEN_ANDX,
// TRANS2_OPEN2) and an OPEN_ANDX open function to an SMB2 CREATE of name
// (MS-CIFS 2.2.4.41.1, as Samba maps them); ok false for a mode or
// function that cannot be (answered ERRDOS:ERRbadaccess). The DOS and FCB
// sharing modes, which let one process open a file many times, share
// reads and writes.
func dosOpenCreate(name string, mode, openFunc uint16) (smb2.CreateRequest, bool) {
	cr := smb2.CreateRequest{Name: name, CreateOptions: smb2.FileNonDirectoryFile, ImpersonationLevel: 2}
	access := mode & 0xF
	switch access {
	case 0:
		cr.DesiredAccess = 0x00120089 // FILE_GENERIC_READ
	case 1:
		cr.DesiredAccess = 0x00120116 // FILE_GENERIC_WRITE
	case 2, 0xF: // read/write, FCB
		cr.DesiredAccess = genericReadWrite
	case 3:
		cr.DesiredAccess = 0x001200A9 // read and execute
	default:
		return cr, false
	}
	switch mode >> 4 & 7 {
	case 1: // deny all
	case 2:
		cr.ShareAccess = smb2.FileShareRead // deny write
	case 3:
		cr.ShareAccess = 2 // deny read: FILE_SHARE_WRITE
	case 0, 4, 7: // DOS compatibility, deny none, FCB
		cr.ShareAccess = smb2.FileShareRead | 2
	default:
		return cr, false
	}
	switch openFunc {
	case 0x10:
		cr.CreateDisposition = smb2.FileCreate
	case 0x01:
		cr.CreateDisposition = smb2.FileOpen
	case 0x11:
		cr.CreateDisposition = smb2.FileOpenIf
	case 0x02:
		cr.CreateDisposition = 4 // FILE_OVERWRITE
	case 0x12:
		cr.CreateDisposition = 5 // FILE_OVERWRITE_IF
	default:
		if access != 3 {
			return cr, false
		}
		cr.CreateDisposition = smb2.FileCreate // open for execute implies create (Windows)
	}
	return cr, true
}

// smb1QueryInfo2 is QUERY_INFORMATION2 (getattrE) of an open file.
func (c *conn) smb1QueryInfo2(r *smb1Req) smb1Resp {
	fid, err := smb1.DecodeFIDRequest(&r.blk, 1)
	if err != nil {
		return smb1Err(smb2.StatusInvalidParameter)
	}
	b, st := c.smb2QueryInfo(r, c.s1.fileID(r.fid(fid)), smb2.InfoFile, smb2.FileNetworkOpenInformation, 56)
	if st.IsError() {
		return smb1Err(fidStatus(st))
	}
	out, err := smb1.AppendQueryInformation2Response(nil, b)
	if err != nil {
		return smb1Err(smb2.StatusInternalError)
	}
	return smb1Resp{block: out}
}

// smb1SetInfo2 is SET_INFORMATION2 (setattrE): the given times of an
// open file, as SMB2 FileBasicInformation.
func (c *conn) smb1SetInfo2(r *smb1Req) smb1Resp {
	req, err := smb1.DecodeSetInformation2(&r.blk)
	if err != nil {
		return smb1Err(smb2.StatusInvalidParameter)
	}
	basic := make([]byte, 40)
	le64(basic, req.Creation)
	le64(basic[8:], req.LastAccess)
	le64(basic[16:], req.LastWrite)
	return smb1Resp{status: fidStatus(c.smb2SetInfo(r, c.s1.fileID(r.fid(req.FID)), smb2.FileBasicInformation, basic))}
}
