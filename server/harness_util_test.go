package server

import (
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"testing"
	"time"
)

// le is shorthand for the byte order of SMB, for the tests that build
// messages by hand.
var le = binary.LittleEndian

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

func lookPath(name string) (string, error) { return exec.LookPath(name) }

// testLogger logs to the test log when ZEROSMB_TEST_LOG=1, else discards.
func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("ZEROSMB_TEST_LOG") == "1" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
