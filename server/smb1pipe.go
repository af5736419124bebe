package server

import (
	"github.com/zerosmb/zerosmb/smb1"
	"github.com/zerosmb/zerosmb/smb2"
)

// smb1Trans is TRANS on IPC$: TransactNmPipe, the write-then-read of one
// DCE/RPC message on a named pipe opened with NT_CREATE_ANDX (srvsvc,
// wkssvc, lsarpc of internal/rpc), run as SMB2 IOCTL FSCTL_PIPE_TRANSCEIVE.
// A reply longer than MaxDataCount is cut with STATUS_BUFFER_OVERFLOW; the
// rest stays in the pipe for READ_ANDX. Other TRANS uses (RAP over
// \PIPE\LANMAN, mailslots) are answered STATUS_NOT_SUPPORTED.
func (c *conn) smb1Trans(r *smb1Req) smb1Resp {
	req, err := smb1.DecodeTransRequest(r.msg, &r.blk)
	switch {
	case err == smb1.ErrSecondaryNeeded:
		part := smb1.Trans2Part(&r.blk, &req)
		return c.smb1TransBegin(r, smb1.ComTransaction, &part, func(r *smb1Req, params, data []byte) smb1Resp {
			req.Params, req.Data = params, data
			return c.smb1TransRun(r, &req)
		})
	case err != nil:
		return smb1Err(smb2.StatusInvalidParameter)
	}
	return c.smb1TransRun(r, &req)
}

// smb1TransRun answers a complete TRANS request.
func (c *conn) smb1TransRun(r *smb1Req, req *smb1.Trans2Request) smb1Resp {
	if !r.tree.ipc || len(req.Setup) != 2 || req.Setup[0] != smb1.TransTransactNmPipe {
		c.log.Debug("SMB1 TRANS other than TransactNmPipe refused")
		return smb1Err(smb2.StatusNotSupported)
	}
	maxOut := min(int(req.MaxDataCount), c.s1.clientMB-smb1.Trans2ResponseOverhead-16)
	if maxOut <= 0 {
		return smb1Err(smb2.StatusBufferTooSmall)
	}
	ir := smb2.IoctlRequest{CtlCode: smb2.FsctlPipeTransceive, FileID: c.s1.fileID(req.Setup[1]),
		Input: req.Data, MaxOutputResponse: uint32(maxOut), Flags: smb2.IoctlFlagIsFsctl}
	resp := c.smb2Call(r, smb2.Ioctl, ir.Append(nil))
	if resp.status.IsError() && resp.status != smb2.StatusBufferOverflow || resp.body == nil {
		return smb1Err(fidStatus(resp.status))
	}
	out, err := smb2.DecodeIoctlOutput(resp.body)
	if err != nil {
		return smb1Err(smb2.StatusInternalError)
	}
	b := smb1.AppendTrans2Response(make([]byte, r.outOff, r.outOff+64+len(out)), 0, nil, out)
	return smb1Resp{status: resp.status, block: b[r.outOff:]}
}
