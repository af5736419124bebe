package server

import (
	"errors"
	"io"
	"io/fs"

	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs"
)

// Sparse files (MS-FSCC 2.3.64 FSCTL_SET_SPARSE, 2.3.57
// FSCTL_SET_ZERO_DATA, 2.3.33 FSCTL_QUERY_ALLOCATED_RANGES, 2.4.4
// FileAllocationInformation). The backend does the work when it
// implements vfs.SparseFile (osfs on Linux: fallocate and
// SEEK_DATA/SEEK_HOLE): zeroing a range never writes data, and never
// allocates what was a hole. Without it, zeroing writes zeros over the
// data regions only, at most Config.MaxZeroFill bytes per request, and
// stops when the client goes.

// isSparse reports whether a file carries FILE_ATTRIBUTE_SPARSE_FILE:
// as set by FSCTL_SET_SPARSE, or, for a file the server has no record
// of, whether it has holes (a whole 4 KiB block fewer allocated than
// its size), so the flag of a file with holes survives a restart.
func isSparse(fi fs.FileInfo, m pathMeta) bool {
	if fi.IsDir() {
		return false
	}
	if m.sparseSet {
		return m.sparse
	}
	return vfs.AllocationSize(fi)+4096 <= fi.Size()
}

// openSparse reports whether o's file is sparse now.
func (c *conn) openSparse(o *open, fi fs.FileInfo) bool {
	return isSparse(fi, c.srv.nodes.ns.getMeta(o.tree.share, o.path()))
}

// setSparse is FSCTL_SET_SPARSE: sets or clears the sparse flag of a
// file (no buffer means set). Clearing it does not fill holes; the file
// is then reported fully allocated, as Samba does.
func (c *conn) setSparse(o *open, in []byte) ioctlResult {
	if o.isDir || o.file == nil {
		return ioctlErr(smb2.StatusInvalidParameter)
	}
	if o.access&(fileWriteData|fileAppendData|fileWriteAttributes) == 0 || o.tree.readOnly {
		return ioctlErr(smb2.StatusAccessDenied)
	}
	set := smb2.DecodeSetSparse(in)
	c.srv.nodes.ns.updateMeta(o.tree.share, o.path(), func(m *pathMeta) { m.sparse, m.sparseSet = set, true })
	c.srv.nodes.ns.notifyFiltered(o.tree.share, o.path(), smb2.FileActionModified, smb2.FileNotifyChangeAttributes)
	return ioctlResult{}
}

// queryAllocatedRanges is FSCTL_QUERY_ALLOCATED_RANGES: the data regions
// of a sparse file within the queried range (clipped to the file size);
// a non-sparse file is one allocated range. When not all ranges fit,
// those that do come back with STATUS_BUFFER_OVERFLOW. The output
// buffer bounds the work (two lseeks per range); a long walk stops when
// the client goes.
func (c *conn) queryAllocatedRanges(o *open, req *smb2.IoctlRequest) ioctlResult {
	if o.isDir || o.file == nil {
		return ioctlErr(smb2.StatusInvalidParameter)
	}
	if o.access&fileReadData == 0 {
		return ioctlErr(smb2.StatusAccessDenied)
	}
	q, err := smb2.DecodeAllocatedRangeQuery(req.Input)
	if err != nil {
		return ioctlErr(asStatus(err))
	}
	fi, err := o.file.Stat()
	if err != nil {
		return ioctlErr(statusFromError(err))
	}
	end := min(q.End(), fi.Size())
	if end <= q.Offset {
		return ioctlResult{}
	}
	room := int(req.MaxOutputResponse / smb2.AllocatedRangeSize)
	sf, ok := o.file.(vfs.SparseFile)
	if !ok || !c.openSparse(o, fi) {
		if room == 0 {
			return ioctlErr(smb2.StatusBufferTooSmall)
		}
		return ioctlResult{out: smb2.FileRange{Offset: q.Offset, Length: end - q.Offset}.Append(nil)}
	}
	var out []byte
	for off, n := q.Offset, 1; off < end; n++ {
		if n%4096 == 0 && c.peerGone() {
			return ioctlErr(smb2.StatusCancelled)
		}
		data, hole, err := sf.NextData(off)
		if err == io.EOF || (err == nil && data >= end) {
			break
		}
		if err != nil {
			return ioctlErr(statusFromError(err))
		}
		if len(out) == room*smb2.AllocatedRangeSize {
			if room == 0 {
				return ioctlErr(smb2.StatusBufferTooSmall)
			}
			return ioctlResult{out: out, st: smb2.StatusBufferOverflow}
		}
		r := smb2.FileRange{Offset: max(data, off), Length: min(hole, end) - max(data, off)}
		out = r.Append(out)
		off = r.End()
	}
	return ioctlResult{out: out}
}

// setZeroData is FSCTL_SET_ZERO_DATA: zero [FileOffset, BeyondFinalZero)
// within the current file size. A sparse file gets a hole punched; in a
// non-sparse one the data regions are zeroed in place (ZERO_RANGE).
// Holes stay holes either way, so the request never allocates space.
func (c *conn) setZeroData(o *open, in []byte) ioctlResult {
	if o.isDir || o.file == nil {
		return ioctlErr(smb2.StatusInvalidParameter)
	}
	if o.access&fileWriteData == 0 || o.tree.readOnly {
		return ioctlErr(smb2.StatusAccessDenied)
	}
	r, err := smb2.DecodeZeroDataRange(in)
	if err != nil {
		return ioctlErr(asStatus(err))
	}
	if c.srv.state.ioConflicts(o, 0, uint64(r.Offset), uint64(r.Length), true) {
		return ioctlErr(smb2.StatusFileLockConflict)
	}
	fi, err := o.file.Stat()
	if err != nil {
		return ioctlErr(statusFromError(err))
	}
	end := min(r.End(), fi.Size())
	if end <= r.Offset {
		return ioctlResult{}
	}
	c.serverSideWrite(o)
	st := c.zeroRange(o, fi, r.Offset, end)
	if st == smb2.StatusSuccess {
		c.srv.nodes.ns.notifyFiltered(o.tree.share, o.path(), smb2.FileActionModified, smb2.FileNotifyChangeLastWrite)
	}
	return ioctlErr(st)
}

// zeroRange zeroes [off, end) of o's file, inside its size.
func (c *conn) zeroRange(o *open, fi fs.FileInfo, off, end int64) smb2.Status {
	sf, ok := o.file.(vfs.SparseFile)
	if !ok {
		return c.fillZeros(o, []smb2.FileRange{{Offset: off, Length: end - off}})
	}
	if c.openSparse(o, fi) {
		err := sf.PunchHole(off, end-off)
		if !errors.Is(err, errors.ErrUnsupported) {
			return errStatus(err)
		}
	}
	// The data regions: holes already read as zeros.
	var regions []smb2.FileRange
	for p := off; p < end; {
		if len(regions)%4096 == 4095 && c.peerGone() {
			return smb2.StatusCancelled
		}
		data, hole, err := sf.NextData(p)
		if err == io.EOF || (err == nil && data >= end) {
			break
		}
		if err != nil {
			return statusFromError(err)
		}
		r := smb2.FileRange{Offset: max(data, p), Length: min(hole, end) - max(data, p)}
		regions = append(regions, r)
		p = r.End()
	}
	for i, r := range regions {
		err := sf.ZeroRange(r.Offset, r.Length)
		if errors.Is(err, errors.ErrUnsupported) {
			// Punch, then allocate again what was allocated.
			if err = sf.PunchHole(r.Offset, r.Length); err == nil {
				if aerr := sf.Allocate(r.Offset, r.Length); aerr != nil && !errors.Is(aerr, errors.ErrUnsupported) {
					err = aerr
				}
			}
		}
		if errors.Is(err, errors.ErrUnsupported) {
			return c.fillZeros(o, regions[i:])
		}
		if err != nil {
			return statusFromError(err)
		}
	}
	return smb2.StatusSuccess
}

// errStatus is statusFromError that maps nil to success.
func errStatus(err error) smb2.Status {
	if err == nil {
		return smb2.StatusSuccess
	}
	return statusFromError(err)
}

// zeroFillChunk is the write size of the zero-filling fallback; the
// client's presence is checked between chunks.
const zeroFillChunk = 256 << 10

// fillZeros writes zeros over regions: the fallback for backends that
// cannot punch or zero ranges. At most Config.MaxZeroFill bytes per
// request (more is STATUS_NOT_SUPPORTED, before anything is written);
// it stops with STATUS_CANCELLED when the client has gone.
func (c *conn) fillZeros(o *open, regions []smb2.FileRange) smb2.Status {
	var total int64
	for _, r := range regions {
		total += r.Length
	}
	if total > c.srv.cfg.MaxZeroFill {
		c.log.Warn("FSCTL_SET_ZERO_DATA refused: the backend cannot punch holes and the range exceeds MaxZeroFill",
			"bytes", total, "max", c.srv.cfg.MaxZeroFill)
		return smb2.StatusNotSupported
	}
	zero := make([]byte, min(total, zeroFillChunk))
	for _, r := range regions {
		for off := r.Offset; off < r.End(); {
			if c.peerGone() {
				c.log.Debug("FSCTL_SET_ZERO_DATA abandoned: the client has gone", "path", o.path())
				return smb2.StatusCancelled
			}
			chunk := zero[:min(int64(len(zero)), r.End()-off)]
			if _, err := o.file.WriteAt(chunk, off); err != nil {
				return statusFromError(err)
			}
			off += int64(len(chunk))
		}
	}
	return smb2.StatusSuccess
}
