package discovery

import (
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// adiskAnswers asks z for _adisk._tcp PTR records, as a browser does, and
// returns their TXT strings ("" when there is no service).
func adiskAnswers(z *ifaceZone) string {
	var txt []string
	for _, rr := range z.Records(dns.Question{Name: "_adisk._tcp.local.", Qtype: dns.TypePTR}) {
		if t, ok := rr.(*dns.TXT); ok {
			txt = append(txt, t.Txt...)
		}
	}
	return strings.Join(txt, "|")
}

// TestSetTimeMachine swaps the Time Machine shares of a running
// advertiser's zone (no network needed: the announcements are checked as
// messages) and checks queries see the new records at once.
func TestSetTimeMachine(t *testing.T) {
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Skip("no lo interface")
	}
	cfg := Config{Instance: "ZS", Port: 445, Model: DefaultModel, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	z := &ifaceZone{cfg: cfg, host: "h.local.", it: ifaceAddrs{*lo, []net.IP{net.IPv4(192, 0, 2, 1)}}}
	if z.zs, z.adisk, err = z.build(nil); err != nil {
		t.Fatal(err)
	}
	a := &Advertiser{zones: []*ifaceZone{z}, log: cfg.Logger}
	if got := adiskAnswers(z); got != "" {
		t.Fatalf("no Time Machine share, yet _adisk._tcp answers %q", got)
	}
	if err := a.SetTimeMachine([]string{"Backups"}); err != nil {
		t.Fatal(err)
	}
	if got := adiskAnswers(z); got != "sys=waMa=0,adVF=0x100|dk0=adVN=Backups,adVF=0x82" {
		t.Errorf("after adding Backups: %q", got)
	}
	if !slices.Equal(a.TimeMachine(), []string{"Backups"}) {
		t.Errorf("TimeMachine() = %v", a.TimeMachine())
	}
	if err := a.SetTimeMachine([]string{"a=b"}); err == nil || adiskAnswers(z) == "" {
		t.Errorf("a bad share name: %v; records %q", err, adiskAnswers(z))
	}
	if err := a.SetTimeMachine(nil); err != nil {
		t.Fatal(err)
	}
	if got := adiskAnswers(z); got != "" {
		t.Errorf("after removing every share: %q", got)
	}
	// _smb._tcp stays throughout.
	if rrs := z.Records(dns.Question{Name: "_smb._tcp.local.", Qtype: dns.TypePTR}); len(rrs) == 0 {
		t.Error("_smb._tcp lost")
	}
}

// TestChangeMessage checks the unsolicited responses: an announcement
// carries the service with cache-flush on its unique records, a goodbye
// only the PTR with TTL 0.
func TestChangeMessage(t *testing.T) {
	lo := net.Interface{Name: "x", Index: 1}
	z := &ifaceZone{cfg: Config{Instance: "ZS", Port: 445, Model: DefaultModel}, host: "h.local.", it: ifaceAddrs{lo, []net.IP{net.IPv4(192, 0, 2, 1)}}}
	_, adisk, err := z.build([]string{"Backups"})
	if err != nil {
		t.Fatal(err)
	}
	var m dns.Msg
	if err := m.Unpack(changeMessage(nil, adisk)); err != nil {
		t.Fatal(err)
	}
	var ptr, txt bool
	for _, rr := range m.Answer {
		h := rr.Header()
		switch rr := rr.(type) {
		case *dns.PTR:
			ptr = ptr || h.Name == "_adisk._tcp.local." && h.Ttl > 0 && h.Class == dns.ClassINET
		case *dns.TXT:
			txt = slices.Contains(rr.Txt, "dk0=adVN=Backups,adVF=0x82") && h.Class == dns.ClassINET|1<<15
		}
	}
	if !m.Response || !ptr || !txt {
		t.Errorf("announcement %v", &m)
	}
	if err := m.Unpack(changeMessage(adisk, nil)); err != nil {
		t.Fatal(err)
	}
	if len(m.Answer) != 1 || m.Answer[0].Header().Rrtype != dns.TypePTR || m.Answer[0].Header().Ttl != 0 {
		t.Errorf("goodbye %v", &m)
	}
	if changeMessage(nil, nil) != nil {
		t.Error("a message for no change")
	}
}
