package smb1

import (
	"bytes"
	"crypto/md5"
	"testing"
)

// TestSignature checks the MS-CIFS 3.1.4.1 construction against a direct
// computation over a copy whose signature field holds the sequence number,
// and that Verify rejects a changed byte, a wrong sequence number or key.
func TestSignature(t *testing.T) {
	key := []byte("0123456789abcdef")
	msg := msgWith(ComEcho, false, func(b []byte) []byte { return block(b, []byte{1, 0}, []byte("payload")) })
	copy(msg[SignatureOffset:], "garbage!")
	orig := bytes.Clone(msg)

	ref := bytes.Clone(msg)
	copy(ref[SignatureOffset:], []byte{7, 1, 0, 0, 0, 0, 0, 0}) // seq 0x107
	sum := md5.Sum(append(bytes.Clone(key), ref...))

	sig, ok := Signature(key, msg, 0x107)
	if !ok || !bytes.Equal(sig[:], sum[:8]) {
		t.Fatalf("Signature = %x, %v; want %x", sig, ok, sum[:8])
	}
	if !bytes.Equal(msg, orig) {
		t.Fatal("Signature modified the message")
	}
	Sign(key, msg, 0x107)
	if !bytes.Equal(msg[SignatureOffset:SignatureOffset+8], sum[:8]) {
		t.Fatalf("Sign wrote %x", msg[SignatureOffset:SignatureOffset+8])
	}
	if !Verify(key, msg, 0x107) {
		t.Fatal("Verify rejects its own signature")
	}
	if Verify(key, msg, 0x108) || Verify([]byte("fedcba9876543210"), msg, 0x107) {
		t.Fatal("Verify accepts a wrong sequence number or key")
	}
	msg[len(msg)-1] ^= 1
	if Verify(key, msg, 0x107) {
		t.Fatal("Verify accepts a tampered message")
	}
	if _, ok := Signature(key, msg[:HeaderSize-1], 0); ok || Verify(key, msg[:HeaderSize-1], 0) {
		t.Fatal("short message signed")
	}
}
