package auth

import (
	"errors"
	"fmt"
)

// This file holds the few DER (X.690) primitives SPNEGO needs: reading one
// tag-length-value element and writing one. Only definite lengths are
// accepted; tags are limited to a single identifier octet, which covers every
// tag SPNEGO uses.

var errDER = errors.New("auth: malformed DER")

// maxDERLen bounds lengths we accept; security buffers are far smaller.
const maxDERLen = 1 << 20

// derTLV is one decoded element: its identifier octet, its content, and the
// full encoding (tag, length and content) it was read from.
type derTLV struct {
	tag  byte
	body []byte
	raw  []byte
}

// readTLV decodes the element at the start of b and returns it together with
// the bytes that follow it.
func readTLV(b []byte) (derTLV, []byte, error) {
	if len(b) < 2 {
		return derTLV{}, nil, fmt.Errorf("%w: truncated element", errDER)
	}
	tag := b[0]
	if tag&0x1f == 0x1f {
		return derTLV{}, nil, fmt.Errorf("%w: multi-octet tag %#x", errDER, tag)
	}
	n := int(b[1])
	off := 2
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 3 {
			return derTLV{}, nil, fmt.Errorf("%w: unsupported length form %#x", errDER, b[1])
		}
		if len(b) < 2+k {
			return derTLV{}, nil, fmt.Errorf("%w: truncated length", errDER)
		}
		n = 0
		for _, c := range b[2 : 2+k] {
			n = n<<8 | int(c)
		}
		off += k
	}
	if n > maxDERLen || n > len(b)-off {
		return derTLV{}, nil, fmt.Errorf("%w: length %d exceeds data", errDER, n)
	}
	end := off + n
	return derTLV{tag: tag, body: b[off:end], raw: b[:end]}, b[end:], nil
}

// readOne decodes b, which must hold exactly one element with the given tag.
func readOne(b []byte, tag byte) (derTLV, error) {
	t, rest, err := readTLV(b)
	if err != nil {
		return t, err
	}
	if t.tag != tag {
		return t, fmt.Errorf("%w: tag %#x, want %#x", errDER, t.tag, tag)
	}
	if len(rest) != 0 {
		// Some encoders pad the security buffer; tolerate trailing zeros.
		for _, c := range rest {
			if c != 0 {
				return t, fmt.Errorf("%w: %d trailing bytes", errDER, len(rest))
			}
		}
	}
	return t, nil
}

// appendTLV appends one element with the given tag and content to dst.
func appendTLV(dst []byte, tag byte, body []byte) []byte {
	dst = append(dst, tag)
	n := len(body)
	switch {
	case n < 0x80:
		dst = append(dst, byte(n))
	case n < 0x100:
		dst = append(dst, 0x81, byte(n))
	case n < 0x10000:
		dst = append(dst, 0x82, byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	return append(dst, body...)
}

// tlv is appendTLV into a fresh slice, for building nested structures.
func tlv(tag byte, parts ...[]byte) []byte {
	var body []byte
	for _, p := range parts {
		body = append(body, p...)
	}
	return appendTLV(nil, tag, body)
}
