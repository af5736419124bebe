package server

import (
	"crypto/rand"
	"io"
	"sync"

	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs"
)

// Server-side copy: FSCTL_SRV_REQUEST_RESUME_KEY names a source open with
// an opaque key; FSCTL_SRV_COPYCHUNK(_WRITE) on the target open copies
// ranges from it without the data crossing the network (MS-SMB2
// 3.3.5.15.6).

// Server-side copy limits, as Windows Server reports them.
const (
	copyChunkMaxChunks = 256
	copyChunkMaxSize   = 1 << 20
	copyChunkMaxTotal  = 16 << 20
)

// resumeKeys maps resume keys to source opens. Keys are random, so one
// table serves every Server in the process.
var resumeKeys struct {
	sync.Mutex
	m map[[24]byte]*open
}

// requestResumeKey is FSCTL_SRV_REQUEST_RESUME_KEY.
func (c *conn) requestResumeKey(o *open) ioctlResult {
	if o.isDir || o.file == nil {
		return ioctlErr(smb2.StatusInvalidParameter)
	}
	var key [smb2.ResumeKeySize]byte
	rand.Read(key[:])
	resumeKeys.Lock()
	if resumeKeys.m == nil {
		resumeKeys.m = make(map[[24]byte]*open)
	}
	resumeKeys.m[key] = o
	resumeKeys.Unlock()
	o.mu.Lock()
	o.atClose(func() {
		resumeKeys.Lock()
		delete(resumeKeys.m, key)
		resumeKeys.Unlock()
	})
	o.mu.Unlock()
	return ioctlResult{out: smb2.AppendResumeKeyResponse(nil, key)}
}

// copyChunk is one element of SRV_COPYCHUNK_COPY.
type copyChunk struct {
	src, dst int64
	n        uint32
}

// decodeCopyChunkCopy parses SRV_COPYCHUNK_COPY (smb2.DecodeCopyChunkCopy).
func decodeCopyChunkCopy(b []byte) (key [24]byte, chunks []copyChunk, ok bool) {
	r, err := smb2.DecodeCopyChunkCopy(b)
	if err != nil {
		return key, nil, false
	}
	chunks = make([]copyChunk, len(r.Chunks))
	for i, ch := range r.Chunks {
		chunks[i] = copyChunk{src: int64(ch.SourceOffset), dst: int64(ch.TargetOffset), n: ch.Length}
	}
	return r.SourceKey, chunks, true
}

// appendCopyChunkResponse appends SRV_COPYCHUNK_RESPONSE.
func appendCopyChunkResponse(dst []byte, chunks, chunkBytes, total uint32) []byte {
	r := smb2.CopyChunkResponse{ChunksWritten: chunks, ChunkBytesWritten: chunkBytes, TotalBytesWritten: total}
	return r.Append(dst)
}

// copyChunk is FSCTL_SRV_COPYCHUNK and FSCTL_SRV_COPYCHUNK_WRITE on the
// target open o.
func (c *conn) copyChunk(o *open, req *smb2.IoctlRequest) ioctlResult {
	if o.isDir || o.file == nil {
		return ioctlErr(smb2.StatusInvalidParameter)
	}
	if o.access&fileWriteData == 0 || o.tree.readOnly ||
		(req.CtlCode == smb2.FsctlSrvCopychunk && o.access&fileReadData == 0) {
		return ioctlErr(smb2.StatusAccessDenied)
	}
	if req.MaxOutputResponse < 12 {
		return ioctlErr(smb2.StatusInvalidParameter)
	}
	key, chunks, ok := decodeCopyChunkCopy(req.Input)
	if !ok {
		return ioctlErr(smb2.StatusInvalidParameter)
	}
	resumeKeys.Lock()
	src := resumeKeys.m[key]
	resumeKeys.Unlock()
	if src == nil || src.sess != o.sess {
		return ioctlErr(smb2.StatusObjectNameNotFound)
	}
	if src.access&(fileReadData|fileExecute) == 0 {
		return ioctlErr(smb2.StatusAccessDenied)
	}
	if len(chunks) == 0 && c.aaplCopyfile.Load() && src.stream == "" && o.stream == "" {
		c.serverSideWrite(o)
		return copyfile(src, o) // Apple's copyfile (aapl.go)
	}
	if st := checkCopyChunks(chunks); st != smb2.StatusSuccess {
		// The limits go back in the response body (3.3.5.15.6).
		return ioctlResult{st: st, out: appendCopyChunkResponse(nil, copyChunkMaxChunks, copyChunkMaxSize, copyChunkMaxTotal)}
	}
	if len(chunks) > 0 {
		c.serverSideWrite(o)
	}
	var total uint32
	for i, ch := range chunks {
		if st := copyChunkLocks(c.srv.state, src, o, ch); st != smb2.StatusSuccess {
			return ioctlResult{st: st, out: appendCopyChunkResponse(nil, uint32(i), 0, total)}
		}
		n, err := copyRange(o.file, ch.dst, src.file, ch.src, int64(ch.n))
		total += uint32(n)
		if err != nil {
			st := statusFromError(err)
			if err == io.EOF {
				st = smb2.StatusInvalidViewSize
			}
			return ioctlResult{st: st, out: appendCopyChunkResponse(nil, uint32(i), uint32(n), total)}
		}
	}
	return ioctlResult{out: appendCopyChunkResponse(nil, uint32(len(chunks)), 0, total)}
}

// checkCopyChunks enforces the server-side copy limits.
func checkCopyChunks(chunks []copyChunk) smb2.Status {
	if len(chunks) > copyChunkMaxChunks {
		return smb2.StatusInvalidParameter
	}
	var total uint64
	for _, ch := range chunks {
		if ch.n == 0 || ch.n > copyChunkMaxSize || ch.src < 0 || ch.dst < 0 {
			return smb2.StatusInvalidParameter
		}
		total += uint64(ch.n)
	}
	if total > copyChunkMaxTotal {
		return smb2.StatusInvalidParameter
	}
	return smb2.StatusSuccess
}

// copyChunkLocks checks the byte-range locks of both ends of a chunk.
func copyChunkLocks(state lockState, src, dst *open, ch copyChunk) smb2.Status {
	for _, side := range []struct {
		o     *open
		off   int64
		write bool
	}{{src, ch.src, false}, {dst, ch.dst, true}} {
		if state.ioConflicts(side.o, 0, uint64(side.off), uint64(ch.n), side.write) {
			return smb2.StatusFileLockConflict
		}
	}
	return smb2.StatusSuccess
}

// copyRange copies n bytes from src at srcOff to dst at dstOff. Reading
// past the end of src fails with io.EOF (the chunk must lie inside the
// source, as on Windows).
func copyRange(dst vfs.File, dstOff int64, src vfs.File, srcOff, n int64) (int64, error) {
	buf := make([]byte, min(n, 1<<20))
	var done int64
	for done < n {
		b := buf[:min(int64(len(buf)), n-done)]
		m, err := src.ReadAt(b, srcOff+done)
		if m < len(b) {
			if err == nil || err == io.EOF {
				return done, io.EOF
			}
			return done, err
		}
		w, err := dst.WriteAt(b, dstOff+done)
		done += int64(w)
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// serverSideWrite is what a WRITE does before data changes, for writes
// the server makes on o's behalf (COPYCHUNK, SET_ZERO_DATA): other opens'
// read caching is broken, and o's close reports the change (and breaks
// its directory's leases).
func (c *conn) serverSideWrite(o *open) {
	c.srv.state.contend(o)
	o.mu.Lock()
	o.wrote = true
	o.mu.Unlock()
}
