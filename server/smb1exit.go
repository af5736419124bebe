package server

import "github.com/zerosmb/zerosmb/smb2"

// notePID records that process pid opened fid (PROCESS_EXIT closes it).
func (s *smb1State) notePID(fid, pid uint16) {
	if s.fidPIDs == nil {
		s.fidPIDs = map[uint16]uint16{}
	}
	s.fidPIDs[fid] = pid
}

// smb1ProcessExit is PROCESS_EXIT: it closes every open the session's
// process (the header's PID) made on this connection, as Samba does; a
// lock waiting on one of them ends with RANGE_NOT_LOCKED.
func (c *conn) smb1ProcessExit(r *smb1Req) smb1Resp {
	pid := r.hdr.PIDLow
	for fid, id := range c.s1.fids {
		if p, ok := c.s1.fidPIDs[fid]; !ok || p != pid {
			continue
		}
		c.mu.Lock()
		o := c.opens[id.Volatile]
		c.mu.Unlock()
		if o == nil || o.id != id || o.sess != r.sess {
			continue
		}
		rq := *r
		rq.tree = o.tree
		if st := c.smb2Close(&rq, id); st == smb2.StatusSuccess || st == smb2.StatusFileClosed {
			delete(c.s1.fids, fid)
			delete(c.s1.fidPIDs, fid)
		}
	}
	return smb1Resp{}
}
