// Command zerosmb is an SMB2/SMB3 file server whose READ and WRITE payloads
// bypass user space (sendfile and splice).
//
// Run `zerosmb help` for the full manual.
package main

import (
	"fmt"
	"os"
)

const usage = `NAME
    zerosmb - SMB2/SMB3 file server with a zero-copy data path

SYNOPSIS
    zerosmb serve [options] [DIR]
    zerosmb user add [--users FILE] NAME     (password read from stdin)
    zerosmb user del [--users FILE] NAME
    zerosmb user list [--users FILE]
    zerosmb bench [options]                   (see zerosmb bench --help)
    zerosmb version
    zerosmb help

DESCRIPTION
    zerosmb serves local directories to SMB clients (Windows, macOS, Linux
    cifs, smbclient, Go clients) over SMB 2.0.2 to 3.1.1. Unsigned reads are
    sent with sendfile(2) straight from the page cache and large unsigned
    writes are spliced from the socket into the file, so file data never
    crosses into user space on the fast path.

    "zerosmb serve DIR" shares DIR as "share" on port 445. Users log on
    with NTLMv2 against the users file (NT hashes, mode 0600); create one
    with "zerosmb user add NAME" first. Guest access only for shares marked
    guest.

SERVE OPTIONS
    --config FILE       TOML configuration file (keys listed below). Flags
                        given on the command line override it.
    --listen ADDR       TCP address to listen on (default ":445"; binding
                        a port below 1024 needs root or CAP_NET_BIND_SERVICE).
    --share NAME=DIR[,ro][,guest][,comment=TEXT]
                        Export DIR as NAME; repeatable. ro = read-only,
                        guest = guest/anonymous sessions allowed.
    --users FILE        Users file (default $ZEROSMB_USERS, else
                        /etc/zerosmb/users for root, else
                        ~/.config/zerosmb/users).
    --signing auto|required
                        auto: sign when the client asks (default);
                        required: refuse unsigned requests on user sessions.
    --encrypt           Require SMB 3.x encryption on sessions that can
                        negotiate it.
    --sendfile=true|false
                        Zero-copy READ with sendfile (default true).
    --recvfile-min BYTES
                        Smallest WRITE payload spliced into the file
                        (default 64K; 0 disables). Suffixes K, M, G.
    --max-io BYTES      MaxRead/MaxWrite/MaxTransact size (default 8M).
    --server-name NAME  NetBIOS server name (default ZEROSMB).
    --workgroup NAME    Workgroup/domain name (default WORKGROUP).
    --log-format text|json
                        Log format on stderr (default text).
    --log-level debug|info|warn|error
                        Minimum log level (default info).

CONFIG FILE
    listen = ":445"
    users = "/etc/zerosmb/users"
    signing = "auto"            # or "required"
    encrypt = false
    sendfile = true
    recvfile_min = 65536
    max_io = 8388608
    server_name = "ZEROSMB"
    workgroup = "WORKGROUP"
    log_format = "text"
    log_level = "info"

    [[share]]
    name = "share"
    path = "/srv/share"
    read_only = false
    guest = false
    comment = "files"

SIGNALS
    SIGTERM, SIGINT   stop accepting connections, let requests in flight
                      finish (up to 30 s), then exit.

EXIT STATUS
    0 on clean shutdown, 1 on runtime errors, 2 on usage or configuration
    errors.

EXAMPLES
    echo 'pa55word' | zerosmb user add --users ./users alice
    zerosmb serve --listen 127.0.0.1:4445 --users ./users /srv/data
    smbclient //127.0.0.1/share -p 4445 -U alice%pa55word -c ls
`

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 0 {
		os.Stderr.WriteString(usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return cmdServe(args[1:])
	case "user":
		return cmdUser(args[1:])
	case "bench":
		return cmdBench(args[1:])
	case "version", "--version":
		fmt.Println("zerosmb", version)
		return 0
	case "help", "-h", "--help":
		os.Stdout.WriteString(usage)
		return 0
	}
	fmt.Fprintf(os.Stderr, "zerosmb: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"
