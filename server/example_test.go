package server_test

import (
	"context"
	"log"
	"net"
	"os"
	"os/signal"

	"github.com/zerosmb/zerosmb/auth"
	"github.com/zerosmb/zerosmb/server"
	"github.com/zerosmb/zerosmb/vfs/osfs"
)

// Example embeds zerosmb in a Go program: one read-write share backed by
// a local directory, one user, zero-copy I/O on, stopped on Ctrl-C.
func Example() {
	fsys, err := osfs.New("/srv/data", false) // confined with os.Root
	if err != nil {
		log.Fatal(err)
	}
	users := auth.NewUserDB()
	users.Add("alice", os.Getenv("ALICE_PASSWORD")) // stored as an NT hash only
	srv, err := server.New(server.Config{
		Shares:      []*server.Share{{Name: "data", FS: fsys, Comment: "team files"}},
		Users:       users,
		Sendfile:    true,     // READ payloads go out with sendfile(2)
		RecvfileMin: 64 << 10, // WRITE payloads >= 64 KiB are spliced into the file
	})
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:4445")
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		srv.Shutdown(context.Background()) // lets requests in flight finish
	}()
	if err := srv.Serve(ln); err != server.ErrServerClosed {
		log.Fatal(err)
	}
}
