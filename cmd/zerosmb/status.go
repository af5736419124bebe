package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/zerosmb/zerosmb/server"
)

// cmdStatus is `zerosmb status [--json] [--control-socket PATH]`.
func cmdStatus(args []string) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "")
	path := fs.String("control-socket", "", "")
	help := fs.Bool("help", false, "")
	fs.BoolVar(help, "h", false, "")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return exitCode("status", usageError{err.Error()})
	}
	if *help {
		os.Stdout.WriteString(usage)
		return 0
	}
	if len(pos) > 0 {
		return exitCode("status", usagef("unexpected argument %q", pos[0]))
	}
	if *path == "" {
		*path = defaultControlPath()
	}
	raw, err := queryControl(*path, controlStatus)
	if err != nil {
		return exitCode("status", err)
	}
	if *asJSON {
		os.Stdout.Write(raw)
		return 0
	}
	var st server.Status
	if err := json.Unmarshal(raw, &st); err != nil {
		return exitCode("status", fmt.Errorf("bad answer from %s: %w", *path, err))
	}
	printStatus(os.Stdout, &st, time.Now())
	return 0
}

// queryControl sends one request line to the control socket and returns
// the JSON answer.
func queryControl(path, req string) ([]byte, error) {
	c, err := net.DialTimeout("unix", path, 5*time.Second)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the server's control socket (is zerosmb serve running, and as this user or root?): %w", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, req+"\n"); err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	raw, err := io.ReadAll(bufio.NewReader(io.LimitReader(c, 64<<20)))
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("control socket %s: no answer (refused?)", path)
	}
	return raw, nil
}

// printStatus prints st as tables, like smbstatus.
func printStatus(w io.Writer, st *server.Status, now time.Time) {
	nSess, nTrees, nOpens, nLocks := 0, 0, 0, 0
	for _, c := range st.Connections {
		for _, s := range c.Sessions {
			nSess++
			for _, t := range s.Trees {
				nTrees++
				for _, o := range t.Opens {
					nOpens++
					nLocks += len(o.Locks)
				}
			}
		}
	}
	fmt.Fprintf(w, "zerosmb: up %s, shares %s; %d connections, %d sessions, %d tree connects, %d open files, %d byte-range locks\n",
		now.Sub(st.Started).Round(time.Second), strings.Join(st.Shares, ", "), len(st.Connections), nSess, nTrees, nOpens, nLocks)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nSESSION\tUSER\tCLIENT\tDIALECT\tSIGNING\tENCRYPTION\tCONNECTED")
	for _, c := range st.Connections {
		if len(c.Sessions) == 0 {
			fmt.Fprintf(tw, "-\t(no session)\t%s\t%s\t-\t-\t%s\n", c.Client, orDash(c.Dialect), c.Since.Local().Format(time.DateTime))
		}
		for _, s := range c.Sessions {
			fmt.Fprintf(tw, "%#x\t%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, userName(&s), c.Client, c.Dialect,
				signingWord(&s), encryptionWord(&s), c.Since.Local().Format(time.DateTime))
		}
	}
	fmt.Fprintln(tw, "\nSESSION\tTREE\tSHARE\tOPEN FILES")
	for _, c := range st.Connections {
		for _, s := range c.Sessions {
			for _, t := range s.Trees {
				fmt.Fprintf(tw, "%#x\t%d\t%s\t%d\n", s.ID, t.ID, t.Share, len(t.Opens))
			}
		}
	}
	fmt.Fprintln(tw, "\nSESSION\tUSER\tSHARE\tPATH\tACCESS\tSHARE MODE\tOPLOCK\tLEASE\tLOCKS")
	for _, c := range st.Connections {
		for _, s := range c.Sessions {
			for _, t := range s.Trees {
				for _, o := range t.Opens {
					fmt.Fprintf(tw, "%#x\t%s\t%s\t%s\t%#08x\t%s\t%s\t%s\t%d\n", s.ID, userName(&s), t.Share, openPath(&o),
						o.Access, o.ShareMode, o.Oplock, o.Lease, len(o.Locks))
				}
			}
		}
	}
	fmt.Fprintln(tw, "\nSHARE\tPATH\tOFFSET\tLENGTH\tTYPE\tSESSION")
	for _, c := range st.Connections {
		for _, s := range c.Sessions {
			for _, t := range s.Trees {
				for _, o := range t.Opens {
					for _, l := range o.Locks {
						kind := "shared"
						if l.Exclusive {
							kind = "exclusive"
						}
						fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%#x\n", t.Share, openPath(&o), l.Offset, l.Length, kind, s.ID)
					}
				}
			}
		}
	}
	tw.Flush()
}

func userName(s *server.SessionStatus) string {
	switch {
	case s.Anonymous:
		return "(anonymous)"
	case s.Guest:
		return "(guest) " + s.User
	case s.Domain != "":
		return s.Domain + `\` + s.User
	}
	return s.User
}

func signingWord(s *server.SessionStatus) string {
	switch {
	case s.SigningRequired:
		return "required"
	case s.Signed:
		return "yes"
	}
	return "no"
}

func encryptionWord(s *server.SessionStatus) string {
	switch {
	case s.EncryptionRequired:
		return "required (" + s.Cipher + ")"
	case s.Encrypted:
		return "yes (" + s.Cipher + ")"
	}
	return "no"
}

func openPath(o *server.OpenStatus) string {
	p := "/" + o.Path
	if o.Stream != "" {
		p += ":" + o.Stream
	}
	if o.Directory && p != "/" {
		p += "/"
	}
	return p
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
