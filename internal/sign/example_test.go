package sign_test

import (
	"fmt"

	"github.com/zerosmb/zerosmb/internal/sign"
)

// A 3.1.1 session: chain the preauth hash over NEGOTIATE and SESSION_SETUP,
// derive the keys, then sign responses and encrypt/decrypt messages.
func Example() {
	var conn sign.PreauthHash
	conn.Update([]byte("negotiate request"))
	conn.Update([]byte("negotiate response"))
	sess := conn // each session continues from the connection's value
	sess.Update([]byte("session setup request"))

	sessionKey := make([]byte, 16) // from NTLMSSP or Kerberos
	keys := sign.DeriveKeys(0x0311, sessionKey, sess[:], 128)

	signer, _ := sign.NewSigner(sign.AESGMAC, keys.Signing)
	msg := make([]byte, 64+8) // an SMB2 response: header and body
	copy(msg, "\xFESMB")
	msg[16] = 0x01 // SMB2_FLAGS_SERVER_TO_REDIR
	signer.Sign(msg)
	fmt.Println("signed flag:", msg[16]&0x08 != 0, "verifies:", signer.Verify(msg))

	// The client's encryption key is the server's decryption key; a
	// loop-back here just shows the shapes.
	out, _ := sign.NewSealer(sign.AES128GCM, keys.Encryption)
	frame := out.Seal(nil, 0x1234, msg)
	in, _ := sign.NewSealer(sign.AES128GCM, keys.Encryption)
	plain, sid, err := in.Open(nil, frame)
	fmt.Println(len(frame)-len(msg), sid == 0x1234, len(plain) == len(msg), err)
	// Output:
	// signed flag: true verifies: true
	// 52 true true <nil>
}
