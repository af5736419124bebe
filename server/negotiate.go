package server

import (
	"slices"
	"time"

	"github.com/zerosmb/zerosmb/auth"
	"github.com/zerosmb/zerosmb/internal/sign"
	"github.com/zerosmb/zerosmb/smb2"
)

// handleEcho is SMB2 ECHO.
func (c *conn) handleEcho(r *request) response {
	if smb2.CheckSimple(r.msg) != nil {
		return errResp(smb2.StatusInvalidParameter)
	}
	return response{body: smb2.AppendSimple(nil)}
}

// supportedDialects in preference order, highest first.
var supportedDialects = []uint16{smb2.Dialect311, smb2.Dialect302, smb2.Dialect300, smb2.Dialect210, smb2.Dialect202}

func (c *conn) handleNegotiate(r *request) response {
	if c.negotiated {
		c.log.Warn("second NEGOTIATE on a connection; closing")
		return dropConn
	}
	req, err := smb2.DecodeNegotiateRequest(r.msg)
	if err != nil {
		return errResp(smb2.StatusInvalidParameter)
	}
	dialect := uint16(0)
	for _, d := range supportedDialects {
		if slices.Contains(req.Dialects, d) {
			dialect = d
			break
		}
	}
	if dialect == 0 {
		c.log.Warn("no common dialect", "offered", req.Dialects)
		return errResp(smb2.StatusNotSupported)
	}
	c.dialect = dialect
	c.clientGUID = req.ClientGUID
	c.clientSecMode = req.SecurityMode
	c.clientCaps = req.Capabilities
	c.clientDialects = req.Dialects
	resp := c.negotiateResponse(dialect)
	if dialect == smb2.Dialect311 {
		ctxs, st := c.negotiateContexts(&req)
		if st != smb2.StatusSuccess {
			return errResp(st)
		}
		resp.Contexts = ctxs
		c.preauth.Update(r.msg)
		r.onSent = func(msg []byte) { c.preauth.Update(msg) }
	}
	c.negotiated = true
	c.dialectSeen.Store(uint32(dialect))
	c.srv.clients.add(c)
	c.log.Debug("negotiated", "dialect", dialectName(dialect), "signing_alg", c.signingAlg, "cipher", c.cipher)
	return response{body: resp.Append(nil)}
}

func (c *conn) negotiateResponse(dialect uint16) *smb2.NegotiateResponse {
	c.serverSecMode = smb2.NegotiateSigningEnabled
	if c.srv.cfg.SigningRequired {
		c.serverSecMode |= smb2.NegotiateSigningRequired
	}
	c.maxIO = 65536
	if dialect != smb2.Dialect202 {
		c.maxIO = c.srv.cfg.MaxIOSize
		c.serverCaps = smb2.CapLargeMTU | smb2.CapLeasing
	}
	if dialect >= smb2.Dialect300 && c.srv.nodes.dirLeases {
		c.serverCaps |= smb2.CapDirectoryLeasing // 3.x only (MS-SMB2 3.3.5.4)
	}
	if (dialect == smb2.Dialect300 || dialect == smb2.Dialect302) && c.clientCaps&smb2.CapEncryption != 0 && encryptionSupported {
		c.serverCaps |= smb2.CapEncryption
		c.cipher = sign.AES128CCM
	}
	switch {
	case dialect >= smb2.Dialect300:
		c.signingAlg = sign.AESCMAC
	default:
		c.signingAlg = sign.HMACSHA256
	}
	return &smb2.NegotiateResponse{
		SecurityMode:    c.serverSecMode,
		DialectRevision: dialect,
		ServerGUID:      c.srv.guid,
		Capabilities:    c.serverCaps,
		MaxTransactSize: c.maxIO,
		MaxReadSize:     c.maxIO,
		MaxWriteSize:    c.maxIO,
		SystemTime:      smb2.FileTime(time.Now()),
		ServerStartTime: 0,
		SecurityBuffer:  auth.InitialToken(),
	}
}

// negotiateContexts answers the client's 3.1.1 negotiate contexts.
func (c *conn) negotiateContexts(req *smb2.NegotiateRequest) ([]smb2.NegotiateContext, smb2.Status) {
	var out []smb2.NegotiateContext
	havePreauth := false
	for _, nc := range req.Contexts {
		switch nc.Type {
		case smb2.PreauthIntegrityCapabilities:
			if havePreauth {
				return nil, smb2.StatusInvalidParameter
			}
			caps, err := smb2.DecodePreauthIntegrityCaps(nc.Data)
			if err != nil || !slices.Contains(caps.HashAlgorithms, smb2.HashSHA512) {
				return nil, smb2.StatusSMBNoPreauthIntegrityHashOverlap
			}
			havePreauth = true
			salt := make([]byte, 32)
			randRead(salt)
			resp := smb2.PreauthIntegrityCaps{HashAlgorithms: []uint16{smb2.HashSHA512}, Salt: salt}
			out = append(out, smb2.NegotiateContext{Type: nc.Type, Data: resp.Append(nil)})
		case smb2.EncryptionCapabilities:
			ciphers, err := smb2.DecodeEncryptionCaps(nc.Data)
			if err != nil {
				return nil, smb2.StatusInvalidParameter
			}
			chosen := uint16(0)
			if encryptionSupported {
				for _, want := range []sign.Cipher{sign.AES128GCM, sign.AES128CCM, sign.AES256GCM, sign.AES256CCM} {
					if slices.Contains(ciphers, uint16(want)) {
						chosen = uint16(want)
						break
					}
				}
			}
			c.cipher = sign.Cipher(chosen)
			out = append(out, smb2.NegotiateContext{Type: nc.Type, Data: smb2.AppendEncryptionCaps(nil, chosen)})
		case smb2.PosixExtensionsAvailable:
			if ctx, ok := c.negotiatePosix(nc.Data); ok {
				out = append(out, ctx)
			}
		case smb2.SigningCapabilities:
			algs, err := smb2.DecodeSigningCaps(nc.Data)
			if err != nil {
				return nil, smb2.StatusInvalidParameter
			}
			chosen := sign.AESCMAC
			if slices.Contains(algs, uint16(sign.AESGMAC)) {
				chosen = sign.AESGMAC
			} else if !slices.Contains(algs, uint16(sign.AESCMAC)) && slices.Contains(algs, uint16(sign.HMACSHA256)) {
				chosen = sign.HMACSHA256
			}
			c.signingAlg = chosen
			out = append(out, smb2.NegotiateContext{Type: nc.Type, Data: smb2.AppendSigningCaps(nil, uint16(chosen))})
		}
	}
	if !havePreauth {
		return nil, smb2.StatusInvalidParameter
	}
	return out, smb2.StatusSuccess
}

func dialectName(d uint16) string {
	switch d {
	case smb2.Dialect202:
		return "2.0.2"
	case smb2.Dialect210:
		return "2.1"
	case smb2.Dialect300:
		return "3.0"
	case smb2.Dialect302:
		return "3.0.2"
	case smb2.Dialect311:
		return "3.1.1"
	case smb2.DialectWildcard:
		return "2.???"
	case dialectNT1:
		return "NT LM 0.12"
	}
	return "unknown"
}

// bridgeToSMB2 answers an SMB1 NEGOTIATE that offers SMB2 with an SMB2
// NEGOTIATE response (multi-protocol negotiate, MS-SMB2 3.3.5.3); one that
// offers only SMB1 dialects closes the connection (smb1.go decides first
// whether Config.SMB1 answers it instead).
func (c *conn) bridgeToSMB2(dialects []string) error {
	var dialect uint16
	switch {
	case slices.Contains(dialects, smb2.SMB1DialectWildcard):
		dialect = smb2.DialectWildcard
	case slices.Contains(dialects, smb2.SMB1Dialect2002):
		dialect = smb2.Dialect202
	default:
		c.log.Warn("SMB1-only client; closing", "dialects", dialects)
		return errCloseConn
	}
	resp := c.negotiateResponse(smb2.Dialect202)
	resp.DialectRevision = dialect
	if dialect == smb2.Dialect202 {
		c.dialect = dialect
		c.negotiated = true
		c.dialectSeen.Store(uint32(dialect))
	}
	c.credits.skipSMB1()
	h := smb2.Header{Command: smb2.Negotiate, Credits: 1, Flags: smb2.FlagResponse}
	frame := h.Append(make([]byte, 4, 256))
	frame = resp.Append(frame)
	smb2.PutFrameHeader(frame, len(frame)-4)
	return c.writeFrame(frame)
}
