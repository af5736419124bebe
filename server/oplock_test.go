package server

import (
	"testing"

	"github.com/zerosmb/zerosmb/smb2"
)

func TestOplockBreakAck(t *testing.T) {
	u := newUnitConn(t)
	o := u.open(t, "o", fileReadData)
	ack := func(size uint16, id smb2.FileID) smb2.Status {
		b := le.AppendUint16(nil, size)
		b = append(b, make([]byte, 6)...)
		b = le.AppendUint64(b, id.Persistent)
		b = le.AppendUint64(b, id.Volatile)
		if size == 36 {
			b = append(b, make([]byte, 12)...)
		}
		return u.c.handleOplockBreak(u.req(smb2.OplockBreak, b)).status
	}
	if st := ack(24, o.id); st != smb2.StatusInvalidOplockProtocol {
		t.Errorf("oplock ack: %v", st)
	}
	if st := ack(24, smb2.FileID{Persistent: 1, Volatile: 1}); st != smb2.StatusFileClosed {
		t.Errorf("oplock ack on a bad FileId: %v", st)
	}
	if st := ack(36, o.id); st != smb2.StatusObjectNameNotFound {
		t.Errorf("lease ack: %v", st)
	}
}
