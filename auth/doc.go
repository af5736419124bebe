// Package auth authenticates SMB2 SESSION_SETUP exchanges on the server side.
//
// It holds SPNEGO (RFC 4178 with the MS-SPNG NegTokenInit2 extension),
// an NTLMSSP acceptor (MS-NLMP) that accepts NTLMv2 only, and UserDB, the
// password file of NT hashes. A Config describes the server and its users;
// each SESSION_SETUP sequence gets its own Context, fed with the client's
// security buffers through Context.Step until it reports done or an error
// wrapping ErrLogonFailure.
//
// The package knows nothing of SMB commands, sessions or signing: it hands
// the server the exported session key and the identity, and the server
// derives signing keys and session flags from them. Kerberos is not
// supported; LM and NTLMv1 responses are refused.
package auth
