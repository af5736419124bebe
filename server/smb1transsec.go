package server

import (
	"github.com/zerosmb/zerosmb/smb1"
	"github.com/zerosmb/zerosmb/smb2"
)

// Secondary transaction requests (TRANS, TRANS2 and NT_TRANSACT
// secondaries). A primary request whose parameters or data do not all fit
// its message is answered with an interim response and kept until its
// secondaries have brought the rest; the last one is answered as the
// primary would have been (with the primary's command code). Limits:
//
//   - at most smb1MaxPendingTrans transactions per connection wait for
//     secondaries (more are refused with STATUS_INSUFFICIENT_RESOURCES);
//   - a transaction's TotalParameterCount + TotalDataCount is at most the
//     connection's maximum I/O size (Config.MaxIOSize, at most 16 MiB for
//     SMB1), else STATUS_INVALID_PARAMETER; the buffers are allocated at
//     that size when the primary arrives;
//   - a secondary must match a waiting primary's command, MID, PID, UID
//     and TID, may lower but not raise the totals and must place its
//     sections inside them; one that matches nothing closes the
//     connection, a bad one ends the transaction with
//     STATUS_INVALID_PARAMETER.
//
// With signing active a secondary that gets no response still takes two
// sequence numbers (MS-SMB 3.3.5.1: only NT_CANCEL takes one), and the
// final response is signed with the number after its own request's.

// smb1MaxPendingTrans bounds the transactions waiting for secondaries on
// one connection.
const smb1MaxPendingTrans = 4

// smb1PendingTrans is a transaction waiting for secondaries.
type smb1PendingTrans struct {
	cmd                smb1.Command // the primary's
	mid, pid, uid, tid uint16
	params, data       []byte // TotalParameterCount, TotalDataCount bytes
	gotP, gotD         uint64 // bytes received so far
	run                func(r *smb1Req, params, data []byte) smb1Resp
}

// smb1TransBegin keeps a primary transaction request that carries part of
// its parameters and data until its secondaries arrive; run answers it
// once complete.
func (c *conn) smb1TransBegin(r *smb1Req, cmd smb1.Command, part *smb1.TransPart, run func(r *smb1Req, params, data []byte) smb1Resp) smb1Resp {
	total := uint64(part.TotalParams) + uint64(part.TotalData)
	if total > uint64(c.maxIO) || uint64(len(part.Params)) > uint64(part.TotalParams) ||
		uint64(len(part.Data)) > uint64(part.TotalData) {
		c.log.Debug("SMB1 transaction too large or inconsistent", "total", total)
		return smb1Err(smb2.StatusInvalidParameter)
	}
	h := r.hdr
	for i, p := range c.s1.trans {
		if p.mid == h.MID && p.pid == h.PIDLow && p.uid == h.UID && p.tid == h.TID {
			c.s1.trans = append(c.s1.trans[:i], c.s1.trans[i+1:]...) // a new primary replaces it
			break
		}
	}
	if len(c.s1.trans) >= smb1MaxPendingTrans {
		return smb1Err(smb2.StatusInsufficientResources)
	}
	p := &smb1PendingTrans{cmd: cmd, mid: h.MID, pid: h.PIDLow, uid: h.UID, tid: h.TID,
		params: make([]byte, part.TotalParams), data: make([]byte, part.TotalData), run: run}
	p.gotP = uint64(copy(p.params, part.Params))
	p.gotD = uint64(copy(p.data, part.Data))
	c.s1.trans = append(c.s1.trans, p)
	return smb1Resp{} // the interim response: send the rest
}

// smb1TransSecondary is TRANS, TRANS2 and NT_TRANSACT secondary.
func (c *conn) smb1TransSecondary(r *smb1Req) smb1Resp {
	var primary smb1.Command
	var part smb1.TransPart
	var err error
	switch r.hdr.Command {
	case smb1.ComTransactionSec:
		primary = smb1.ComTransaction
		part, err = smb1.DecodeTransSecondary(r.msg, &r.blk, false)
	case smb1.ComTransaction2Sec:
		primary = smb1.ComTransaction2
		part, err = smb1.DecodeTransSecondary(r.msg, &r.blk, true)
	default:
		primary = smb1.ComNTTransact
		part, err = smb1.DecodeNTTransSecondary(r.msg, &r.blk)
	}
	h := r.hdr
	i := -1
	for j, p := range c.s1.trans {
		if p.cmd == primary && p.mid == h.MID && p.pid == h.PIDLow && p.uid == h.UID && p.tid == h.TID {
			i = j
			break
		}
	}
	if i < 0 {
		c.log.Warn("SMB1 secondary transaction request without a pending primary; closing")
		return smb1Resp{disconnect: true}
	}
	p := c.s1.trans[i]
	if err == nil && !p.add(&part) {
		err = smb1.ErrMalformed
	}
	if err != nil {
		c.s1.trans = append(c.s1.trans[:i], c.s1.trans[i+1:]...)
		return smb1Resp{status: smb2.StatusInvalidParameter, primary: primary}
	}
	if p.gotP < uint64(len(p.params)) || p.gotD < uint64(len(p.data)) {
		return smb1Resp{noResponse: true}
	}
	c.s1.trans = append(c.s1.trans[:i], c.s1.trans[i+1:]...)
	resp := p.run(r, p.params, p.data)
	resp.primary = primary
	return resp
}

// add places a secondary's sections; false if they do not fit the
// totals or the totals grew.
func (p *smb1PendingTrans) add(part *smb1.TransPart) bool {
	if uint64(part.TotalParams) > uint64(len(p.params)) || uint64(part.TotalData) > uint64(len(p.data)) {
		return false
	}
	p.params, p.data = p.params[:part.TotalParams], p.data[:part.TotalData]
	if uint64(part.ParamDisp)+uint64(len(part.Params)) > uint64(len(p.params)) ||
		uint64(part.DataDisp)+uint64(len(part.Data)) > uint64(len(p.data)) {
		return false
	}
	p.gotP += uint64(copy(p.params[part.ParamDisp:], part.Params))
	p.gotD += uint64(copy(p.data[part.DataDisp:], part.Data))
	return true
}
