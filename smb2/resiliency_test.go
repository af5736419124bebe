package smb2

import (
	"bytes"
	"testing"
)

func TestNetworkResiliencyRequest(t *testing.T) {
	b := NetworkResiliencyRequest{Timeout: 1000}.Append(nil)
	if want := []byte{0xe8, 0x03, 0, 0, 0, 0, 0, 0}; !bytes.Equal(b, want) {
		t.Fatalf("encoded % x, want % x", b, want)
	}
	r, err := DecodeNetworkResiliencyRequest(append(b, 0xff)) // trailing bytes ignored
	if err != nil || r.Timeout != 1000 {
		t.Fatalf("decoded %+v, %v", r, err)
	}
	r, err = DecodeNetworkResiliencyRequest([]byte{1, 2, 3, 4, 0xff, 0xff, 0xff, 0xff})
	if err != nil || r.Timeout != 0x04030201 {
		t.Fatalf("reserved bytes not ignored: %+v, %v", r, err)
	}
	for n := range NetworkResiliencyRequestSize {
		if _, err := DecodeNetworkResiliencyRequest(b[:n]); err == nil {
			t.Errorf("%d bytes accepted", n)
		}
	}
}

func FuzzDecodeNetworkResiliencyRequest(f *testing.F) {
	f.Add(NetworkResiliencyRequest{Timeout: 1000}.Append(nil))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeNetworkResiliencyRequest(b)
		if (err == nil) != (len(b) >= NetworkResiliencyRequestSize) {
			t.Fatalf("%d bytes: err %v", len(b), err)
		}
		if err == nil && !bytes.Equal(r.Append(nil)[:4], b[:4]) {
			t.Fatalf("%+v does not encode back to % x", r, b[:4])
		}
	})
}
