//go:build linux

package unixid

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"

	"golang.org/x/sys/unix"
)

// Why switching one thread is safe here:
//
//   - setfsuid(2), setfsgid(2) and the raw setgroups(2) system call
//     change the credentials of the calling thread only. (The wrappers
//     syscall.Setgroups and syscall.Setuid would change every thread of
//     the process; x/sys/unix's Setgroups is the raw per-thread call.)
//   - runtime.LockOSThread keeps the goroutine on its thread and, more
//     importantly, keeps every other goroutine off it until
//     UnlockOSThread: while the thread carries the user's identity only
//     the call made in Do runs there, even if that call blocks in the
//     kernel (the scheduler then hands the P to another thread, never
//     the locked one to another goroutine).
//   - Threads the runtime starts while a locked thread runs are cloned
//     from its template thread (runtime.newm does so whenever the
//     current M is locked), so none inherits the switched credentials.
//   - The thread gets the server's identity back before it is unlocked.
//     If that fails (it cannot for a root process), the goroutine stays
//     locked forever: no other goroutine ever runs on the thread, and
//     the runtime terminates it when the goroutine exits.
//   - A change of the fsuid from 0 to non-zero clears the file system
//     capabilities (CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_CHOWN, ...) from
//     the thread's effective set and the change back restores them
//     (capabilities(7)), so the kernel checks the user's rights and
//     nothing more.
//   - Descriptors opened while switched keep the access they were
//     opened with: reads, writes, sendfile and splice on them need no
//     switch (and get none: the zero-copy path is unaffected).

var (
	serverOnce sync.Once
	serverCred Cred // the process's own identity, restored after each call
	serverErr  error
)

// Supported reports whether Do can switch identities: Linux, and the
// process runs as root (euid 0, which can set any fsuid).
func Supported() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("unix identities need the server to run as root (euid %d)", os.Geteuid())
	}
	serverOnce.Do(loadServerCred)
	return serverErr
}

// loadServerCred records the identity threads are restored to. It runs
// on an unswitched thread (Do calls Supported before switching).
func loadServerCred() {
	gids, err := unix.Getgroups()
	if err != nil {
		serverErr = fmt.Errorf("getgroups: %w", err)
		return
	}
	serverCred = Cred{UID: uint32(os.Geteuid()), GID: uint32(os.Getegid())}
	for _, g := range gids {
		serverCred.Groups = append(serverCred.Groups, uint32(g))
	}
}

// errSwitch marks a failure to take or give back an identity.
var errSwitch = errors.New("unixid: credential switch failed")

// Do runs fn on the calling goroutine's thread with c's file system
// identity and returns its error. fn must not start goroutines that
// touch files for the user (they would run as the server) and must not
// unlock the thread. The server's identity comes back even when fn
// panics.
func (c *Cred) Do(fn func() error) (err error) {
	if err := Supported(); err != nil {
		return err
	}
	if len(c.Groups) > MaxGroups {
		return fmt.Errorf("%w: %d supplementary groups", errSwitch, len(c.Groups))
	}
	runtime.LockOSThread()
	defer func() {
		if rerr := apply(&serverCred); rerr != nil {
			err = errors.Join(err, rerr) // the thread stays locked: see above
			return
		}
		runtime.UnlockOSThread()
	}()
	if err := apply(c); err != nil {
		return err
	}
	return fn()
}

// apply gives the current thread c's groups, fsgid and fsuid (groups
// first: after the fsuid change the thread still has CAP_SETGID, but
// doing it first keeps the order independent of that), and checks that
// the fsuid and fsgid took.
func apply(c *Cred) error {
	gids := make([]int, len(c.Groups))
	for i, g := range c.Groups {
		gids[i] = int(g)
	}
	if err := unix.Setgroups(gids); err != nil {
		return fmt.Errorf("%w: setgroups: %w", errSwitch, err)
	}
	unix.SetfsgidRetGid(int(c.GID))
	if got, _ := unix.SetfsgidRetGid(-1); got != int(c.GID) {
		return fmt.Errorf("%w: fsgid is %d, not %d", errSwitch, got, c.GID)
	}
	unix.SetfsuidRetUid(int(c.UID))
	if got, _ := unix.SetfsuidRetUid(-1); got != int(c.UID) {
		return fmt.Errorf("%w: fsuid is %d, not %d", errSwitch, got, c.UID)
	}
	return nil
}
