package server

import "github.com/zerosmb/zerosmb/smb2"

// OPLOCK_BREAK acknowledgments (MS-SMB2 3.3.5.22). The server never grants
// oplocks or leases, so no break is ever in progress and every
// acknowledgment is a protocol error.

// handleOplockBreak answers an oplock or lease break acknowledgment.
func (c *conn) handleOplockBreak(r *request) response {
	if smb2.IsLeaseBreakAck(r.msg) {
		// No lease exists under any key (3.3.5.22.2).
		return errResp(smb2.StatusObjectNameNotFound)
	}
	ack, err := smb2.DecodeOplockBreakAck(r.msg)
	if err != nil {
		return errResp(smb2.StatusInvalidParameter)
	}
	if _, st := c.lookupOpen(r, ack.FileID); st != smb2.StatusSuccess {
		return errResp(st)
	}
	// Open.OplockState is never Breaking (3.3.5.22.1).
	return errResp(smb2.StatusInvalidOplockProtocol)
}
