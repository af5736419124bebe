package server

import (
	"net"
	"testing"

	gosmb2 "github.com/hirochachacha/go-smb2"
)

// TestEncryptedLogoff: on a server that requires encryption the client
// encrypts its LOGOFF, and the response must come back sealed with the
// session's key even though the session is gone once LOGOFF is handled
// (the server used to close the connection instead: the Linux kernel
// client logged "Session Logoff failure rc=-11").
func TestEncryptedLogoff(t *testing.T) {
	ts := startServer(t, testOpts{Encrypt: true})
	for i := 0; i < 2; i++ {
		nc, err := net.Dial("tcp", ts.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		d := &gosmb2.Dialer{Initiator: &gosmb2.NTLMInitiator{User: testUser, Password: testPass}}
		s, err := d.Dial(nc)
		if err != nil {
			t.Fatal(err)
		}
		fs, err := s.Mount("share")
		if err != nil {
			t.Fatal(err)
		}
		if err := fs.WriteFile("f", []byte("sealed"), 0o644); err != nil {
			t.Fatalf("write over an encrypted session: %v", err)
		}
		if err := fs.Umount(); err != nil {
			t.Fatalf("tree disconnect: %v", err)
		}
		if err := s.Logoff(); err != nil {
			t.Fatalf("encrypted LOGOFF: %v", err)
		}
	}
}
