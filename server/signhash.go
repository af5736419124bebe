package server

import "fmt"

// SignedHash selects how a signed sendfile READ reads its payload to MAC
// it (Config.SignedSendfileHash).
type SignedHash uint8

// The signed sendfile hashing methods (signhash_linux.go): pread chunks
// into a pooled buffer and MAC each while it is in cache; map the range
// for each READ; or map the file once per open until it closes.
const (
	SignedHashPread SignedHash = iota
	SignedHashMmap
	SignedHashOpenMap
)

// ParseSignedHash parses pread, mmap or openmap.
func ParseSignedHash(s string) (SignedHash, error) {
	switch s {
	case "", "pread":
		return SignedHashPread, nil
	case "mmap":
		return SignedHashMmap, nil
	case "openmap":
		return SignedHashOpenMap, nil
	}
	return 0, fmt.Errorf("signed sendfile hash %q: want pread, mmap or openmap", s)
}

// signChunk is the pread chunk of SignedHashPread and of the signed copy
// path (frameBuilder.appendSigned): small enough to stay
// in the L2 cache between the copy and the MAC, large enough that the
// per-chunk cost (a syscall and a few GF(2^128) multiplications for GMAC)
// is noise.
const signChunk = 256 << 10
