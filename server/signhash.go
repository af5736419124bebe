package server

import "fmt"

// SignedHash selects how a signed sendfile READ reads its payload to MAC
// it (Config.SignedSendfileHash).
type SignedHash uint8

// The signed sendfile hashing methods (signhash_linux.go): map the file
// once per open until it closes (default); pread chunks into a pooled
// buffer and MAC each while it is in cache; or map the range for each
// READ.
const (
	SignedHashOpenMap SignedHash = iota // the default: fastest on every bench row
	SignedHashPread
	SignedHashMmap
)

// ParseSignedHash parses openmap (also ""), pread or mmap.
func ParseSignedHash(s string) (SignedHash, error) {
	switch s {
	case "", "openmap":
		return SignedHashOpenMap, nil
	case "pread":
		return SignedHashPread, nil
	case "mmap":
		return SignedHashMmap, nil
	}
	return 0, fmt.Errorf("signed sendfile hash %q: want openmap, pread or mmap", s)
}

// signChunk is the pread chunk of SignedHashPread and of the signed copy
// path (frameBuilder.appendSigned): small enough to stay
// in the L2 cache between the copy and the MAC, large enough that the
// per-chunk cost (a syscall and a few GF(2^128) multiplications for GMAC)
// is noise.
const signChunk = 256 << 10

// signChunkMin is the largest signed READ payload the copy path MACs in
// one piece after reading it: such a frame stays in the L2 cache between
// the pread and the MAC (2 MiB per core on the benchmark machine), and
// chunking it measured no better. Larger ones are read and MACed chunk by
// chunk (frameBuilder.appendSigned): 0.83x the server CPU at READ 8 MiB
// with 8 GMAC clients (docs/benchmarks.md).
const signChunkMin = 1 << 20
