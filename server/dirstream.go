package server

import (
	"io"
	"io/fs"
	"os"
	"sync/atomic"

	"github.com/zerosmb/zerosmb/smb2"
	"github.com/zerosmb/zerosmb/vfs"
)

// Directory enumeration state, bounded per handle. An enumeration reads
// the backend's listing as a stream, a few entries at a time, in the
// backend's order (Windows and Samba do not sort either); what a handle
// keeps between QUERY_DIRECTORY requests is its position (the last
// listing entry consumed, and how many) and, while it holds a stream
// slot, the open listing itself (for osfs: one descriptor; the 8 KiB
// getdents buffer and up to dirChunk read-ahead entries are dropped at
// the end of each request when the backend can resume after an entry). Slots are
// bounded per connection (Config.MaxDirStreamsPerConn) and server-wide
// (Config.MaxDirStreams). An enumeration that gets no slot reopens the
// listing for each request and resumes after its last entry
// (vfs.DirResumer: osfs on Linux seeks to the entry's getdents offset,
// memfs goes by name), so entries the client deleted meanwhile cause no
// skipping; backends without it skip as many entries as were consumed
// (slower, and inexact if entries were removed).

// dirChunk is how many entries an enumeration reads from the backend at
// a time, and so the most it keeps read ahead.
const dirChunk = 32

// dirEnum is one handle's enumeration (open.dir, guarded by open.mu).
type dirEnum struct {
	pattern  *smb2.Pattern
	dots     int           // "." and ".." not yet considered: 2, 1 or 0
	stream   vfs.File      // the open listing, nil between requests without a slot
	slot     bool          // stream holds a slot
	ahead    []fs.DirEntry // read from stream, not yet consumed
	consumed int64         // listing entries consumed (sent or filtered out)
	last     fs.DirEntry   // the last one, to resume after (vfs.DirResumer)
	eof      bool          // the listing is exhausted
	matched  bool          // some entry matched the pattern
}

// dirSlots counts the enumerations holding an open listing, server-wide.
type dirSlots struct{ n atomic.Int64 }

// acquireDirSlot takes a stream slot for c if both bounds allow it.
func (c *conn) acquireDirSlot() bool {
	if c.dirStreams.Add(1) > int64(c.srv.cfg.MaxDirStreamsPerConn) {
		c.dirStreams.Add(-1)
		return false
	}
	if c.srv.dirSlots.n.Add(1) > int64(c.srv.cfg.MaxDirStreams) {
		c.srv.dirSlots.n.Add(-1)
		c.dirStreams.Add(-1)
		return false
	}
	return true
}

func (c *conn) releaseDirSlot() {
	c.dirStreams.Add(-1)
	c.srv.dirSlots.n.Add(-1)
}

// closeStream closes the listing and gives its slot back. The position
// stays, so the enumeration can resume.
func (c *conn) closeStream(d *dirEnum) {
	if d.stream != nil {
		d.stream.Close()
		d.stream = nil
	}
	if d.slot {
		c.releaseDirSlot()
		d.slot = false
	}
	d.ahead = nil
}

// endDirEnum drops the enumeration of o (restart, close). The caller
// holds o.mu.
func (c *conn) endDirEnum(o *open) {
	if o.dir != nil {
		c.closeStream(o.dir)
		o.dir = nil
	}
}

// openListing makes sure d has its listing open at its position: with a
// slot if one is free, otherwise for this request only (park undoes
// that). Skipping to the position reads and drops entries in chunks.
func (c *conn) openListing(o *open, d *dirEnum) smb2.Status {
	if d.stream != nil || d.eof {
		return smb2.StatusSuccess
	}
	f, err := o.tree.fs().OpenFile(vfsName(o.name), os.O_RDONLY, 0) // listed as the user
	if err != nil {
		return statusFromError(err)
	}
	d.stream, d.slot = f, c.acquireDirSlot()
	if r, ok := f.(vfs.DirResumer); ok && d.last != nil {
		if err := r.ResumeDir(d.last); err == nil {
			return smb2.StatusSuccess
		}
	}
	for skip := d.consumed; skip > 0; { // inexact if entries were removed meanwhile
		ents, err := f.ReadDir(int(min(skip, 256)))
		if err == io.EOF || (err == nil && len(ents) == 0) {
			d.eof = true // the directory shrank under us
			c.closeStream(d)
			return smb2.StatusSuccess
		}
		if err != nil {
			c.closeStream(d)
			return statusFromError(err)
		}
		skip -= int64(len(ents))
	}
	return smb2.StatusSuccess
}

// park ends a request: an enumeration without a slot closes its
// listing (its read-ahead is dropped; the position is kept), and a
// finished one gives its slot back. One that keeps its listing drops
// its read-ahead and the backend's buffer too when it can resume after
// its last entry, so between requests it holds little more than a
// descriptor.
func (c *conn) park(d *dirEnum) {
	switch {
	case d.stream == nil:
	case !d.slot || d.eof:
		c.closeStream(d)
	case d.last != nil:
		if r, ok := d.stream.(vfs.DirResumer); ok && r.ResumeDir(d.last) == nil {
			d.ahead = nil
		}
	}
}

// peek returns the next listing entry without consuming it; ok is false
// at the end of the listing.
func (c *conn) peek(d *dirEnum) (e fs.DirEntry, ok bool, st smb2.Status) {
	if d.dots > 0 {
		return dotEntry([]string{"..", "."}[d.dots-1]), true, smb2.StatusSuccess
	}
	if len(d.ahead) == 0 {
		if d.eof || d.stream == nil {
			return nil, false, smb2.StatusSuccess
		}
		ents, err := d.stream.ReadDir(dirChunk)
		switch {
		case err == io.EOF || (err == nil && len(ents) == 0):
			d.eof = true
			return nil, false, smb2.StatusSuccess
		case err != nil:
			return nil, false, statusFromError(err)
		}
		d.ahead = ents
	}
	return d.ahead[0], true, smb2.StatusSuccess
}

// consume moves past the entry peek returned.
func (d *dirEnum) consume() {
	if d.dots > 0 {
		d.dots--
		return
	}
	d.last = d.ahead[0]
	d.ahead[0] = nil
	d.ahead = d.ahead[1:]
	if len(d.ahead) == 0 {
		d.ahead = nil
	}
	d.consumed++
}
