//go:build linux

package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/zerosmb/zerosmb/internal/bench"
)

const benchUsage = `usage: zerosmb bench [options]
       zerosmb bench floor --mode zerocopy|netpoll|copy --listen ADDR [--read FILE] [--write FILE] [--stat-dir DIR]
       zerosmb bench load --addr HOST:PORT --user NAME --file PATH [options] < password
       zerosmb bench dirlist [--entries 100000,1000000] [--handles 100] [--reps 3] [--dir DIR] [--exe ZEROSMB]
       zerosmb bench meta [--files 10000] [--clients 1,8] [--reps 3] [--dir DIR] [--exe ZEROSMB]

Starts zerosmb (zero-copy and copy path), Samba (sendfile/recvfile tuned and
defaults) and the kernel floor on loopback, drives each with the built-in
SMB2 load client and reports server CPU seconds per GiB and GiB/s.
Cases are DIR-SIZE-PROTECTION-cCLIENTS: PROTECTION is unsigned, signed
(SMB 3.0.2, AES-CMAC), gmac (SMB 3.1.1, AES-128-GMAC signed), gcm128 or
gcm256 (SMB 3.1.1, AES-128/256-GCM sealed; the 3.1.1 rows at 1M and 8M run
against server instances that require them), e.g. --cases gmac,gcm.
See internal/bench/README.md.

options:
`

func cmdBench(args []string) int {
	if len(args) > 0 && args[0] == "floor" {
		return cmdBenchFloor(args[1:])
	}
	if len(args) > 0 && args[0] == "load" {
		return cmdBenchLoad(args[1:])
	}
	if len(args) > 0 && args[0] == "dirlist" {
		return cmdBenchDirList(args[1:])
	}
	if len(args) > 0 && args[0] == "meta" {
		return cmdBenchMeta(args[1:])
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(os.Stderr, benchUsage); fs.PrintDefaults() }
	size := fs.String("size", "1G", "bytes moved per run and size of the test file (K, M, G suffixes)")
	reps := fs.Int("reps", 5, "runs per case and server (interleaved)")
	cases := fs.String("cases", "", "comma-separated substrings of case names to run (e.g. read-1m-unsigned)")
	servers := fs.String("servers", "", "comma-separated servers: "+strings.Join(bench.AllServers, ","))
	out := fs.String("out", "bench-out", "directory for results.md, results.csv, results.png")
	quick := fs.Bool("quick", false, "key cases only")
	depth := fs.Int("depth", 0, "outstanding requests per client (0: 16, or 32 MiB worth)")
	tmp := fs.String("tmpfs", "/dev/shm", "tmpfs directory holding the shared files")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	n, err := parseSize(*size)
	if err != nil || n <= 0 {
		fmt.Fprintf(os.Stderr, "zerosmb bench: bad --size %q\n", *size)
		return 2
	}
	o := bench.Options{Size: n, Reps: *reps, Quick: *quick, Depth: *depth, TmpDir: *tmp, Log: os.Stderr,
		Cases: splitList(*cases), Servers: splitList(*servers)}
	for _, s := range o.Servers {
		if !contains(bench.AllServers, s) && !contains(bench.ExtraServers, s) {
			fmt.Fprintf(os.Stderr, "zerosmb bench: unknown server %q\n", s)
			return 2
		}
	}
	results, runErr := bench.Run(o)
	if len(results) == 0 && runErr != nil {
		fmt.Fprintln(os.Stderr, "zerosmb bench:", runErr)
		return 1
	}
	if err := bench.WriteFiles(*out, results); err != nil {
		fmt.Fprintln(os.Stderr, "zerosmb bench:", err)
		return 1
	}
	md, _ := os.ReadFile(filepath.Join(*out, "results.md"))
	os.Stdout.Write(md)
	if runErr != nil {
		fmt.Fprintln(os.Stderr, "zerosmb bench: stopped early:", runErr)
		return 1
	}
	return 0
}

func cmdBenchFloor(args []string) int {
	fs := flag.NewFlagSet("bench floor", flag.ContinueOnError)
	mode := fs.String("mode", "zerocopy", "zerocopy (blocking sendfile/splice), netpoll (the same on Go's netpoller) or copy (read+write)")
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	rd := fs.String("read", "", "file sent for READ")
	wr := fs.String("write", "", "file written by WRITE")
	statDir := fs.String("stat-dir", "", "directory STAT requests look names up in")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *rd == "" && *wr == "" && *statDir == "" || !contains([]string{string(bench.FloorZeroCopy), string(bench.FloorCopy), string(bench.FloorNetpoll)}, *mode) {
		fs.Usage()
		return 2
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "zerosmb bench floor:", err)
		return 1
	}
	if err := bench.ServeFloor(ln, bench.FloorFiles{Read: *rd, Write: *wr, StatDir: *statDir}, bench.FloorMode(*mode)); err != nil {
		fmt.Fprintln(os.Stderr, "zerosmb bench floor:", err)
		return 1
	}
	return 0
}

const benchLoadUsage = `usage: zerosmb bench load --addr HOST:PORT --user NAME --file PATH [options] < password

Drives one running SMB server (any implementation, local or remote) with the
benchmark's load client and prints GiB/s and client CPU per GiB for each
run; with --server-pid (a server on this machine) also the server's CPU per
GiB. The password is read from stdin, never from the command line. Use it
to measure over a real network: run the server on one machine and this on
another.

options:
`

func cmdBenchLoad(args []string) int {
	fs := flag.NewFlagSet("bench load", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(os.Stderr, benchLoadUsage); fs.PrintDefaults() }
	addr := fs.String("addr", "", "server address, host:port")
	share := fs.String("share", "share", "share name")
	user := fs.String("user", "", "user name (password on stdin)")
	file := fs.String("file", "", "file inside the share (READ: must hold --size bytes)")
	write := fs.Bool("write", false, "WRITE instead of READ")
	signed := fs.Bool("sign", false, "require signing: SMB 3.0.2, AES-CMAC (same as --protection signed)")
	protName := fs.String("protection", "unsigned", "unsigned, signed (3.0.2 AES-CMAC), gmac (3.1.1 AES-128-GMAC signed), gcm128 or gcm256 (3.1.1 AES-128/256-GCM sealed)")
	verifyData := fs.Bool("verify-data", false, "verify the signature of every READ response too (costs client CPU)")
	ioSize := fs.String("io", "1M", "bytes per request (K, M suffixes)")
	clients := fs.Int("clients", 1, "concurrent connections")
	size := fs.String("size", "1G", "bytes moved per run, split between the clients")
	reps := fs.Int("reps", 3, "runs")
	depth := fs.Int("depth", 0, "outstanding requests per client (0: 16, or 32 MiB worth)")
	pid := fs.Int("server-pid", 0, "PID of a local server whose process-tree CPU to measure")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	n, err1 := parseSize(*size)
	io, err2 := parseSize(*ioSize)
	if *addr == "" || *user == "" || *file == "" || err1 != nil || err2 != nil || n <= 0 || io <= 0 || io > 8<<20 {
		fs.Usage()
		return 2
	}
	prot, err := bench.ParseProtection(*protName)
	if err != nil {
		fmt.Fprintln(os.Stderr, "zerosmb bench load:", err)
		return 2
	}
	if *signed {
		prot = bench.SignCMAC
	}
	pw, err := readPassword(os.Stdin, *user)
	if err != nil {
		fmt.Fprintln(os.Stderr, "zerosmb bench load:", err)
		return 2
	}
	o := bench.LoadOptions{
		Client: bench.ClientConfig{Addr: *addr, Share: *share, User: *user, Password: pw, VerifyData: *verifyData},
		File:   *file, Size: n, Reps: *reps, Depth: *depth, ServerPID: *pid,
		Case: bench.Case{Write: *write, IO: int(io), Prot: prot, Clients: *clients},
	}
	results, err := bench.Load(o)
	for _, r := range results {
		fmt.Println(bench.FormatLoad(r))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "zerosmb bench load:", err)
		return 1
	}
	return 0
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// cmdBenchDirList is "zerosmb bench dirlist": directory listing speed and
// server memory, zerosmb beside Samba (bench/dirlist.go).
func cmdBenchDirList(args []string) int {
	fs := flag.NewFlagSet("bench dirlist", flag.ContinueOnError)
	entries := fs.String("entries", "100000,1000000", "comma-separated directory sizes")
	handles := fs.Int("handles", 100, "handles that each start an enumeration and hold it (memory test)")
	reps := fs.Int("reps", 3, "full listings per size and server")
	servers := fs.String("servers", bench.ServerZeroSMB+","+bench.ServerSamba, "servers to compare")
	dir := fs.String("dir", os.TempDir(), "directory (on disk) for the dirlist-N directories; kept for reuse")
	exe := fs.String("exe", "", "zerosmb binary to serve with, e.g. an older build for an A/B (default: this one)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	var sizes []int
	for _, v := range splitList(*entries) {
		n, err := parseSize(v)
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "zerosmb bench dirlist: bad --entries %q\n", v)
			return 2
		}
		sizes = append(sizes, int(n))
	}
	rs, err := bench.DirList(bench.DirListOptions{Entries: sizes, Servers: splitList(*servers), Handles: *handles,
		Reps: *reps, Dir: *dir, Exe: *exe, Log: os.Stderr})
	fmt.Print(bench.FormatDirList(rs))
	if err != nil {
		fmt.Fprintln(os.Stderr, "zerosmb bench dirlist:", err)
		return 1
	}
	return 0
}

// cmdBenchMeta is "zerosmb bench meta": stats per second and server CPU
// per stat (CREATE+QUERY_INFO+CLOSE compounds), zerosmb beside Samba
// (bench/meta.go).
func cmdBenchMeta(args []string) int {
	fs := flag.NewFlagSet("bench meta", flag.ContinueOnError)
	files := fs.String("files", "10000", "comma-separated directory sizes")
	clients := fs.String("clients", "1,8", "comma-separated numbers of concurrent connections")
	reps := fs.Int("reps", 3, "warm passes after the cold one, per size, client count and server")
	servers := fs.String("servers", bench.ServerZeroSMB+","+bench.ServerSamba+","+bench.ServerFloorZC, "servers to compare (floor-zc: the kernel floor, fstatat per request)")
	dir := fs.String("dir", os.TempDir(), "directory (on disk) for the meta-N directories; kept for reuse")
	exe := fs.String("exe", "", "zerosmb binary to serve with, e.g. an older build for an A/B (default: this one)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	ints := func(flagName, v string) ([]int, bool) {
		var out []int
		for _, f := range splitList(v) {
			n, err := parseSize(f)
			if err != nil || n <= 0 {
				fmt.Fprintf(os.Stderr, "zerosmb bench meta: bad --%s %q\n", flagName, f)
				return nil, false
			}
			out = append(out, int(n))
		}
		return out, true
	}
	sizes, ok1 := ints("files", *files)
	conns, ok2 := ints("clients", *clients)
	if !ok1 || !ok2 {
		return 2
	}
	rs, err := bench.Meta(bench.MetaOptions{Files: sizes, Clients: conns, Servers: splitList(*servers),
		Reps: *reps, Dir: *dir, Exe: *exe, Log: os.Stderr})
	fmt.Print(bench.FormatMeta(rs))
	if err != nil {
		fmt.Fprintln(os.Stderr, "zerosmb bench meta:", err)
		return 1
	}
	return 0
}
