package auth

import (
	"bytes"
	"fmt"
)

// SPNEGO (RFC 4178, with the Microsoft NegTokenInit2 extension from
// MS-SPNG) as far as an NTLM-only acceptor needs it.

// DER contents (without tag and length) of the object identifiers we use.
var (
	oidSPNEGO  = []byte{0x2b, 0x06, 0x01, 0x05, 0x05, 0x02}                         // 1.3.6.1.5.5.2
	oidNTLMSSP = []byte{0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a} // 1.3.6.1.4.1.311.2.2.10
)

// negHintName is what Windows puts in NegTokenInit2.negHints.hintName.
const negHintName = "not_defined_in_RFC4178@please_ignore"

// NegTokenResp negState values (RFC 4178 section 4.2.2).
const (
	negAcceptCompleted  = 0
	negAcceptIncomplete = 1
	negReject           = 2
	negRequestMIC       = 3
)

// DER identifier octets.
const (
	tagEnumerated    = 0x0a
	tagOctetString   = 0x04
	tagOID           = 0x06
	tagSequence      = 0x30
	tagGeneralString = 0x1b
	tagApplication0  = 0x60 // GSS-API InitialContextToken
	tagNegTokenInit  = 0xa0 // NegotiationToken CHOICE negTokenInit [0]
	tagNegTokenResp  = 0xa1 // NegotiationToken CHOICE negTokenResp [1]
)

// ctx returns the constructed context-specific tag [n].
func ctx(n byte) byte { return 0xa0 | n }

// InitialToken returns the SPNEGO NegTokenInit2 a server places in the
// security buffer of its SMB2 NEGOTIATE response. It offers NTLMSSP only and
// carries the negHints value Windows servers send.
func InitialToken() []byte {
	mechTypes := tlv(tagSequence, tlv(tagOID, oidNTLMSSP))
	hints := tlv(tagSequence, tlv(ctx(0), tlv(tagGeneralString, []byte(negHintName))))
	init2 := tlv(tagSequence, tlv(ctx(0), mechTypes), tlv(ctx(3), hints))
	return tlv(tagApplication0, tlv(tagOID, oidSPNEGO), tlv(tagNegTokenInit, init2))
}

// negTokenInit is the part of a client's NegTokenInit we use.
type negTokenInit struct {
	mechTypes [][]byte // OID contents, in client preference order
	mechList  []byte   // DER encoding of MechTypeList, the input of mechListMIC
	mechToken []byte   // optimistic token for mechTypes[0]; nil if absent
}

// parseNegTokenInit decodes a GSS-API wrapped SPNEGO NegTokenInit.
func parseNegTokenInit(b []byte) (*negTokenInit, error) {
	app, err := readOne(b, tagApplication0)
	if err != nil {
		return nil, fmt.Errorf("spnego: init token: %w", err)
	}
	oid, rest, err := readTLV(app.body)
	if err != nil {
		return nil, fmt.Errorf("spnego: init token: %w", err)
	}
	if oid.tag != tagOID || !bytes.Equal(oid.body, oidSPNEGO) {
		return nil, fmt.Errorf("spnego: init token: not SPNEGO (%w)", errDER)
	}
	choice, err := readOne(rest, tagNegTokenInit)
	if err != nil {
		return nil, fmt.Errorf("spnego: init token: %w", err)
	}
	seq, err := readOne(choice.body, tagSequence)
	if err != nil {
		return nil, fmt.Errorf("spnego: NegTokenInit: %w", err)
	}
	var t negTokenInit
	for p := seq.body; len(p) > 0; {
		var e derTLV
		if e, p, err = readTLV(p); err != nil {
			return nil, fmt.Errorf("spnego: NegTokenInit: %w", err)
		}
		switch e.tag {
		case ctx(0):
			if err := t.parseMechTypes(e.body); err != nil {
				return nil, err
			}
		case ctx(2):
			tok, err := readOne(e.body, tagOctetString)
			if err != nil {
				return nil, fmt.Errorf("spnego: mechToken: %w", err)
			}
			t.mechToken = tok.body
		}
		// reqFlags [1], mechListMIC [3] (or NegTokenInit2 fields) are ignored:
		// a MIC in the initial token cannot be checked before a mechanism runs.
	}
	if t.mechList == nil {
		return nil, fmt.Errorf("spnego: NegTokenInit without mechTypes (%w)", errDER)
	}
	return &t, nil
}

func (t *negTokenInit) parseMechTypes(b []byte) error {
	list, err := readOne(b, tagSequence)
	if err != nil {
		return fmt.Errorf("spnego: mechTypes: %w", err)
	}
	t.mechList = list.raw
	for p := list.body; len(p) > 0; {
		var e derTLV
		if e, p, err = readTLV(p); err != nil {
			return fmt.Errorf("spnego: mechTypes: %w", err)
		}
		if e.tag != tagOID {
			return fmt.Errorf("spnego: mechTypes: element tag %#x (%w)", e.tag, errDER)
		}
		t.mechTypes = append(t.mechTypes, e.body)
	}
	return nil
}

// negTokenResp is a decoded NegTokenResp; absent fields are nil / -1.
type negTokenResp struct {
	negState      int
	supportedMech []byte
	responseToken []byte
	mechListMIC   []byte
}

// parseNegTokenResp decodes a NegTokenResp ([1] choice, no GSS-API wrapper).
func parseNegTokenResp(b []byte) (*negTokenResp, error) {
	choice, err := readOne(b, tagNegTokenResp)
	if err != nil {
		return nil, fmt.Errorf("spnego: resp token: %w", err)
	}
	seq, err := readOne(choice.body, tagSequence)
	if err != nil {
		return nil, fmt.Errorf("spnego: NegTokenResp: %w", err)
	}
	t := negTokenResp{negState: -1}
	for p := seq.body; len(p) > 0; {
		var e derTLV
		if e, p, err = readTLV(p); err != nil {
			return nil, fmt.Errorf("spnego: NegTokenResp: %w", err)
		}
		var want byte
		switch e.tag {
		case ctx(0):
			want = tagEnumerated
		case ctx(1):
			want = tagOID
		case ctx(2), ctx(3):
			want = tagOctetString
		default:
			continue
		}
		v, err := readOne(e.body, want)
		if err != nil {
			return nil, fmt.Errorf("spnego: NegTokenResp field [%d]: %w", e.tag&0x1f, err)
		}
		switch e.tag {
		case ctx(0):
			if len(v.body) != 1 {
				return nil, fmt.Errorf("spnego: negState length %d (%w)", len(v.body), errDER)
			}
			t.negState = int(v.body[0])
		case ctx(1):
			t.supportedMech = v.body
		case ctx(2):
			t.responseToken = v.body
		case ctx(3):
			t.mechListMIC = v.body
		}
	}
	return &t, nil
}

// encodeNegTokenResp builds a NegTokenResp. negState < 0 omits the state;
// nil token / mic omit those fields; withMech adds supportedMech=NTLMSSP.
func encodeNegTokenResp(negState int, withMech bool, token, mic []byte) []byte {
	var body []byte
	if negState >= 0 {
		body = appendTLV(body, ctx(0), tlv(tagEnumerated, []byte{byte(negState)}))
	}
	if withMech {
		body = appendTLV(body, ctx(1), tlv(tagOID, oidNTLMSSP))
	}
	if token != nil {
		body = appendTLV(body, ctx(2), tlv(tagOctetString, token))
	}
	if mic != nil {
		body = appendTLV(body, ctx(3), tlv(tagOctetString, mic))
	}
	return tlv(tagNegTokenResp, tlv(tagSequence, body))
}
