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
		{"posix_mode", m, checkPosixMode},
		{"posix_owner", m, func(string) error { return checkPosixOwner(mnt, v) }},
		{"posix_case", m, checkPosixCase},
	}
}

func checkPosixMode(dir string) error {
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
