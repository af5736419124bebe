package server

import "sync/atomic"

// DataStats counts file payload bytes a Server moved since it was created:
// READ and WRITE payloads in total, and how many of them took the
// zero-copy paths. Operators use it to see whether sendfile and splice
// actually carry the traffic (signed and encrypted sessions, compounds and
// small WRITEs take the copy path).
type DataStats struct {
	ReadBytes         uint64 // READ payload bytes sent
	ReadSendfileBytes uint64 // of those, sent with sendfile(2)
	WriteBytes        uint64 // WRITE payload bytes written to files
	// WriteSplitBytes are the WRITE payload bytes received by header
	// splitting: spliced socket → pipe → file, unless the filesystem
	// refused splice and they were copied there instead.
	WriteSplitBytes uint64
	// Payload bytes of READs and WRITEs on signed (not encrypted) and on
	// encrypted messages; these always take the copy path, except signed
	// READs with Config.SignedSendfile.
	ReadSignedBytes, WriteSignedBytes uint64
	ReadSealedBytes, WriteSealedBytes uint64
}

// dataCounters is DataStats, updated atomically by the connections.
type dataCounters struct {
	read, readSendfile, write, writeSplit            atomic.Uint64
	readSigned, writeSigned, readSealed, writeSealed atomic.Uint64
}

// DataStats returns the payload counters.
func (s *Server) DataStats() DataStats {
	c := &s.data
	return DataStats{
		ReadBytes:         c.read.Load(),
		ReadSendfileBytes: c.readSendfile.Load(),
		WriteBytes:        c.write.Load(),
		WriteSplitBytes:   c.writeSplit.Load(),
		ReadSignedBytes:   c.readSigned.Load(),
		WriteSignedBytes:  c.writeSigned.Load(),
		ReadSealedBytes:   c.readSealed.Load(),
		WriteSealedBytes:  c.writeSealed.Load(),
	}
}
