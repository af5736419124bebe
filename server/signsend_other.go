//go:build !linux

package server

// Signed sendfile (Config.SignedSendfile) needs Linux sendfile
// semantics; it is not available on this platform and
// signed READs always take the copy path.

// canSignedSendfile reports false: signed sendfile is not available here.
func (b *frameBuilder) canSignedSendfile(r *request, d *readData) bool { return false }

// signWithFile is never reached on this platform.
func (b *frameBuilder) signWithFile(msg []byte, d *readData) bool { return false }

// fileStamp is unused here (signed sendfile is Linux only).
type fileStamp struct{}

// sendSignedWithFile is never reached on this platform.
func (c *conn) sendSignedWithFile(hdr []byte, d *readData, stamp fileStamp, last byte) error {
	return errCloseConn
}

// openMap is the per-open mapping of SignedHashOpenMap (Linux only).
type openMap struct{}

func (*openMap) close() {}
