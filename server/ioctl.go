package server

import (
	"net"
	"slices"

	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs"
)

// IOCTL (MS-SMB2 3.3.5.15): negotiate validation, named-pipe transceive,
// and the handful of file system controls Windows, macOS and Linux
// clients send in normal use. Everything else is STATUS_NOT_SUPPORTED.

// ioctlResult is what an FSCTL produced: output bytes and a status
// (success, a warning such as STATUS_BUFFER_OVERFLOW that keeps the body,
// or an error).
type ioctlResult struct {
	out []byte
	st  smb2.Status
}

func ioctlErr(st smb2.Status) ioctlResult { return ioctlResult{st: st} }

// handleIoctl is SMB2 IOCTL.
func (c *conn) handleIoctl(r *request) response {
	req, err := smb2.DecodeIoctlRequest(r.msg)
	if err != nil {
		return errResp(smb2.StatusInvalidParameter)
	}
	if !req.IsFsctl() {
		return errResp(smb2.StatusNotSupported)
	}
	if uint64(len(req.Input))+uint64(len(req.Output)) > uint64(c.maxIO) ||
		uint64(req.MaxInputResponse)+uint64(req.MaxOutputResponse) > uint64(c.maxIO) {
		return errResp(smb2.StatusInvalidParameter)
	}
	fid := req.FileID
	var res ioctlResult
	switch req.CtlCode {
	case smb2.FsctlValidateNegotiateInfo:
		return c.validateNegotiate(&req)
	case smb2.FsctlDFSGetReferrals, smb2.FsctlDFSGetReferralsEx:
		// Samba without "host msdfs" answers this; Windows, macOS and
		// Linux clients take it as "no DFS here".
		return errResp(smb2.StatusFSDriverRequired)
	case smb2.FsctlQueryNetworkInterfaceInfo:
		if req.FileID != smb2.AnyFileID { // 3.3.5.15.11
			return errResp(smb2.StatusInvalidParameter)
		}
		res = ioctlResult{out: appendNetworkInterfaceInfo(nil, c.nc.LocalAddr())}
	case smb2.FsctlPipeWait:
		if r.tree == nil || !r.tree.ipc {
			return errResp(smb2.StatusInvalidDeviceRequest)
		}
		res = ioctlResult{} // our pipes are always available
	default:
		o, st := c.lookupOpen(r, req.FileID)
		if st != smb2.StatusSuccess {
			return errResp(st)
		}
		fid = o.id
		res = c.fileIoctl(o, &req)
	}
	if res.st.IsError() && res.out == nil {
		return errResp(res.st)
	}
	if uint64(len(res.out)) > uint64(req.MaxOutputResponse) {
		return errResp(smb2.StatusBufferTooSmall)
	}
	body := (&smb2.IoctlResponse{CtlCode: req.CtlCode, FileID: fid, Output: res.out}).Append(nil)
	return response{status: res.st, body: body}
}

// fileIoctl runs an FSCTL that names an open.
func (c *conn) fileIoctl(o *open, req *smb2.IoctlRequest) ioctlResult {
	if o.pipe != nil {
		if req.CtlCode != smb2.FsctlPipeTransceive {
			return ioctlErr(smb2.StatusNotSupported)
		}
		out, st := c.transceivePipe(o, req.Input, req.MaxOutputResponse)
		return ioctlResult{out: out, st: st}
	}
	switch req.CtlCode {
	case smb2.FsctlPipeTransceive, smb2.FsctlPipePeek:
		return ioctlErr(smb2.StatusInvalidDeviceRequest)
	case smb2.FsctlSrvEnumerateSnapshots:
		if req.MaxOutputResponse < smb2.SnapshotArraySize {
			return ioctlErr(smb2.StatusInvalidParameter)
		}
		return ioctlResult{out: smb2.AppendEmptySnapshotArray(nil)}
	case smb2.FsctlGetReparsePoint:
		return getReparsePoint(o) // symlink.go
	case smb2.FsctlSetReparsePoint:
		return c.setReparsePoint(o, req.Input)
	case smb2.FsctlIsPathnameValid:
		return ioctlResult{}
	case smb2.FsctlGetCompression:
		return ioctlResult{out: smb2.AppendCompressionState(nil, smb2.CompressionFormatNone)}
	case smb2.FsctlSetCompression:
		// Only COMPRESSION_FORMAT_NONE, which is what every file has.
		state, err := smb2.DecodeCompressionState(req.Input)
		if err != nil {
			return ioctlErr(smb2.StatusInvalidParameter)
		}
		if state != smb2.CompressionFormatNone {
			return ioctlErr(smb2.StatusNotSupported)
		}
		return ioctlResult{}
	case smb2.FsctlSetSparse:
		return c.setSparse(o, req.Input)
	case smb2.FsctlQueryAllocatedRanges:
		return c.queryAllocatedRanges(o, req)
	case smb2.FsctlSetZeroData:
		return c.setZeroData(o, req.Input)
	case smb2.FsctlCreateOrGetObjectID:
		return c.objectID(o, req)
	case smb2.FsctlSrvRequestResumeKey:
		return c.requestResumeKey(o)
	case smb2.FsctlSrvCopychunk, smb2.FsctlSrvCopychunkWrite:
		return c.copyChunk(o, req)
	case smb2.FsctlLMRRequestResiliency:
		return c.requestResiliency(o, req.Input)
	}
	return ioctlErr(smb2.StatusNotSupported)
}

// validateNegotiate is FSCTL_VALIDATE_NEGOTIATE_INFO (3.3.5.15.12): any
// mismatch with what NEGOTIATE saw means a downgrade attack, and the
// connection is dropped without an answer. The response is signed by the
// frame writer because the request was.
func (c *conn) validateNegotiate(req *smb2.IoctlRequest) response {
	drop := dropConn
	if c.dialect == smb2.Dialect311 || req.MaxOutputResponse < 24 {
		c.log.Warn("VALIDATE_NEGOTIATE_INFO not allowed here; closing", "dialect", dialectName(c.dialect))
		return drop
	}
	v, err := smb2.DecodeValidateNegotiateInfoRequest(req.Input)
	if err != nil {
		c.log.Warn("malformed VALIDATE_NEGOTIATE_INFO; closing")
		return drop
	}
	if !validateNegotiateMatches(c, &v) {
		c.log.Warn("VALIDATE_NEGOTIATE_INFO mismatch (possible downgrade attack); closing")
		return drop
	}
	out := (&smb2.ValidateNegotiateInfoResponse{
		Capabilities: c.serverCaps,
		GUID:         c.srv.guid,
		SecurityMode: c.serverSecMode,
		Dialect:      c.dialect,
	}).Append(nil)
	return response{body: (&smb2.IoctlResponse{CtlCode: req.CtlCode, FileID: req.FileID, Output: out}).Append(nil)}
}

// validateNegotiateMatches compares a VALIDATE_NEGOTIATE_INFO request with
// the connection's NEGOTIATE.
func validateNegotiateMatches(c *conn, v *smb2.ValidateNegotiateInfoRequest) bool {
	if v.GUID != c.clientGUID || v.SecurityMode != c.clientSecMode || v.Capabilities != c.clientCaps {
		return false
	}
	// Connections that negotiated through SMB1 have no dialect list.
	if c.clientDialects != nil && !slices.Equal(v.Dialects, c.clientDialects) {
		return false
	}
	for _, d := range supportedDialects {
		if slices.Contains(v.Dialects, d) {
			return d == c.dialect
		}
	}
	return false
}

// appendNetworkInterfaceInfo appends one NETWORK_INTERFACE_INFO entry
// (MS-SMB2 2.2.32.5) for the address the client connected to. The server
// has no multichannel, so this just tells the client what it already
// uses; an address that is not TCP yields an empty list.
func appendNetworkInterfaceInfo(dst []byte, addr net.Addr) []byte {
	ta, ok := addr.(*net.TCPAddr)
	if !ok {
		return dst
	}
	// Capability 0: neither RSS nor RDMA; 1 Gbit/s.
	return smb2.AppendNetworkInterfaceInfo(dst, []smb2.NetworkInterfaceInfo{{IfIndex: 1, LinkSpeed: 1000_000_000, IP: ta.IP}})
}

// objectID is FSCTL_CREATE_OR_GET_OBJECT_ID: a FILE_OBJECTID_BUFFER
// (MS-FSCC 2.1.3.1) whose object id is derived from the file's stable
// index, so repeated queries agree; the birth volume id is the server GUID.
func (c *conn) objectID(o *open, req *smb2.IoctlRequest) ioctlResult {
	if req.MaxOutputResponse < smb2.FileObjectIDSize {
		return ioctlErr(smb2.StatusBufferTooSmall)
	}
	fi, err := o.file.Stat()
	if err != nil {
		return ioctlErr(statusFromError(err))
	}
	id := smb2.FileObjectID{ObjectID: smb2.GUIDFromUint64(vfs.FileIndex(fi), c.srv.guid[:8]), BirthVolumeID: c.srv.guid}
	id.BirthObjectID = id.ObjectID
	return ioctlResult{out: id.Append(nil)}
}
