package server

import (
	"encoding/binary"
	"testing"

	"github.com/zerosmb/zerosmb/smb2"
)

func TestCopyChunk(t *testing.T) {
	u := newUnitConn(t)
	src := u.open(t, "src", fileReadData)
	dst := u.open(t, "dst", fileReadData|fileWriteData)
	payload := make([]byte, 5000)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	src.file.WriteAt(payload, 0)
	r := u.c.handleIoctl(u.req(smb2.Ioctl, ioctlBody(smb2.FsctlSrvRequestResumeKey, src.id, nil, 32)))
	if r.status != smb2.StatusSuccess {
		t.Fatalf("REQUEST_RESUME_KEY: %v", r.status)
	}
	key := ioctlOut(t, r.body)[:24]
	copyReq := func(chunks ...[3]uint64) []byte {
		b := append([]byte(nil), key...)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(chunks)))
		b = binary.LittleEndian.AppendUint32(b, 0)
		for _, ch := range chunks {
			b = binary.LittleEndian.AppendUint64(b, ch[0])
			b = binary.LittleEndian.AppendUint64(b, ch[1])
			b = binary.LittleEndian.AppendUint32(b, uint32(ch[2]))
			b = binary.LittleEndian.AppendUint32(b, 0)
		}
		return b
	}
	r = u.c.handleIoctl(u.req(smb2.Ioctl, ioctlBody(smb2.FsctlSrvCopychunk, dst.id, copyReq([3]uint64{0, 100, 4000}, [3]uint64{4000, 0, 100}), 12)))
	out := ioctlOut(t, r.body)
	if r.status != smb2.StatusSuccess || binary.LittleEndian.Uint32(out) != 2 || binary.LittleEndian.Uint32(out[8:]) != 4100 {
		t.Fatalf("COPYCHUNK: %v %x", r.status, out)
	}
	got := make([]byte, 4100)
	dst.file.ReadAt(got, 0)
	if string(got[100:4100]) != string(payload[:4000]) || string(got[:100]) != string(payload[4000:4100]) {
		t.Error("COPYCHUNK copied the wrong bytes")
	}
	// Past the end of the source.
	r = u.c.handleIoctl(u.req(smb2.Ioctl, ioctlBody(smb2.FsctlSrvCopychunk, dst.id, copyReq([3]uint64{4990, 0, 100}), 12)))
	if r.status != smb2.StatusInvalidViewSize {
		t.Errorf("COPYCHUNK past source EOF: %v", r.status)
	}
	// Over the limits: INVALID_PARAMETER with the limits in the body.
	r = u.c.handleIoctl(u.req(smb2.Ioctl, ioctlBody(smb2.FsctlSrvCopychunk, dst.id, copyReq([3]uint64{0, 0, 2 << 20}), 12)))
	if out := ioctlOut(t, r.body); r.status != smb2.StatusInvalidParameter || binary.LittleEndian.Uint32(out[4:]) != copyChunkMaxSize {
		t.Errorf("oversized chunk: %v %x", r.status, out)
	}
	// Closing the source invalidates the key.
	u.c.removeOpen(src)
	u.c.closeOpen(src)
	r = u.c.handleIoctl(u.req(smb2.Ioctl, ioctlBody(smb2.FsctlSrvCopychunk, dst.id, copyReq([3]uint64{0, 0, 10}), 12)))
	if r.status != smb2.StatusObjectNameNotFound {
		t.Errorf("COPYCHUNK with a stale key: %v", r.status)
	}
}

func FuzzDecodeCopyChunkCopy(f *testing.F) {
	f.Add(make([]byte, 32))
	f.Add(append(append(make([]byte, 24), 1, 0, 0, 0, 0, 0, 0, 0), make([]byte, 24)...))
	f.Add(append(make([]byte, 24), 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, chunks, ok := decodeCopyChunkCopy(b)
		if ok && 32+24*len(chunks) > len(b) {
			t.Fatalf("%d chunks decoded from %d bytes", len(chunks), len(b))
		}
	})
}

// TestAAPLCopyfile: a COPYCHUNK with no chunks copies nothing until OSX
// copyfile was negotiated; then it copies the whole file and its named
// streams (memfs keeps them as attributes, as osfs does).
func TestAAPLCopyfile(t *testing.T) {
	u := newUnitConn(t)
	src := u.open(t, "src", fileReadData)
	dst := u.open(t, "dst", fileReadData|fileWriteData)
	payload := []byte("copyfile payload")
	src.file.WriteAt(payload, 0)
	if err := eaStore(src).Setxattr(streamXattrPrefix+afpResourceStream, []byte("rsrc")); err != nil {
		t.Fatal(err)
	}
	r := u.c.handleIoctl(u.req(smb2.Ioctl, ioctlBody(smb2.FsctlSrvRequestResumeKey, src.id, nil, 32)))
	key := ioctlOut(t, r.body)[:24]
	zero := append(append([]byte(nil), key...), make([]byte, 8)...)
	copyfile := func() (smb2.Status, uint32) {
		r := u.c.handleIoctl(u.req(smb2.Ioctl, ioctlBody(smb2.FsctlSrvCopychunk, dst.id, zero, 12)))
		return r.status, binary.LittleEndian.Uint32(ioctlOut(t, r.body)[8:])
	}
	if st, n := copyfile(); st != smb2.StatusSuccess || n != 0 {
		t.Errorf("0-chunk COPYCHUNK without AAPL: %v, %d bytes", st, n)
	}
	u.c.aaplReply(u.tree.share, &smb2.AAPLQuery{Command: smb2.AAPLServerQuery, Bitmap: smb2.AAPLServerCaps})
	if st, n := copyfile(); st != smb2.StatusSuccess || n != uint32(len(payload)) {
		t.Fatalf("copyfile: %v, %d bytes", st, n)
	}
	got := make([]byte, len(payload))
	dst.file.ReadAt(got, 0)
	v, err := eaStore(dst).Getxattr(streamXattrPrefix + afpResourceStream)
	if string(got) != string(payload) || string(v) != "rsrc" || err != nil {
		t.Errorf("copied %q, resource fork %q %v", got, v, err)
	}
}
