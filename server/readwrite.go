package server

import (
	"errors"
	"io"
	"math"

	"github.com/zerosmb/zerosmb/internal/zerocopy"
	"github.com/zerosmb/zerosmb/smb2"
)

// READ and WRITE (MS-SMB2 3.3.5.12, 3.3.5.13).
//
// Handlers never move file payload themselves on the zero-copy paths: READ
// returns a readData descriptor and the frame writer decides between
// sendfile and a copy; a header-split WRITE is validated completely and
// then handed to receivePayload, which splices the payload from the socket
// into the file.

// maxFileSize is the largest file size NTFS allows (16 TiB - 64 KiB);
// WRITEs that would end past it fail with STATUS_INVALID_PARAMETER.
const maxFileSize = 0xfffffff0000

// handleRead is SMB2 READ.
func (c *conn) handleRead(r *request) response {
	req, err := smb2.DecodeReadRequest(r.msg)
	if err != nil {
		return errResp(smb2.StatusInvalidParameter)
	}
	o, st := c.lookupOpen(r, req.FileID)
	if st != smb2.StatusSuccess {
		return errResp(st)
	}
	if o.pipe != nil {
		return c.readPipe(r, o, &req)
	}
	n, st := c.checkRead(o, r.lockPID, &req, c.maxIO)
	if st != smb2.StatusSuccess {
		return errResp(st)
	}
	o.mu.Lock()
	o.position = int64(req.Offset) + n // FilePositionInformation follows I/O
	o.mu.Unlock()
	body := smb2.AppendReadResponseHeader(r.small[:0], uint32(n), 0)
	if n == 0 {
		return response{body: body}
	}
	r.rd = readData{f: o.file, off: int64(req.Offset), n: n}
	return response{body: body, data: &r.rd}
}

// checkRead validates a READ by SMB1 process pid (0 for SMB2) on a file
// and returns how many bytes to send.
func (c *conn) checkRead(o *open, pid uint16, req *smb2.ReadRequest, maxIO uint32) (int64, smb2.Status) {
	if o.isDir || o.file == nil || isLinkOpen(o) {
		return 0, smb2.StatusInvalidDeviceRequest
	}
	if o.access&(fileReadData|fileExecute) == 0 {
		return 0, smb2.StatusAccessDenied
	}
	if req.Length > maxIO || req.Channel != smb2.ChannelNone ||
		req.Offset > math.MaxInt64 || uint64(req.Length) > math.MaxInt64-req.Offset {
		return 0, smb2.StatusInvalidParameter
	}
	if req.Length == 0 {
		// A zero-byte read succeeds wherever it points unless a minimum
		// was asked for.
		if req.MinimumCount > 0 {
			return 0, smb2.StatusEndOfFile
		}
		return 0, smb2.StatusSuccess
	}
	if c.srv.state.ioConflicts(o, pid, req.Offset, uint64(req.Length), false) {
		return 0, smb2.StatusFileLockConflict
	}
	fi, err := o.file.Stat()
	if err != nil {
		return 0, statusFromError(err)
	}
	size := fi.Size()
	off := int64(req.Offset)
	n := min(int64(req.Length), size-off)
	if rl, ok := o.file.(readLimiter); ok {
		if m, ok := rl.readLength(off, int64(req.Length)); ok {
			n = m // AFP_AfpInfo (afpinfo.go)
		}
	}
	if n <= 0 {
		return 0, smb2.StatusEndOfFile
	}
	if n < int64(req.MinimumCount) {
		return 0, smb2.StatusEndOfFile
	}
	return n, smb2.StatusSuccess
}

// handleWrite is SMB2 WRITE, in both entry modes: the whole message in
// r.msg, or (header splitting) only header and fixed part in r.msg with
// r.split.remaining payload bytes still in the socket.
func (c *conn) handleWrite(r *request) response {
	var (
		req  smb2.WriteRequest
		data []byte
		err  error
	)
	if r.split != nil {
		if len(r.msg) < splitHeaderSize {
			return errResp(smb2.StatusInvalidParameter)
		}
		req, err = smb2.DecodeWriteRequestFixed(r.msg[smb2.HeaderSize:])
		if err == nil && int64(req.Length) != r.split.remaining {
			err = smb2.ErrMalformed
		}
	} else {
		req, data, err = smb2.DecodeWriteRequest(r.msg)
	}
	if err != nil {
		return errResp(smb2.StatusInvalidParameter)
	}
	o, st := c.lookupOpen(r, req.FileID)
	if st != smb2.StatusSuccess {
		return errResp(st)
	}
	if req.Length > c.maxIO {
		return errResp(smb2.StatusInvalidParameter)
	}
	if o.pipe != nil {
		if r.split != nil {
			data = make([]byte, r.split.remaining)
			r.split.remaining = 0
			if _, err := io.ReadFull(c.nc, data); err != nil {
				return dropConn
			}
		}
		return c.writePipe(o, data)
	}
	off, st := c.checkWrite(o, r.lockPID, &req)
	if st != smb2.StatusSuccess {
		return errResp(st)
	}
	c.srv.state.contend(o) // other opens' read caching goes (3.3.4.7)
	var n int64
	if r.split != nil {
		n, err = c.receivePayload(r, o.file, off)
		if err != nil {
			if fe := (*zerocopy.FileError)(nil); !errors.As(err, &fe) {
				c.log.Warn("receiving WRITE payload failed; closing", "err", err)
				return dropConn
			}
		}
	} else if len(data) > 0 {
		var m int
		m, err = o.file.WriteAt(data, off)
		n = int64(m)
	}
	if err != nil {
		return errResp(statusFromError(err))
	}
	o.mu.Lock()
	o.position = off + n
	o.wrote = o.wrote || n > 0
	o.mu.Unlock()
	c.srv.data.write.Add(uint64(n))
	switch {
	case r.split != nil:
		c.srv.data.writeSplit.Add(uint64(n))
	case r.encrypted:
		c.srv.data.writeSealed.Add(uint64(n))
	case r.signed:
		c.srv.data.writeSigned.Add(uint64(n))
	}
	if req.Flags&smb2.WriteFlagWriteThrough != 0 {
		if err := o.file.Sync(); err != nil {
			return errResp(statusFromError(err))
		}
	}
	return response{body: (&smb2.WriteResponse{Count: uint32(n)}).Append(r.small[:0])}
}

// checkWrite validates a WRITE on a file and returns the file offset to
// write at.
func (c *conn) checkWrite(o *open, pid uint16, req *smb2.WriteRequest) (int64, smb2.Status) {
	if o.isDir || o.file == nil || isLinkOpen(o) {
		return 0, smb2.StatusInvalidDeviceRequest
	}
	if o.access&(fileWriteData|fileAppendData) == 0 || (o.tree != nil && o.tree.readOnly) {
		return 0, smb2.StatusAccessDenied
	}
	if req.Channel != smb2.ChannelNone {
		return 0, smb2.StatusInvalidParameter
	}
	off := req.Offset
	// Append-only opens (FILE_APPEND_DATA without FILE_WRITE_DATA) always
	// write at end of file, whatever the offset, all-ones included.
	if o.access&fileWriteData == 0 {
		fi, err := o.file.Stat()
		if err != nil {
			return 0, statusFromError(err)
		}
		off = uint64(fi.Size())
	}
	// Offsets past 2^63-1 and writes ending past the NTFS maximum file
	// size are invalid; one ending exactly there does not fit (Windows'
	// answers in smbtorture smb2.rw.invalid).
	if off > math.MaxInt64 || (req.Length > 0 && uint64(req.Length) > maxFileSize-min(off, maxFileSize)) {
		return 0, smb2.StatusInvalidParameter
	}
	if req.Length > 0 && off+uint64(req.Length) == maxFileSize {
		return 0, smb2.StatusDiskFull
	}
	if o.stream != "" && c.srv != nil && off+uint64(req.Length) > uint64(c.srv.cfg.MaxStreamSize) {
		return 0, smb2.StatusDiskFull // Config.MaxStreamSize
	}
	if c.srv.state.ioConflicts(o, pid, off, uint64(req.Length), true) {
		return 0, smb2.StatusFileLockConflict
	}
	return int64(off), smb2.StatusSuccess
}
