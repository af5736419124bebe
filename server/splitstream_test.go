package server

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/zerosmb/zerosmb/internal/zerocopy"
	"github.com/zerosmb/zerosmb/smb2"
)

// TestSplitWriteStream sends header-split WRITEs back to back with small
// frames and a NetBIOS keepalive between them, in one burst and cut into
// pieces at awkward places (inside the next frame header, inside the next
// WRITE header), so the read-the-next-header-directly path after a split
// WRITE (readAfterSplit) meets every shape of leftover. Every response and
// every byte on disk is checked, and the payloads must have been spliced.
func TestSplitWriteStream(t *testing.T) {
	ts := startServer(t, testOpts{Guest: true, Sendfile: true, RecvfileMin: 64 << 10})
	w1, w2, w3 := randBytes(70000, 1), randBytes(65536, 2), randBytes(100001, 3)
	for _, tc := range []struct {
		name string
		cuts func(stream []byte, ends []int) []int // offsets to pause at
	}{
		{"one burst", func([]byte, []int) []int { return nil }},
		{"cut inside frame headers", func(_ []byte, ends []int) []int {
			var c []int
			for _, e := range ends {
				c = append(c, e+2)
			}
			return c
		}},
		{"cut after frame headers", func(_ []byte, ends []int) []int {
			var c []int
			for _, e := range ends {
				c = append(c, e+4)
			}
			return c
		}},
		{"random cuts 1", randomCuts(1)},
		{"random cuts 2", randomCuts(2)},
		{"random cuts 3", randomCuts(3)},
		{"cut inside WRITE headers", func(_ []byte, ends []int) []int {
			var c []int
			for _, e := range ends {
				c = append(c, e+50)
			}
			return c
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := rawSession(t, ts.Addr)
			id, st := c.create("split.bin", rawDispOverwriteIf)
			if st != smb2.StatusSuccess {
				t.Fatal(st)
			}
			type item struct {
				frame []byte
				cmd   smb2.Command
			}
			var items []item
			add := func(cmd smb2.Command, body []byte) {
				m := c.msg(cmd, body, func(h *smb2.Header) { h.CreditCharge = uint16(max(1, (len(body)+65535)/65536)) })
				items = append(items, item{rawFrame(m), cmd})
			}
			add(smb2.Write, rawWrite(id, 0, w1))
			add(smb2.Echo, rawEcho())
			add(smb2.Write, rawWrite(id, 70000, w2))
			items = append(items, item{[]byte{0x85, 0, 0, 0}, 0})
			add(smb2.Read, rawRead(id, 1000, 100))
			add(smb2.Write, rawWrite(id, 70000+65536, w3))
			add(smb2.Echo, rawEcho())
			var stream []byte
			var ends []int
			for _, it := range items {
				stream = append(stream, it.frame...)
				ends = append(ends, len(stream))
			}
			before := zerocopy.Snapshot()
			last := 0
			for _, cut := range append(tc.cuts(stream, ends[:len(ends)-1]), len(stream)) {
				c.write(stream[last:cut])
				last = cut
				time.Sleep(20 * time.Millisecond)
			}
			var got []rawResp
			for len(got) < 6 {
				got = append(got, c.recvAll()...)
			}
			want := []smb2.Command{smb2.Write, smb2.Echo, smb2.Write, smb2.Read, smb2.Write, smb2.Echo}
			for i, r := range got {
				if r.hdr.Command != want[i] || r.hdr.Status != smb2.StatusSuccess {
					t.Fatalf("response %d: %v %v, want %v success", i, r.hdr.Command, r.hdr.Status, want[i])
				}
			}
			for i, n := range map[int]int{0: len(w1), 2: len(w2), 4: len(w3)} {
				if cnt := le.Uint32(got[i].body[4:]); int(cnt) != n {
					t.Errorf("WRITE response %d: Count %d, want %d", i, cnt, n)
				}
			}
			if rd := got[3].body; len(rd) < 16+100 || !bytes.Equal(rd[16:16+100], w1[1000:1100]) {
				t.Errorf("READ between the WRITEs returned wrong data")
			}
			disk, err := os.ReadFile(filepath.Join(ts.Dir, "split.bin"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(disk, append(append(append([]byte(nil), w1...), w2...), w3...)) {
				t.Fatalf("file content differs (%d bytes on disk)", len(disk))
			}
			after := zerocopy.Snapshot()
			if spliced := after.SpliceBytes - before.SpliceBytes; spliced < uint64(len(w1)+len(w2)+len(w3)) {
				t.Errorf("spliced %d bytes, want at least %d", spliced, len(w1)+len(w2)+len(w3))
			}
			c.expectStatus("ECHO after the stream", smb2.Echo, rawEcho(), nil, smb2.StatusSuccess)
		})
	}
}

// TestSplitWriteThenJunk: garbage right after a header-split WRITE closes
// that connection (after the WRITE was answered) and nothing else.
func TestSplitWriteThenJunk(t *testing.T) {
	ts := startServer(t, testOpts{Guest: true, RecvfileMin: 64 << 10})
	c := rawSession(t, ts.Addr)
	id, st := c.create("junk.bin", rawDispOverwriteIf)
	if st != smb2.StatusSuccess {
		t.Fatal(st)
	}
	data := randBytes(65536, 9)
	m := c.msg(smb2.Write, rawWrite(id, 0, data), nil)
	c.write(append(rawFrame(m), 0x42, 0, 0, 8, 'j', 'u', 'n', 'k', 'j', 'u', 'n', 'k'))
	if r := c.recv(); r.hdr.Command != smb2.Write || r.hdr.Status != smb2.StatusSuccess {
		t.Fatalf("WRITE before the junk: %v %v", r.hdr.Command, r.hdr.Status)
	}
	c.expectClosed("junk after a split WRITE")
	disk, err := os.ReadFile(filepath.Join(ts.Dir, "junk.bin"))
	if err != nil || !bytes.Equal(disk, data) {
		t.Fatalf("file after the WRITE: %d bytes, %v", len(disk), err)
	}
	other := dialGuest(t, ts)
	if _, err := other.Stat("junk.bin"); err != nil {
		t.Fatalf("another client after the junk: %v", err)
	}
}

// randomCuts returns a cut function that pauses the stream at 12 random
// places chosen by seed.
func randomCuts(seed uint64) func(stream []byte, _ []int) []int {
	return func(stream []byte, _ []int) []int {
		r := rand.New(rand.NewPCG(seed, uint64(len(stream))))
		cuts := map[int]bool{}
		for len(cuts) < 12 {
			cuts[1+r.IntN(len(stream)-1)] = true
		}
		c := make([]int, 0, len(cuts))
		for k := range cuts {
			c = append(c, k)
		}
		slices.Sort(c)
		return c
	}
}
