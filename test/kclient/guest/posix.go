//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// posixChecks run on mounts with the "posix" option (SMB 3.1.1 POSIX
// extensions): modes given at create time, owners and groups the server
// reports, case-sensitive names.
func posixChecks(mnt string, v Variant) []check {
	m := time.Minute
	return []check{
		{"posix_mode_cached", m, func(d string) error { return checkPosixMode(d, false) }},
		{"posix_mode", m, func(d string) error { return checkPosixMode(d, true) }},
		{"posix_owner", m, func(string) error { return checkPosixOwner(mnt, v) }},
		{"posix_case", m, checkPosixCase},
		{"posix_symlink", m, func(string) error { return checkPosixSymlink(mnt, v) }},
		{"posix_symlink_create", m, checkPosixSymlinkCreate},
		{"posix_statfs", m, checkPosixStatfs},
		{"posix_chmod", m, checkPosixChmod},
	}
}

// closeTimeout is the 6.1 client's default closetimeo: how long it keeps
// a closed file's handle (and with it the inode and its attributes)
// open under a handle-caching lease.
const closeTimeout = time.Second

// checkPosixMode creates a file with mode 0751 and a directory with
// 0705 and stats them. The 6.1 client builds a created file's inode
// from the CREATE response's FILE_ALL_INFORMATION part with the mount's
// file_mode (fs/smb/client/dir.c cifs_do_create: "TODO: Add support for
// calling POSIX query info here") and, while it holds a read lease, never
// asks again (inode.c cifs_dentry_needs_reval). So stat shows the server's
// mode only once the lease has ended: afterClose waits out the client's
// deferred close first (posix_mode); posix_mode_cached stats at once
// (allowlisted: the client's doing).
func checkPosixMode(dir string, afterClose bool) error {
	old := unix.Umask(0)
	defer unix.Umask(old)
	f := filepath.Join(dir, "m751")
	fd, err := unix.Open(f, unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY, 0o751)
	if err != nil {
		return err
	}
	unix.Close(fd)
	d := filepath.Join(dir, "d705")
	if err := unix.Mkdir(d, 0o705); err != nil {
		return err
	}
	if afterClose {
		time.Sleep(closeTimeout + 500*time.Millisecond)
	}
	dropCaches()
	for _, tc := range []struct {
		name string
		mode uint32
		typ  uint32
	}{{f, 0o751, unix.S_IFREG}, {d, 0o705, unix.S_IFDIR}} {
		var st unix.Stat_t
		if err := unix.Stat(tc.name, &st); err != nil {
			return err
		}
		if st.Mode&0o7777 != tc.mode || st.Mode&unix.S_IFMT != tc.typ {
			return fmt.Errorf("%s: mode %o, want %o (type %o)", filepath.Base(tc.name), st.Mode, tc.mode, tc.typ)
		}
	}
	// A listing reports the same (QUERY_DIRECTORY class 100).
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			return err
		}
		if e.Name() == "m751" && fi.Mode().Perm() != 0o751 {
			return fmt.Errorf("listed m751 with %v", fi.Mode())
		}
	}
	return nil
}

func checkPosixOwner(mnt string, v Variant) error {
	if v.OwnedFile == "" {
		return fmt.Errorf("no owned file given")
	}
	// The 6.1 client maps owner/group SIDs from directory listings
	// (QUERY_DIRECTORY class 100); its own QUERY_INFO class 100 path does
	// not parse them yet. So: forget the inode, list the directory (the
	// listing instantiates the inode with the listed attributes), stat.
	dropCaches()
	if _, err := os.ReadDir(mnt); err != nil {
		return err
	}
	var st unix.Stat_t
	if err := unix.Stat(filepath.Join(mnt, v.OwnedFile), &st); err != nil {
		return err
	}
	if st.Uid != v.OwnedUID || st.Gid != v.OwnedGID || st.Mode&0o7777 != 0o640 {
		return fmt.Errorf("%s: uid %d gid %d mode %o, want %d %d 640", v.OwnedFile, st.Uid, st.Gid, st.Mode&0o7777, v.OwnedUID, v.OwnedGID)
	}
	return nil
}

func checkPosixCase(dir string) error {
	for _, n := range []string{"Case", "case", "CASE"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(n), 0o644); err != nil {
			return err
		}
	}
	dropCaches()
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	if strings.Join(names, ",") != "CASE,Case,case" {
		return fmt.Errorf("listed %v, want three names differing in case", names)
	}
	for _, n := range []string{"Case", "case", "CASE"} {
		if b, err := os.ReadFile(filepath.Join(dir, n)); err != nil || string(b) != n {
			return fmt.Errorf("%s reads %q %v", n, b, err)
		}
	}
	return nil
}

// checkPosixSymlink reads the symlinks the test made on the host
// (posix-link -> posix-owned, posix-dirlink -> <variant>): lstat says
// symlink, readlink gives the target, and following it reaches the
// file and the directory.
func checkPosixSymlink(mnt string, v Variant) error {
	if v.OwnedFile == "" {
		return fmt.Errorf("no owned file given")
	}
	dropCaches()
	link := filepath.Join(mnt, v.OwnedFile+"-link")
	var st unix.Stat_t
	if err := unix.Lstat(link, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFLNK {
		return fmt.Errorf("lstat %s: mode %o, not a symlink", filepath.Base(link), st.Mode)
	}
	if t, err := os.Readlink(link); err != nil || t != v.OwnedFile {
		return fmt.Errorf("readlink %s: %q %v, want %q", filepath.Base(link), t, err, v.OwnedFile)
	}
	if b, err := os.ReadFile(link); err != nil || string(b) != "owned" {
		return fmt.Errorf("reading through the link: %q %v", b, err)
	}
	ents, err := os.ReadDir(mnt)
	if err != nil {
		return err
	}
	listed := false
	for _, e := range ents {
		if e.Name() == filepath.Base(link) {
			listed = true
			if e.Type()&os.ModeSymlink == 0 {
				if fi, err := e.Info(); err != nil || fi.Mode()&os.ModeSymlink == 0 {
					return fmt.Errorf("listed %s as %v (%v)", e.Name(), e.Type(), err)
				}
			}
		}
	}
	if !listed {
		return fmt.Errorf("%s not listed", filepath.Base(link))
	}
	dl := filepath.Join(mnt, v.OwnedFile+"-dirlink")
	if t, err := os.Readlink(dl); err != nil || t != v.Name {
		return fmt.Errorf("readlink %s: %q %v", filepath.Base(dl), t, err)
	}
	if _, err := os.ReadDir(dl); err != nil {
		return fmt.Errorf("listing through the directory link: %v", err)
	}
	return nil
}

// checkPosixSymlinkCreate: ln -s. The 6.1 client creates symlinks only
// as mfsymlinks (or SMB1 UNIX extensions): link.c cifs_symlink returns
// EOPNOTSUPP before sending anything (allowlisted).
func checkPosixSymlinkCreate(dir string) error {
	l := filepath.Join(dir, "newlink")
	if err := os.Symlink("some/target", l); err != nil {
		return err
	}
	if t, err := os.Readlink(l); err != nil || t != "some/target" {
		return fmt.Errorf("readlink: %q %v", t, err)
	}
	return nil
}

// checkPosixStatfs: on a posix mount the 6.1 client's statfs asks only
// for FILE_SYSTEM_POSIX_INFO (smb2ops.c smb311_queryfs, no fallback).
func checkPosixStatfs(dir string) error {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return err
	}
	if st.Bsize <= 0 || st.Blocks == 0 || st.Bfree > st.Blocks || st.Bavail > st.Blocks {
		return fmt.Errorf("statfs: bsize %d blocks %d free %d avail %d", st.Bsize, st.Blocks, st.Bfree, st.Bavail)
	}
	return nil
}

// checkPosixChmod: chmod a-w and back. The 6.1 client sends a mode
// change only as the DOS READONLY attribute (inode.c
// cifs_setattr_nounix); the server maps it to the write bits. Each new
// mode is read back after the client's deferred close, from the server.
func checkPosixChmod(dir string) error {
	old := unix.Umask(0)
	defer unix.Umask(old)
	f := filepath.Join(dir, "m644")
	fd, err := unix.Open(f, unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	unix.Close(fd)
	for _, m := range []uint32{0o444, 0o644} {
		if err := unix.Chmod(f, m); err != nil {
			return fmt.Errorf("chmod %o: %w", m, err)
		}
		time.Sleep(closeTimeout + 500*time.Millisecond)
		dropCaches()
		var st unix.Stat_t
		if err := unix.Stat(f, &st); err != nil {
			return err
		}
		if st.Mode&0o7777 != m {
			return fmt.Errorf("after chmod %o the server has %o", m, st.Mode&0o7777)
		}
	}
	return nil
}
