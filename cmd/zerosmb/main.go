// Command zerosmb is an SMB2/SMB3 file server whose READ and WRITE payloads
// bypass user space (sendfile and splice).
//
// This package is the command line only: argument and config file parsing
// (serve.go, config.go), the users file commands (user.go), logging and
// signal handling. The protocol lives in package server, authentication
// and the users file format in package auth, the benchmark driver in
// package bench. Run `zerosmb help` for the full manual.
package main

import (
	"fmt"
	"os"
)

const usage = `NAME
    zerosmb - SMB2/SMB3 file server with a zero-copy data path

SYNOPSIS
    zerosmb serve [options] [DIR]
    zerosmb user add [--users FILE] NAME
    zerosmb user del [--users FILE] NAME
    zerosmb user list [--users FILE]
    zerosmb status [--json] [--control-socket PATH]
    zerosmb config check FILE
    zerosmb group add [--users FILE] NAME [MEMBER...]
    zerosmb group del [--users FILE] NAME
    zerosmb group list [--users FILE]
    zerosmb bench [options]
    zerosmb bench load --addr HOST:PORT --user NAME --file PATH [options]
    zerosmb version
    zerosmb help

DESCRIPTION
    zerosmb serves local directories to SMB clients (Windows, macOS, Linux
    cifs, smbclient, Go clients) over SMB 2.0.2 to 3.1.1. Unsigned,
    unencrypted reads are sent with sendfile(2) straight from the page
    cache, and large unsigned, unencrypted writes are spliced from the
    socket into the file, so file data never crosses into user space on
    the fast path. Signed and encrypted traffic takes the ordinary copy
    path.

    "zerosmb serve DIR" shares DIR as "share" on port 445 (all addresses).
    Users log on with NTLMv2 (NTLMv1 and LM are refused) against the users
    file; create it with "zerosmb user add NAME" first, or run serve on a
    terminal without one: it then offers to create it with a first user
    (the password is asked twice and not echoed).

COMMANDS
    serve [options] [DIR]
        Serve DIR as "share", plus any --share and [[share]] entries.
        Runs in the foreground and logs to stderr.

    user add [--users FILE] NAME
        Add NAME, or replace its password. The password is read from the
        first line of stdin; on a terminal it is prompted for and not
        echoed. It is never taken from the command line. The file and its
        directory are created if missing (mode 0600 and 0700). Names are
        case-insensitive and must not contain ':' or line breaks, start
        with '#', or have leading or trailing spaces.

    user del [--users FILE] NAME
        Remove NAME.

    user list [--users FILE]
        Print the user names, one per line.

    status [--json] [--control-socket PATH]
        Show what a running server serves, like smbstatus: its sessions
        (user, client address, dialect, signing and encryption), tree
        connects, open files (path, granted access, share mode RWD,
        oplock and lease) and byte-range locks. --json prints the same
        as one JSON document for scripts. It asks the server over its
        control socket (see FILES), so it must run as root or as the
        server's user. Exit status 1 if no server answers.

    config check FILE
        Validate FILE as serve would (syntax, keys, values, share
        directories, users file) and print the effective settings, with
        every default filled in, as a config file. Exit status 2 and the
        reason if it is invalid.

    group add [--users FILE] NAME [MEMBER...]
        Create group NAME in the users file, or replace its members; every
        member must be a user of the file. Share access lists name a
        group as "@NAME".

    group del [--users FILE] NAME
        Remove group NAME (its SID is never given to another group).

    group list [--users FILE]
        Print "name: member member" lines.

    bench [options]
        Compare zerosmb with Samba on loopback, unsigned, signed (3.0.2
        AES-CMAC, 3.1.1 AES-128-GMAC) and sealed (3.1.1 AES-128/256-GCM);
        see "zerosmb bench --help".

    bench load --addr HOST:PORT --user NAME --file PATH [options]
        Drive one running SMB server, here or across a network, with the
        benchmark's load client and print GiB/s and CPU per GiB; the
        password is read from stdin. --protection unsigned|signed|gmac|
        gcm128|gcm256 picks the session. See "zerosmb bench load --help".

    bench dirlist [--entries N,...] [--handles N] [--reps N] [--dir DIR]
        List directories of N entries through zerosmb and Samba and print
        entries/s and the server's peak RSS; see internal/bench/README.md.

    version
        Print the version.

SERVE OPTIONS
    Options may come before or after DIR. Flags given on the command line
    override the config file, which overrides the defaults.

    --config FILE       TOML configuration file (see CONFIG FILE).
    --listen ADDR       TCP address to listen on (default ":445"). Binding
                        a port below 1024 needs root or
                        CAP_NET_BIND_SERVICE. Most desktop clients only
                        connect to port 445.
    --share NAME=DIR[,ro][,guest][,comment=TEXT][,users=L][,read=L]...
                        (also [,write=L][,admin=L])
                        Export DIR as NAME; repeatable. ro: read-only.
                        guest: guest and anonymous sessions may connect.
                        users=, read=, write=, admin=: the access lists
                        of SHARE ACCESS (keys users, read_users,
                        write_users, admin_users), L being names and
                        @groups joined by '+', e.g. users=alice+@staff.
                        time_machine: a Time Machine destination (see
                        APPLE CLIENTS); time_machine_max_size=SIZE: the
                        volume size it reports, e.g. 2T.
                        create_mask=MODE, directory_mask=MODE: octal
                        permission masks of new files and directories
                        (CONFIG FILE).
    --access-based-share-enum
                        Share enumeration (smbclient -L, Explorer) lists
                        only the shares the asking user may connect to;
                        by default every share is listed.
    --kernel-leases     (Linux) Back the read caching granted to clients
                        with kernel file leases, so that a local process
                        opening a file for writing first breaks the
                        clients' caching (like Samba's kernel oplocks).
                        Write caching is then never granted, opens with
                        write access get none, and so does an open whose
                        lease the kernel refuses (file open for writing
                        elsewhere; server neither owner nor CAP_LEASE).
                        Local renames and deletes are not seen.
                        Directory leases are off under it.
    --no-directory-leases
                        Grant no SMB 3.x directory leases (RH caching of
                        directory listings, broken by any change inside
                        the directory) and do not advertise them.
    --unix-users        (Linux, root) Do each user's file access as a Unix
                        identity: the kernel checks permissions as that
                        user and new files belong to it (see UNIX
                        IDENTITIES). Config key unix_users.
    --unix-guest NAME   Unix user that guest and anonymous sessions map to
                        with --unix-users (default nobody).
    --users FILE        Users file (default: see ENVIRONMENT and FILES).
    --signing auto|required
                        auto (default): sign responses when the client
                        signs its requests or requires signing.
                        required: user sessions must sign every request;
                        unsigned requests are refused. Guest and anonymous
                        sessions have no key to sign with and stay
                        unsigned either way.
    --encrypt[=off|desired|required]
                        Encryption policy (default off; --encrypt alone
                        means required). desired: SMB 3.x user sessions
                        that negotiated a cipher must encrypt everything
                        (their plaintext requests are refused); SMB 2.x,
                        guest and anonymous sessions, which cannot
                        encrypt, stay plaintext. required: as desired, and
                        a logon that would give a session unable to
                        encrypt (SMB 2.x, no cipher, guest, anonymous)
                        fails with ACCESS_DENIED. Use the = form: a
                        separate word would be taken as DIR.
    --posix=true|false  Grant the SMB 3.1.1 POSIX extensions to clients
                        that ask (Linux: mount -o posix): modes on create,
                        Unix owners and groups, case-sensitive names
                        (default true; partial, see README).
    --sendfile=true|false
                        Send READ payloads with sendfile (default true).
    --signed-sendfile   Linux only, default off: signed READs also use
                        sendfile, the signature computed over the page
                        cache (see --signed-sendfile-hash). Only while no
                        SMB handle can write the file or cache writes
                        (lease/oplock with W). A local change seen while
                        hashing falls back to the copy path, one seen
                        while sending closes the connection before the
                        frame is complete; one after sendfile returned can
                        still alter bytes in flight (sendfile queues page
                        references), and the client then refuses the
                        response as badly signed. Off by default because
                        that cannot be ruled out and, over loopback, the
                        copy path is cheaper with one client; with 8
                        clients reading 8 MiB it saved ~20% server CPU
                        (docs/benchmarks.md, "Signed READ: sendfile or
                        copy"). Use it only on shares no other program
                        writes, after measuring with your clients.
    --signed-sendfile-hash openmap|pread|mmap
                        How --signed-sendfile reads the payload to MAC it
                        (default openmap: the cheapest on every benchmark
                        row): openmap maps the file once per open and
                        keeps the mapping until the handle closes (files
                        up to 64 GiB; larger ones map per READ); pread
                        reads 256 KiB chunks into one buffer and MACs
                        each while cached (no mapping); mmap maps the
                        range for each READ.
    --smb1              Also speak SMB1 (NT LM 0.12), a legacy protocol,
                        deprecated and off by default: only for devices
                        that know nothing newer (old printers, media
                        players, Windows XP). SPNEGO/NTLMv2 logons only;
                        MD5 signing when the client asks or signing is
                        required. Partial, see README.
    --recvfile-min SIZE Smallest WRITE payload spliced into the file
                        (default 64K; 0 disables splicing).
    --max-io SIZE       MaxRead/MaxWrite/MaxTransact size offered to
                        clients, 64K to 8M (default 8M).
    --max-search-pattern N
                        Longest QUERY_DIRECTORY search pattern, in UTF-16
                        code units (default 255, as Windows); longer ones
                        get STATUS_OBJECT_NAME_INVALID.
    --max-dir-streams N, --max-dir-streams-per-conn N
                        Directory listings kept open between requests,
                        server-wide (default 4096) and per connection
                        (default 64). Others reopen the directory for each
                        request: the same entries, slower, no memory held.
    --max-zero-fill SIZE
                        Most bytes one FSCTL_SET_ZERO_DATA may write as
                        zeros where the file system cannot punch holes
                        (default 64M); larger ranges are refused.
    --max-stream-size SIZE
                        Largest named stream (alternate data stream, Mac
                        resource fork) in the share's sidecar store
                        (default: as large as a file, 16T - 64K); WRITEs
                        beyond get STATUS_DISK_FULL.
    --dos-attrib-cache N
                        DOS attribute records (user.zerosmb.dosattrib)
                        remembered after reading them, each used while the
                        file's change time is unchanged (default 65536;
                        negative: none, every listing reads each entry's
                        xattr).
    --sd-cache N        Security descriptors (user.zerosmb.ntacl; entries up
                        to 1 KiB with the path) remembered after reading
                        them by path, each used while the file's inode and
                        change time are unchanged; setting a descriptor
                        through the server drops its entry (default 65536;
                        negative: none, every CREATE of an existing file
                        reads its xattr).
    --strict-allocate   Reserve disk space for real when a client sets a
                        file's allocation size (fallocate); off by
                        default, as Samba's "strict allocate": the size is
                        only remembered, so no request reserves space.
    --server-name NAME  NetBIOS server name (default ZEROSMB).
    --workgroup NAME    Workgroup/domain name (default WORKGROUP).
    --log-format text|json
                        Log format on stderr (default text).
    --log-level debug|info|warn|error
                        Minimum log level (default info). At info every
                        connection logs "connection opened" and
                        "connection closed"; failed logons are logged at
                        warn with the user name, never the password, at
                        most one aggregated line per 10 s (see LIMITS).
    --metrics ADDR      Serve Prometheus metrics over HTTP on ADDR at
                        /metrics, e.g. 127.0.0.1:9445 (default off; see
                        METRICS). The endpoint has no authentication:
                        bind it to loopback or a management network.
    --mdns=true|false   Advertise the server with mDNS/DNS-SD (Bonjour,
                        avahi) so Finder and file managers list it: an
                        _smb._tcp service on the listening port and a
                        _device-info._tcp record with the model. Default
                        on unless --listen is a loopback address. See
                        DISCOVERY.
    --mdns-model NAME   _device-info._tcp model, which picks the icon
                        Finder draws (default RackMac); also the model
                        answered to macOS clients' AAPL server query.
    --ws-discovery      Opt-in: answer WS-Discovery (UDP 3702, metadata
                        over HTTP on 5357) so Windows' network view lists
                        the server with its name and workgroup. IPv4 only.
    --control-socket PATH
                        Unix socket that "zerosmb status" talks to
                        (default: see FILES); "none" disables it. The
                        socket is mode 0600 and only root and the
                        server's user may use it.
    --max-connections N Concurrent connections (default 16384). When
                        all are taken, a new connection replaces the
                        oldest one that has not logged on yet; only when
                        every connection is logged on is it refused.
                        serve raises RLIMIT_NOFILE to 2N+1024 if it can
                        and warns if it cannot (see LIMITS).
    --max-connections-per-addr N
                        Connections from one client IP (default 0: no
                        limit beyond --max-connections).
    --max-handshakes-per-addr N
                        Connections from one client IP that have not
                        logged on yet (default 64; 0: no limit).
    --handshake-timeout DURATION
                        Close a connection that has not completed a
                        SESSION_SETUP this long after connecting (default
                        30s).
    --idle-timeout DURATION
                        Close a connection without requests for this long
                        (default 15m).
    --max-request-memory SIZE
                        Memory for request frames above 64K held at once,
                        server-wide (default 512M); a connection whose
                        frame does not fit waits. Before a logon frames
                        are limited to 64K.
    --auth-fail-delay DURATION
                        Answer a failed logon after this delay (default
                        1s; 0: none). Only that connection waits.
    --auth-lockout-addr N
                        Failed logons from one client IP that lock that
                        address out for --auth-lockout-time (default 10;
                        0: never).
    --auth-lockout-user N
                        Failed logons for one user name that lock the
                        name out for --auth-lockout-time (default 30; 0:
                        never). Locked-out logons fail with
                        ACCOUNT_LOCKED_OUT whatever the password.
    --auth-lockout-time DURATION
                        How long failures are counted and a lockout lasts
                        (default 1m).
    -h, --help          Print this manual.

    SIZE is a byte count with an optional suffix K, M, G or T (or KiB,
    MiB, GiB, TiB), all powers of 1024. DURATION is a number with a unit
    (30s, 15m, 1h30m) or a plain number of seconds.

GUEST ACCESS
    Marking a share guest lets anonymous logons, and logons of user names
    not in the users file, in as guests. Guests reach only guest shares;
    a known user with a wrong password is refused, not made a guest. If
    every share that needs to be reachable is a guest share, the users
    file may be absent (guest-only mode), unless --users or "users" names
    it explicitly.

SHARE ACCESS
    Every user of the users file reaches every non-guest share with full
    rights unless the share has access lists. Entries are user names or
    "@group" for every member of a group (groups of the users file, see
    "group add", or of [groups] in the config file).

    users        Who may connect. Empty: every user. A user named in
                 read_users, write_users or admin_users may connect too.
                 Anyone else gets STATUS_ACCESS_DENIED at TREE_CONNECT.
    read_users   Connect read-only even on a writable share: the tree's
                 maximal access is read-only and every modification is
                 refused with STATUS_ACCESS_DENIED.
    write_users  Connect read-write even when the share is read_only.
    admin_users  May read and change any file's ACL, take ownership
                 (set any owner) and set SACLs, whatever the DACL says.

    Guests reach guest shares whatever the lists say, read-only if the
    share is. A user removed from the users file while logged on keeps
    the shares already connected, but connects to no further one.
    Access lists and ACLs are checked by the server; by default files
    are created with the server's own Unix identity and the ACLs are the
    only check. With unix_users (UNIX IDENTITIES) the kernel also checks
    every file access as the user's Unix identity.

IDENTITIES AND ACLS
    Each user and group of the users file has a SID: the file's domain
    SID (a "!sid S-1-5-21-a-b-c" line, random when the file is created)
    plus a RID that is never given to anyone else after "user del". A
    session's token holds the user, its groups, Everyone, Authenticated
    Users and BUILTIN\Users (admin_users also BUILTIN\Administrators).
    Users files written before RIDs existed still load; their users get
    RIDs in name order, written on the next "user add" or "user del".

    Every file and directory has a Windows security descriptor (owner,
    group, DACL; a SACL only from admin_users), checked at every CREATE
    (MS-DTYP access check; MAXIMUM_ALLOWED and the MxAc create context
    answer the real mask). DELETE is granted by the file's DACL or the
    parent's FILE_DELETE_CHILD; reading a descriptor needs READ_CONTROL,
    changing it WRITE_DAC / WRITE_OWNER. A new file's descriptor is the
    one the client sends with the CREATE, else the ACEs inherited from
    the parent (container/object inherit, inherit-only, no-propagate,
    CREATOR OWNER), else a default: owner, SYSTEM and Administrators
    full control, Everyone everything but changing the ACL or owner and
    deleting through the directory (read and execute on a read_only
    share). The creating user is the owner. Files the server did not
    create (or made before it kept ACLs) are owned by Administrators and
    give Everyone full control, as before, until an ACL is set on them.
    Descriptors are stored in the extended attribute user.zerosmb.ntacl
    (at most 64 KiB); one larger than the file system's xattrs hold
    (about 4 KiB on ext4) goes to the share's hidden .zerosmb directory
    (Linux; elsewhere it is refused with STATUS_INSUFFICIENT_RESOURCES
    and nothing changes). They survive restarts; where xattrs are
    missing they are kept in memory only.
    Edit them with smbcacls or Explorer's Security tab: SID names are
    answered over \pipe\lsarpc, and the users and groups can be browsed
    (read-only) over \pipe\samr, e.g. rpcclient -c enumdomusers.

UNIX IDENTITIES
    With unix_users = true (--unix-users; Linux, the server running as
    root) every SMB user is also a Unix identity: its [unix_ids] entry
    (uid, gid, supplementary groups; no passwd entry needed), else the
    Unix user of the same name (passwd and group databases: uid, primary
    gid, every group it is in). Guest and anonymous sessions are
    unix_guest (default nobody, also looked up in [unix_ids] first).

    Every path operation a session makes (open, create, mkdir, rename,
    hard and symbolic links, delete, setting times and POSIX modes,
    listing a directory) runs on an OS thread whose file system uid,
    gid and groups are the user's (setfsuid, setfsgid, setgroups on
    that thread only), restored before the thread runs anything else.
    So new files and directories belong to the user, and the kernel
    refuses what the user's modes do not allow with
    STATUS_ACCESS_DENIED, even where the ACL would allow it: both
    checks apply. Delete-on-close is checked up front against the
    directory's mode bits and sticky bit. Reads and writes use the
    descriptor opened as the user, so sendfile and splice are
    unchanged. The server's own metadata (security descriptors, EAs and
    streams in xattrs) is still written as root: ACLs decide who may
    change it. New files get mode 0666 & create_mask and directories
    0777 & directory_mask (per share; no mask by default), minus the
    server's umask (systemd's UMask=, e.g. 0027), or the mode a Linux
    POSIX client creates them with.

    A user without a Unix identity (no [unix_ids] entry and no Unix user
    of that name), or one that maps to uid 0, logs on (the password is
    right, and share lists and SID lookups on IPC$ need no Unix
    identity) but gets STATUS_ACCESS_DENIED at TREE_CONNECT of every
    disk share, logged with the reason; nothing ever runs as root for a
    client. The lookup happens at each TREE_CONNECT, so passwd changes
    apply to the next connect; unix_users, unix_guest and [unix_ids]
    need a restart. Elsewhere than Linux, or not as root, serve refuses
    to start with unix_users.

        unix_users = true
        unix_guest = "nobody"
        [unix_ids]
        alice = { uid = 2001, gid = 2001, groups = [3000] }
        bob = { uid = 2002, gid = 2002 }

CONFIG FILE
    TOML; every key is optional and unknown keys are errors, reported
    with the file name and the line or key at fault. Sizes are integers
    (bytes) or strings with a suffix, like "64K".

        listen = ":445"
        users = "/etc/zerosmb/users"
        signing = "auto"            # or "required"
        encrypt = "off"             # "desired", "required"; true = required
        posix = true                # POSIX extensions, see --posix
        sendfile = true
        signed_sendfile = false     # experimental, see --signed-sendfile
        signed_sendfile_hash = "openmap" # or "pread", "mmap"
        recvfile_min = "64K"        # 0 disables splicing
        smb1 = false                # legacy SMB1, see --smb1
        max_io = "8M"
        max_search_pattern = 255
        max_dir_streams = 4096
        max_dir_streams_per_conn = 64
        max_zero_fill = "64M"
        max_stream_size = "16T"     # default: as large as a file
        strict_allocate = false
        dos_attrib_cache = 65536
        sd_cache = 65536
        server_name = "ZEROSMB"
        workgroup = "WORKGROUP"
        log_format = "text"         # or "json"
        log_level = "info"
        metrics = ""                # e.g. "127.0.0.1:9445"; "" is off
        control_socket = ""         # "" is the default; "none" is off
        mdns = true                 # default: on unless listen is loopback
        mdns_model = "RackMac"
        ws_discovery = false
        max_connections = 16384
        max_connections_per_addr = 0    # 0: no limit
        max_handshakes_per_addr = 64    # 0: no limit
        handshake_timeout = "30s"
        idle_timeout = "15m"
        max_request_memory = "512M"
        auth_fail_delay = "1s"          # "0s": none
        auth_lockout_addr = 10          # 0: never
        auth_lockout_user = 30          # 0: never
        auth_lockout_time = "1m"
        access_based_share_enum = false
        kernel_leases = false           # Linux: see --kernel-leases
        no_directory_leases = false     # see --no-directory-leases
        unix_users = false              # Linux, root: UNIX IDENTITIES
        unix_guest = "nobody"

        [groups]                    # added to the users file's groups
        staff = ["carol", "dave"]

        [unix_ids]                  # with unix_users: user = Unix ids
        alice = { uid = 2001, gid = 2001, groups = [3000] }

        [[share]]                   # repeatable; name and path required
        name = "share"
        path = "/srv/share"
        read_only = false
        guest = false
        comment = "files"
        users = ["alice", "@staff"] # empty or absent: every user
        read_users = ["bob"]
        write_users = []
        admin_users = ["alice"]
        time_machine = false        # Time Machine destination (APPLE CLIENTS)
        time_machine_max_size = 0   # e.g. "2T": the size Time Machine sees
        create_mask = 0o640         # new files: 0666 & mask, less umask
        directory_mask = 0o750      # new directories: 0777 & mask

LIMITS
    A connection is "pending" from connect until its first successful
    SESSION_SETUP (a guest or anonymous logon counts). Pending connections
    are closed after handshake_timeout, limited per client address by
    max_handshakes_per_addr, and give their slot to new connections when
    max_connections is reached, oldest first, so sockets that never log on
    cannot lock users out. Refused, replaced and timed-out connections,
    malformed input before a logon, and failed logons are logged as one
    aggregated warning per 10 s with counts by reason and up to 8
    addresses (or user@address). Clients behind one NAT address share its
    per-address limits; raise max_handshakes_per_addr and
    auth_lockout_addr for such networks.

    Each connection is a file descriptor, and so is each open file: serve
    raises the soft RLIMIT_NOFILE to 2 x max_connections + 1024 (and the
    hard limit, where it may: CAP_SYS_RESOURCE) and warns at startup if it
    could not; the "zerosmb listening" line shows fd_limit. Ten thousand
    logged-on connections take about 250 MB of memory (25 KB each).

ENVIRONMENT
    ZEROSMB_USERS
        Users file used when --users (or "users" in the config file) is
        not given, by serve and by the user commands.

    ZEROSMB_CONTROL_SOCKET
        Control socket used when --control-socket (or "control_socket")
        is not given, by serve and by status.

FILES
    /etc/zerosmb/users
        Default users file when running as root.
    $XDG_CONFIG_HOME/zerosmb/users, else ~/.config/zerosmb/users
        Default users file for other users.

    /run/zerosmb/control.sock
        Default control socket when running as root; otherwise
        $XDG_RUNTIME_DIR/zerosmb/control.sock, else
        $TMPDIR/zerosmb-UID/control.sock. Its directory is created with
        mode 0700 if missing.

    A users file holds one "name:hash" line per user, where hash is the
    NT hash (MD4 of the UTF-16LE password) in hex; lines starting with
    '#' are comments. The hash is a password equivalent: zerosmb refuses
    a users file that group or others may access (chmod 600 it).

SIGNALS
    SIGTERM, SIGINT
        Stop accepting connections, let the request in flight on each
        connection finish (up to 30 s), close the connections, log the
        data-path totals and "stopped", and exit 0. A second signal kills
        the process at once.

    SIGUSR1
        Log the data-path counters ("data path"): READ payload bytes sent
        (read_bytes) and how many of them went out with sendfile
        (read_sendfile_bytes), WRITE payload bytes written (write_bytes)
        and how many were received by header splitting and spliced
        (write_split_bytes). Signed, encrypted and compound traffic and
        WRITEs below --recvfile-min take the copy path.

    SIGHUP
        Re-read the config file and the users file (the command-line
        flags still apply on top). Added shares accept tree connects at
        once; a removed share refuses new tree connects and new opens,
        while files already open on it keep working until closed; a
        changed password applies to new logons, established sessions
        stay. A share whose path or options changed is removed and added.
        If the new configuration is invalid (parse error, unknown key,
        missing share directory, unreadable users file) nothing changes
        and "reload failed" is logged with the reason. Settings other
        than the shares and users (listen, signing, encrypt, sendfile,
        sizes, names, logging, metrics, control socket) need a restart;
        a reload that changes them logs which.

DISCOVERY
    With mDNS on, serve answers multicast DNS queries (UDP port 5353) on
    the interfaces that carry the listening address (every up,
    multicast-capable, non-loopback interface for a wildcard address),
    each with that interface's addresses. The instance name is
    --server-name if given, else the host name; the host is HOSTNAME.local.
    It answers queries only: no unsolicited announcements and no name
    conflict probing, so a browser finds the server when it starts
    browsing. Failing to start it (no multicast interface, port 5353
    unavailable) is logged as a warning and serving goes on.
    Shares with time_machine = true are also advertised in an _adisk._tcp
    record (TXT "sys=waMa=0,adVF=0x100" and "dkN=adVN=NAME,adVF=0x82"
    per share), which makes macOS offer them as backup disks. A SIGHUP
    that adds, changes or removes time_machine shares updates the record
    at once and multicasts the change (an announcement, or a goodbye when
    none is left), so browsers do not wait for their cache to expire.
    Turning mdns on or off, mdns_model and server_name need a restart.

    With --ws-discovery, serve also runs a WS-Discovery responder (the
    protocol Windows' network view browses): it sends Hello at start and
    Bye at shutdown to 239.255.255.250:3702, answers Probe and Resolve,
    and serves the device metadata (name, "Workgroup:" --workgroup) over
    HTTP on the interface address, port 5357 or any free one if taken.

APPLE CLIENTS
    macOS sends Apple's AAPL create context; serve answers it (unless the
    embedding program sets NoAppleExtensions) with READDIR_ATTR (a
    listing carries each entry's max access, resource fork size and
    Finder info, so Finder opens no file to draw a folder), OSX copyfile
    (a COPYCHUNK with no chunks copies a whole file with its streams:
    tags, resource fork, Finder info), FULL_SYNC (every FLUSH is an
    fsync(2)) and the model --mdns-model. It offers no UNIX modes or NFS
    ACEs, and reports names as case-insensitive, which they are.
    Finder metadata lives in the AFP_AfpInfo stream (60 bytes, checked as
    macOS checks it; a write of all-zero Finder info removes it) and
    the resource fork in AFP_Resource; both are named streams. AFP_AfpInfo
    is an extended attribute of the file (user.zerosmb.stream.*); the
    resource fork and every other new stream is a file of its own in the
    share's hidden .zerosmb directory (Linux), as large as
    --max-stream-size allows, read and written with sendfile and splice
    like any file. Elsewhere (and for streams written by versions before
    it) streams are extended attributes, limited to the file system's
    attribute size (at most 64 KiB; about 4 KiB on ext4): larger writes
    fail with STATUS_DISK_FULL. .zerosmb at the share root is not listed
    and no client path reaches it; back it up with the share. AppleDouble
    "._" files (what macOS writes where streams fail) are stored as
    ordinary files, as the client wrote them.

    A share with time_machine = true is a Time Machine destination: it
    must be writable (read_only is refused), is advertised in _adisk._tcp
    (see DISCOVERY), and with time_machine_max_size reports that size as
    its volume size and that size minus its top-level *.sparsebundle
    band files (measured at most every 10 s) as free space, so Time
    Machine deletes old backups before it reaches the limit. The limit
    is advisory: zerosmb does not refuse writes beyond it. Durable
    handles, which Time Machine needs, are granted on every share.

METRICS
    With --metrics, GET /metrics returns the Prometheus text format:
        zerosmb_connections, zerosmb_sessions, zerosmb_tree_connects,
        zerosmb_open_files, zerosmb_byte_range_locks,
        zerosmb_async_requests, zerosmb_credits_outstanding
            gauges, counted at scrape time.
        zerosmb_connections_accepted_total,
        zerosmb_connections_refused_total,
        zerosmb_sessions_established_total, zerosmb_logon_failures_total
        zerosmb_read_bytes_total{path}, zerosmb_write_bytes_total{path}
            payload bytes by path: sendfile or splice (zero-copy), copy,
            signed, sealed (encrypted).
        zerosmb_requests_total{command},
        zerosmb_request_duration_seconds{command}
            requests and a latency histogram (50us to 10s) per SMB2
            command, until the first response (the interim one for a
            request that goes async).
        zerosmb_errors_total{status}
            responses by NTSTATUS name, warning and error severity.
    plus the Go runtime (go_*) and process (process_*) metrics. Counting
    costs a few atomic additions per request and no allocation.

EXIT STATUS
    0   success, or clean shutdown after SIGTERM/SIGINT.
    1   runtime error: cannot listen, serve failed, users file unreadable
        or a user to delete not found.
    2   usage or configuration error: bad flag or config file, missing
        share directory, no usable users file, invalid user name or empty
        password.

EXAMPLES
    Share /srv/data for alice on a high port and list it:

        echo 'pa55word' | zerosmb user add --users ./users alice
        zerosmb serve --listen 127.0.0.1:4445 --users ./users /srv/data
        smbclient //127.0.0.1/share -p 4445 -U alice -c ls

    A read-only guest share next to a private one, JSON logs:

        zerosmb serve --share pub=/srv/pub,ro,guest,comment=Public \
            --share home=/home/alice --log-format json

    Require signing, and encryption (SMB 3.x users only):

        zerosmb serve --signing required --encrypt /srv/data

    Metrics for Prometheus on loopback; who is connected; a reload:

        zerosmb serve --metrics 127.0.0.1:9445 --config /etc/zerosmb.toml
        curl -s 127.0.0.1:9445/metrics | grep ^zerosmb_sessions
        zerosmb status
        kill -HUP $(pidof zerosmb)
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
	case "status":
		return cmdStatus(args[1:])
	case "config":
		return cmdConfig(args[1:])
	case "group":
		return cmdGroup(args[1:])
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
