package server

import (
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/zerosmb/zerosmb/smb2"
)

// pendNotify sends CHANGE_NOTIFY on dir and returns the AsyncId from the
// interim STATUS_PENDING response.
func pendNotify(t *testing.T, c *rawConn, dir smb2.FileID) uint64 {
	t.Helper()
	return pendNotifyBody(t, c, fuzzNotify(dir))
}

// pendNotifyBody is pendNotify with the request body given.
func pendNotifyBody(t *testing.T, c *rawConn, body []byte) uint64 {
	t.Helper()
	c.write(rawFrame(c.msg(smb2.ChangeNotify, body, nil)))
	b, err := c.readFrame(5 * time.Second)
	if err != nil {
		t.Fatalf("no interim response: %v", err)
	}
	h, err := smb2.DecodeHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	if h.Status != smb2.StatusPending || h.Flags&smb2.FlagAsync == 0 || h.AsyncID == 0 {
		t.Fatalf("interim: status %v flags %#x async %d", h.Status, h.Flags, h.AsyncID)
	}
	return h.AsyncID
}

// notifyNames decodes the FILE_NOTIFY_INFORMATION entries of a
// CHANGE_NOTIFY response body as "action:name" strings.
func notifyNames(t *testing.T, body []byte) []string {
	t.Helper()
	if len(body) < 8 {
		t.Fatalf("short CHANGE_NOTIFY body %d", len(body))
	}
	off := int(le.Uint16(body[2:])) - smb2.HeaderSize
	n := int(le.Uint32(body[4:]))
	if off < 0 || off+n > len(body) {
		t.Fatalf("output buffer %d+%d outside body %d", off, n, len(body))
	}
	buf := body[off : off+n]
	var out []string
	for len(buf) >= 12 {
		next := int(le.Uint32(buf))
		action := le.Uint32(buf[4:])
		nl := int(le.Uint32(buf[8:]))
		u := make([]uint16, nl/2)
		for i := range u {
			u[i] = le.Uint16(buf[12+2*i:])
		}
		out = append(out, string(rune('0'+action))+":"+string(utf16.Decode(u)))
		if next == 0 {
			break
		}
		buf = buf[next:]
	}
	return out
}

// TestChangeNotify covers the life of a CHANGE_NOTIFY: it pends, completes
// when another client changes the directory, is cancellable, and ends with
// STATUS_NOTIFY_CLEANUP when the handle closes.
func TestChangeNotify(t *testing.T) {
	hs := startHostile(t)
	c := hs.session(t)
	dir, st := c.create("", rawDispOpen)
	if st != smb2.StatusSuccess {
		t.Fatal(st)
	}

	// 1. A change made by another connection completes the request.
	pendNotify(t, c, dir)
	other := hs.session(t)
	f, st := other.create("born.txt", rawDispOverwriteIf)
	if st != smb2.StatusSuccess {
		t.Fatal(st)
	}
	r := c.recv()
	if r.hdr.Command != smb2.ChangeNotify || r.hdr.Status != smb2.StatusSuccess {
		t.Fatalf("notify completion: %v %v", r.hdr.Command, r.hdr.Status)
	}
	if got := notifyNames(t, r.body); len(got) == 0 || got[0] != "1:born.txt" {
		t.Errorf("notify entries %v, want [1:born.txt] (FILE_ACTION_ADDED)", got)
	}
	other.expectStatus("close", smb2.Close, rawClose(f), nil, smb2.StatusSuccess)

	// 2. CANCEL by AsyncId ends it with STATUS_CANCELLED.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", hs.Log.String())
		}
	})
	async := pendNotify(t, c, dir)
	mid := c.mid
	c.write(rawFrame(c.msg(smb2.Cancel, rawEcho(), func(h *smb2.Header) {
		h.Flags |= smb2.FlagAsync
		h.AsyncID = async
		h.MessageID = 0
		h.CreditCharge = 0
	})))
	c.mid = mid // CANCEL does not consume a MessageId
	if r := c.recv(); r.hdr.Status != smb2.StatusCancelled || r.hdr.AsyncID != async {
		t.Errorf("after CANCEL: %v async %d, want STATUS_CANCELLED async %d", r.hdr.Status, r.hdr.AsyncID, async)
	}

	// 3. Closing the handle completes a pending notify with NOTIFY_CLEANUP.
	pendNotify(t, c, dir)
	c.write(rawFrame(c.msg(smb2.Close, rawClose(dir), nil)))
	seen := map[smb2.Command]smb2.Status{}
	for len(seen) < 2 {
		for _, r := range c.recvAll() {
			seen[r.hdr.Command] = r.hdr.Status
		}
	}
	if seen[smb2.ChangeNotify] != smb2.StatusNotifyCleanup || seen[smb2.Close] != smb2.StatusSuccess {
		t.Errorf("close with pending notify: %v", seen)
	}

	// 4. CHANGE_NOTIFY on a file is refused.
	file, st := c.create("plain.txt", rawDispOverwriteIf)
	if st != smb2.StatusSuccess {
		t.Fatal(st)
	}
	c.expectStatus("notify on a file", smb2.ChangeNotify, fuzzNotify(file), nil, smb2.StatusInvalidParameter)
	if strings.Contains(hs.Log.String(), "panic") {
		t.Error("panic logged")
	}
}

// TestChangeNotifyFilterFixedAndQueued: the first CHANGE_NOTIFY on a
// handle fixes its completion filter (later requests' filters are
// ignored, as on Windows and Samba), and several requests may pend on
// one handle, each completed by the next change in the order they came.
func TestChangeNotifyFilterFixedAndQueued(t *testing.T) {
	hs := startHostile(t)
	c := hs.session(t)
	dir, st := c.create("", rawDispOpen)
	if st != smb2.StatusSuccess {
		t.Fatal(st)
	}
	notifyWith := func(filter uint32) []byte {
		b := fuzzNotify(dir)
		le.PutUint32(b[24:], filter)
		return b
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", hs.Log.String())
		}
	})
	// The first request (file names only) is cancelled: its filter stays.
	first := pendNotifyBody(t, c, notifyWith(smb2.FileNotifyChangeFileName))
	mid := c.mid
	c.write(rawFrame(c.msg(smb2.Cancel, rawEcho(), func(h *smb2.Header) {
		h.Flags |= smb2.FlagAsync
		h.AsyncID = first
		h.MessageID = 0
		h.CreditCharge = 0
	})))
	c.mid = mid
	if r := c.recv(); r.hdr.Status != smb2.StatusCancelled {
		t.Fatalf("cancel: %v", r.hdr.Status)
	}
	// Two requests asking for everything pend together.
	var asyncs []uint64
	for range 2 {
		asyncs = append(asyncs, pendNotifyBody(t, c, notifyWith(0xfff)))
	}
	other := hs.session(t)
	// A directory is outside the fixed filter: nothing completes.
	r := other.call(smb2.Create, rawCreateOpts("subdir", rawDispCreate, smb2.FileDirectoryFile, nil), nil)
	if r.hdr.Status != smb2.StatusSuccess {
		t.Fatal(r.hdr.Status)
	}
	if b, err := c.readFrame(300 * time.Millisecond); err == nil {
		h, _ := smb2.DecodeHeader(b)
		t.Fatalf("a directory creation completed a file-name-only watch: %v %v", h.Command, h.Status)
	}
	for i, name := range []string{"a.txt", "b.txt"} {
		f, st := other.create(name, rawDispOverwriteIf)
		if st != smb2.StatusSuccess {
			t.Fatal(st)
		}
		other.expectStatus("close", smb2.Close, rawClose(f), nil, smb2.StatusSuccess)
		r := c.recv()
		if r.hdr.Status != smb2.StatusSuccess || r.hdr.AsyncID != asyncs[i] {
			t.Fatalf("change %d: %v async %d, want success for async %d", i, r.hdr.Status, r.hdr.AsyncID, asyncs[i])
		}
		if got := notifyNames(t, r.body); len(got) != 1 || got[0] != "1:"+name {
			t.Errorf("change %d entries %v, want [1:%s]", i, got, name)
		}
	}
	// An output buffer beyond MaxTransactSize is refused.
	big := notifyWith(0xfff)
	le.PutUint32(big[4:], 1<<30)
	c.expectStatus("notify larger than MaxTransactSize", smb2.ChangeNotify, big, nil, smb2.StatusInvalidParameter)
}
