package server

import (
	"github.com/zerosmb/zerosmb/internal/acl"
	"github.com/zerosmb/zerosmb/smb2"
)

// QUERY_INFO and SET_INFO of security descriptors (InfoSecurity).

// querySecurity returns the parts of the file's descriptor that
// AdditionalInformation asks for: the stored one, or the default. It
// needs READ_CONTROL (and ACCESS_SYSTEM_SECURITY for the SACL); too
// small a buffer fails with STATUS_BUFFER_TOO_SMALL and the size needed.
func (c *conn) querySecurity(o *open, req *smb2.QueryInfoRequest) response {
	info := req.AdditionalInformation
	if info&(smb2.OwnerSecurityInformation|smb2.GroupSecurityInformation|smb2.DACLSecurityInformation) != 0 && !o.has(readControl) {
		return errResp(smb2.StatusAccessDenied)
	}
	if info&smb2.SACLSecurityInformation != 0 && !o.has(smb2.AccessSystemSec) {
		return errResp(smb2.StatusAccessDenied)
	}
	sd := acl.Filter(c.effectiveSD(o.tree.share, o.name), info)
	b, err := sd.Append(nil)
	if err != nil {
		return errResp(smb2.StatusInternalError)
	}
	if uint32(len(b)) > req.OutputBufferLength {
		return response{status: smb2.StatusBufferTooSmall, errData: smb2.BufferTooSmallData(uint32(len(b)))}
	}
	return response{body: smb2.AppendOutputResponse(nil, b)}
}

// setSecurity merges a descriptor sent by the client into the stored
// one and stores the result. Owner and group need WRITE_OWNER, the DACL
// WRITE_DAC, the SACL ACCESS_SYSTEM_SECURITY; an owner the caller's token
// does not hold needs share admin rights (STATUS_INVALID_OWNER). A
// malformed descriptor is STATUS_INVALID_PARAMETER and changes nothing.
func (c *conn) setSecurity(o *open, req *smb2.SetInfoRequest) smb2.Status {
	info := req.AdditionalInformation
	if info&(smb2.OwnerSecurityInformation|smb2.GroupSecurityInformation) != 0 && !o.has(writeOwner) {
		return smb2.StatusAccessDenied
	}
	if info&smb2.DACLSecurityInformation != 0 && !o.has(writeDAC) {
		return smb2.StatusAccessDenied
	}
	if info&smb2.SACLSecurityInformation != 0 && !o.has(smb2.AccessSystemSec) {
		return smb2.StatusAccessDenied
	}
	upd, err := smb2.DecodeSecurityDescriptor(req.Buffer)
	if err != nil {
		return smb2.StatusInvalidParameter
	}
	if o.tree.readOnly {
		return smb2.StatusAccessDenied
	}
	tok := o.tree.rights().tok
	if info&smb2.OwnerSecurityInformation != 0 && upd.Owner != "" && !tok.Has(upd.Owner) && !tok.Admin {
		return smb2.StatusInvalidOwner
	}
	if info&(smb2.OwnerSecurityInformation|smb2.GroupSecurityInformation|smb2.DACLSecurityInformation|smb2.SACLSecurityInformation) == 0 {
		return smb2.StatusSuccess
	}
	cur := c.effectiveSD(o.tree.share, o.name)
	return c.storeSD(o.tree.share, o.name, acl.Merge(cur, upd, info))
}
