// Package discovery advertises a zerosmb server on the local network with
// multicast DNS / DNS-SD (RFC 6762, RFC 6763), so macOS Finder, Linux file
// managers (avahi) and other Bonjour browsers list it without being told
// its address: an _smb._tcp service on the SMB port, a _device-info._tcp
// record whose model picks Finder's icon and, for Time Machine shares, an
// _adisk._tcp record that makes them backup destinations.
//
// It uses github.com/hashicorp/mdns as the responder rather than a
// home-made one: the only maintained mDNS library the module proxy here
// serves (github.com/grandcat/zeroconf and github.com/brutella/dnssd are
// not available), small, and built on github.com/miekg/dns. It answers
// queries only; it does not announce unsolicited or probe for name
// conflicts, so a browser finds the server when it asks (every browser
// asks when it starts browsing).
//
// StartWSD (wsd.go) adds WS-Discovery for Windows' network view.
package discovery

import (
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/mdns"
	"github.com/miekg/dns"
)

// DefaultModel is the _device-info._tcp model reported when none is set:
// Finder draws a rack server icon for it.
const DefaultModel = "RackMac"

// Config says what to advertise.
type Config struct {
	// Instance is the service instance name browsers show; default the
	// host name.
	Instance string
	// Port is the SMB TCP port.
	Port int
	// IP is the address the server listens on; nil or unspecified means
	// every multicast-capable, non-loopback interface that is up.
	IP net.IP
	// Model is the _device-info._tcp model; default DefaultModel.
	Model string
	// TimeMachine names the shares advertised as Time Machine
	// destinations in _adisk._tcp; none means no _adisk._tcp record.
	TimeMachine []string
	Logger      *slog.Logger
}

// adiskPort is the port of the _adisk._tcp SRV record: the record only
// carries TXT, and Apple's own servers announce the discard port.
const adiskPort = 9

// AdiskTXT returns the _adisk._tcp TXT strings for Time Machine shares:
// "sys=waMa=0,adVF=0x100" (no Wi-Fi MAC, the flags of an SMB server) and
// one "dkN=adVN=NAME,adVF=0x82" per share (an SMB, Time Machine capable
// volume).
func AdiskTXT(shares []string) []string {
	txt := []string{"sys=waMa=0,adVF=0x100"}
	for i, s := range shares {
		txt = append(txt, fmt.Sprintf("dk%d=adVN=%s,adVF=0x82", i, s))
	}
	return txt
}

// Advertiser answers mDNS queries for the server until Close.
type Advertiser struct {
	servers []*mdns.Server
	zones   []*ifaceZone // the records of each server (update.go)
	log     *slog.Logger

	mu sync.Mutex // serialises SetTimeMachine and Close
	tm []string   // the Time Machine shares advertised

	// Interfaces are the names of the interfaces advertised on.
	Interfaces []string
}

// Close stops answering.
func (a *Advertiser) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range a.servers {
		s.Shutdown()
	}
	return nil
}

// Start advertises cfg on the interfaces that carry cfg.IP (all of them
// for an unspecified address). Each interface gets its own responder
// whose records hold only that interface's addresses.
func Start(cfg Config) (*Advertiser, error) {
	if cfg.Port <= 0 || cfg.Port > 65535 {
		return nil, fmt.Errorf("discovery: bad port %d", cfg.Port)
	}
	if cfg.Model == "" {
		cfg.Model = DefaultModel
	}
	if err := checkTimeMachine(cfg.TimeMachine); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	host, err := os.Hostname()
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	host, _, _ = strings.Cut(host, ".")
	if cfg.Instance == "" {
		cfg.Instance = host
	}
	ifaces, err := interfacesFor(cfg.IP)
	if err != nil {
		return nil, err
	}
	a := &Advertiser{tm: slices.Clone(cfg.TimeMachine), log: cfg.Logger}
	var errs []error
	for _, it := range ifaces {
		srv, z, err := startOn(cfg, host+".local.", it)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", it.iface.Name, err))
			continue
		}
		a.servers = append(a.servers, srv)
		a.zones = append(a.zones, z)
		a.Interfaces = append(a.Interfaces, it.iface.Name)
	}
	if len(a.servers) == 0 {
		if len(errs) == 0 {
			return nil, errors.New("discovery: no multicast-capable interface is up")
		}
		return nil, fmt.Errorf("discovery: %w", errors.Join(errs...))
	}
	for _, err := range errs {
		cfg.Logger.Warn("mDNS not advertised on an interface", "err", err)
	}
	return a, nil
}

// ifaceAddrs is an interface and the addresses to advertise on it.
type ifaceAddrs struct {
	iface net.Interface
	ips   []net.IP
}

// interfacesFor returns the interfaces to advertise on for a server
// listening on ip.
func interfacesFor(ip net.IP) ([]ifaceAddrs, error) {
	all, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	var out []ifaceAddrs
	for _, ifc := range all {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagMulticast == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		var ips []net.IP
		for _, a := range addrs {
			n, ok := a.(*net.IPNet)
			if !ok || n.IP.IsLoopback() {
				continue
			}
			if addressServed(ip, n.IP) {
				ips = append(ips, n.IP)
			}
		}
		if len(ips) > 0 {
			out = append(out, ifaceAddrs{ifc, ips})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("discovery: no up, multicast-capable interface has address %v", ip)
	}
	return out, nil
}

// addressServed reports whether a server listening on listen (nil for
// Go's dual-stack wildcard) is reachable at a.
func addressServed(listen, a net.IP) bool {
	switch {
	case listen == nil, listen.Equal(net.IPv6unspecified):
		return true // ":port" and "[::]:port" are dual-stack in Go
	case listen.Equal(net.IPv4zero):
		return a.To4() != nil
	}
	return a.Equal(listen)
}

// startOn starts the responder for one interface.
func startOn(cfg Config, hostFQDN string, it ifaceAddrs) (*mdns.Server, *ifaceZone, error) {
	z := &ifaceZone{cfg: cfg, host: hostFQDN, it: it}
	zs, adisk, err := z.build(cfg.TimeMachine)
	if err != nil {
		return nil, nil, err
	}
	z.zs, z.adisk = zs, adisk
	ifc := it.iface
	srv, err := mdns.NewServer(&mdns.Config{
		Zone:   z,
		Iface:  &ifc,
		Logger: log.New(&slogWriter{cfg.Logger}, "", 0),
	})
	return srv, z, err
}

// build makes an interface's services with Time Machine shares tm; adisk
// is the _adisk._tcp service, nil without shares.
func (z *ifaceZone) build(tm []string) (zs zones, adisk *mdns.MDNSService, err error) {
	cfg, it := z.cfg, z.it
	smb, err := mdns.NewMDNSService(cfg.Instance, "_smb._tcp", "", z.host, cfg.Port, it.ips, nil)
	if err != nil {
		return nil, nil, err
	}
	// _device-info._tcp carries only a TXT record; the library wants a
	// port for its SRV, so it gets the SMB port (browsers ignore it).
	dev, err := mdns.NewMDNSService(cfg.Instance, "_device-info._tcp", "", z.host, cfg.Port, it.ips,
		[]string{"model=" + cfg.Model})
	if err != nil {
		return nil, nil, err
	}
	zs = zones{smb, dev}
	if len(tm) > 0 {
		adisk, err = mdns.NewMDNSService(cfg.Instance, "_adisk._tcp", "", z.host, adiskPort, it.ips, AdiskTXT(tm))
		if err != nil {
			return nil, nil, err
		}
		zs = append(zs, adisk)
	}
	return zs, adisk, nil
}

// zones answers from several services.
type zones []*mdns.MDNSService

// Records implements mdns.Zone.
func (z zones) Records(q dns.Question) []dns.RR {
	var out []dns.RR
	for _, x := range z {
		out = append(out, x.Records(q)...)
	}
	return out
}

// slogWriter sends the library's log lines to slog at debug level.
type slogWriter struct{ log *slog.Logger }

func (w *slogWriter) Write(p []byte) (int, error) {
	w.log.Debug("mdns: " + strings.TrimSpace(string(p)))
	return len(p), nil
}
