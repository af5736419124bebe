package discovery

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/ipv4"
)

// WS-Discovery (the 2005/04 draft Windows uses, with the Devices Profile
// metadata exchange) makes the server appear in Windows' network view,
// which no longer browses NetBIOS. There is no maintained Go library for
// it, so this is a small responder of its own, written from the
// specifications: it answers Probe and Resolve on UDP 239.255.255.250:3702,
// sends Hello at start and Bye at Close, and answers the metadata Get over
// HTTP with the computer name and workgroup. IPv4 only.

const (
	wsdGroup    = "239.255.255.250"
	wsdPort     = 3702
	wsdHTTPPort = 5357
	wsdMaxMsg   = 32767 // SOAP-over-UDP datagram limit
	wsdMaxBody  = 64 << 10

	nsDiscovery  = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
	nsAddressing = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
	nsDevprof    = "http://schemas.xmlsoap.org/ws/2006/02/devprof"
	actProbe     = nsDiscovery + "/Probe"
	actResolve   = nsDiscovery + "/Resolve"
	actGet       = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get"
	toDiscovery  = "urn:schemas-xmlsoap-org:ws:2005:04:discovery"
	toAnonymous  = nsAddressing + "/role/anonymous"
)

// WSDConfig says what WS-Discovery announces.
type WSDConfig struct {
	Name      string // computer name shown; default the host name
	Workgroup string // default WORKGROUP
	IP        net.IP // listening address, as in Config
	Logger    *slog.Logger
}

// WSD is a running WS-Discovery responder.
type WSD struct {
	cfg        WSDConfig
	urn        string
	instanceID int64
	msgNum     atomic.Uint64
	conn       *net.UDPConn     // 0.0.0.0:3702
	pc         *ipv4.PacketConn // conn, with the arrival interface of each datagram
	ifaces     []*wsdIface
	// Interfaces are the names of the interfaces announced on.
	Interfaces []string

	mu   sync.Mutex
	seen []string // recent MessageIDs (SOAP-over-UDP repeats each message)
}

type wsdIface struct {
	index int
	ip    net.IP
	http  *http.Server
	xaddr string
}

// StartWSD starts WS-Discovery on the IPv4 interfaces that carry cfg.IP.
func StartWSD(cfg WSDConfig) (*WSD, error) {
	host, err := os.Hostname()
	if err != nil {
		return nil, fmt.Errorf("ws-discovery: %w", err)
	}
	host, _, _ = strings.Cut(host, ".")
	if cfg.Name == "" {
		cfg.Name = host
	}
	if cfg.Workgroup == "" {
		cfg.Workgroup = "WORKGROUP"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	w := &WSD{cfg: cfg, urn: stableURN(host, cfg.Name), instanceID: time.Now().Unix()}
	ifaces, err := interfacesFor(cfg.IP)
	if err != nil {
		return nil, err
	}
	// One socket for every interface; the control message of each
	// datagram says which interface it came in on, so the answer carries
	// that interface's address.
	w.conn, err = net.ListenUDP("udp4", &net.UDPAddr{Port: wsdPort})
	if err != nil {
		return nil, fmt.Errorf("ws-discovery: %w", err)
	}
	w.pc = ipv4.NewPacketConn(w.conn)
	if err := w.pc.SetControlMessage(ipv4.FlagInterface, true); err != nil {
		w.conn.Close()
		return nil, fmt.Errorf("ws-discovery: %w", err)
	}
	w.pc.SetMulticastTTL(1)
	w.pc.SetMulticastLoopback(false)
	var errs []error
	for _, it := range ifaces {
		for _, ip := range it.ips {
			if ip.To4() == nil {
				continue
			}
			wi, err := w.listen(it.iface, ip.To4())
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", it.iface.Name, err))
				continue
			}
			w.ifaces = append(w.ifaces, wi)
			w.Interfaces = append(w.Interfaces, it.iface.Name)
			break // one address per interface
		}
	}
	if len(w.ifaces) == 0 {
		w.conn.Close()
		return nil, fmt.Errorf("ws-discovery: no IPv4 interface usable: %w", errors.Join(errs...))
	}
	for _, err := range errs {
		cfg.Logger.Warn("WS-Discovery not announced on an interface", "err", err)
	}
	go w.serveUDP()
	for _, wi := range w.ifaces {
		go w.sendMulticast(wi, w.hello(wi))
	}
	return w, nil
}

// stableURN derives the endpoint's uuid from the host and server names,
// so a restarted server is the same device to Windows.
func stableURN(host, name string) string {
	h := sha1.Sum([]byte("zerosmb wsd\x00" + host + "\x00" + name))
	h[6] = h[6]&0x0f | 0x50 // version 5 (name-based, SHA-1)
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

func (w *WSD) listen(ifc net.Interface, ip net.IP) (*wsdIface, error) {
	if err := w.pc.JoinGroup(&ifc, &net.UDPAddr{IP: net.ParseIP(wsdGroup)}); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp4", net.JoinHostPort(ip.String(), fmt.Sprint(wsdHTTPPort)))
	if err != nil {
		ln, err = net.Listen("tcp4", net.JoinHostPort(ip.String(), "0")) // 5357 taken (another WSD host)
	}
	if err != nil {
		w.pc.LeaveGroup(&ifc, &net.UDPAddr{IP: net.ParseIP(wsdGroup)})
		return nil, err
	}
	wi := &wsdIface{index: ifc.Index, ip: ip}
	path := "/" + strings.TrimPrefix(w.urn, "urn:uuid:")
	wi.xaddr = "http://" + ln.Addr().String() + path
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+path, w.handleGet)
	wi.http = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	go wi.http.Serve(ln)
	return wi, nil
}

// Close sends Bye and stops.
func (w *WSD) Close() error {
	for _, wi := range w.ifaces {
		bye := w.message(toDiscovery, nsDiscovery+"/Bye", "", fmt.Sprintf(
			`<wsd:Bye><wsa:EndpointReference><wsa:Address>%s</wsa:Address></wsa:EndpointReference></wsd:Bye>`, w.urn))
		w.pc.WriteTo(bye, &ipv4.ControlMessage{IfIndex: wi.index}, &net.UDPAddr{IP: net.ParseIP(wsdGroup), Port: wsdPort})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		wi.http.Shutdown(ctx)
		cancel()
	}
	return w.conn.Close()
}

// envelope is the part of an incoming SOAP message the responder reads.
// encoding/xml matches these names in any namespace.
type envelope struct {
	Header struct {
		Action    string `xml:"Action"`
		MessageID string `xml:"MessageID"`
	} `xml:"Header"`
	Body struct {
		Probe *struct {
			Types string `xml:"Types"`
		} `xml:"Probe"`
		Resolve *struct {
			Address string `xml:"EndpointReference>Address"`
		} `xml:"Resolve"`
	} `xml:"Body"`
}

func (w *WSD) serveUDP() {
	buf := make([]byte, wsdMaxMsg)
	for {
		n, cm, src, err := w.pc.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		from, ok := src.(*net.UDPAddr)
		wi := w.iface(cm)
		if !ok || wi == nil {
			continue // not from an interface announced on
		}
		var env envelope
		if xml.Unmarshal(buf[:n], &env) != nil || env.Header.MessageID == "" || w.duplicate(env.Header.MessageID) {
			continue
		}
		var reply []byte
		switch env.Header.Action {
		case actProbe:
			if env.Body.Probe != nil && typesMatch(env.Body.Probe.Types) {
				reply = w.match(wi, env.Header.MessageID, "ProbeMatches", "ProbeMatch")
			}
		case actResolve:
			if env.Body.Resolve != nil && strings.TrimSpace(env.Body.Resolve.Address) == w.urn {
				reply = w.match(wi, env.Header.MessageID, "ResolveMatches", "ResolveMatch")
			}
		}
		if reply != nil {
			w.cfg.Logger.Debug("WS-Discovery reply", "to", from.String(), "action", env.Header.Action)
			go w.sendUnicast(wi, reply, from)
		}
	}
}

// iface returns the announced interface a datagram arrived on.
func (w *WSD) iface(cm *ipv4.ControlMessage) *wsdIface {
	if cm == nil {
		return nil
	}
	for _, wi := range w.ifaces {
		if wi.index == cm.IfIndex {
			return wi
		}
	}
	return nil
}

// typesMatch reports whether a Probe's Types (QNames; empty matches all)
// name what this endpoint is: wsdp:Device or pub:Computer. Prefixes are
// not resolved; the local names are compared.
func typesMatch(types string) bool {
	fields := strings.Fields(types)
	if len(fields) == 0 {
		return true
	}
	for _, t := range fields {
		_, local, _ := strings.Cut(t, ":")
		if local == "" {
			local = t
		}
		if local != "Device" && local != "Computer" {
			return false
		}
	}
	return true
}

// duplicate remembers id and reports whether it was seen recently.
func (w *WSD) duplicate(id string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.seen {
		if s == id {
			return true
		}
	}
	if len(w.seen) >= 32 {
		w.seen = w.seen[1:]
	}
	w.seen = append(w.seen, id)
	return false
}

// sendMulticast sends msg to the group with SOAP-over-UDP's repetition.
func (w *WSD) sendMulticast(wi *wsdIface, msg []byte) {
	w.repeat(wi, msg, &net.UDPAddr{IP: net.ParseIP(wsdGroup), Port: wsdPort}, 4)
}

func (w *WSD) sendUnicast(wi *wsdIface, msg []byte, to *net.UDPAddr) { w.repeat(wi, msg, to, 2) }

func (w *WSD) repeat(wi *wsdIface, msg []byte, to *net.UDPAddr, n int) {
	delay := 50 * time.Millisecond
	for i := 0; i < n; i++ {
		if i > 0 {
			time.Sleep(delay)
			delay = min(2*delay, 500*time.Millisecond)
		}
		if _, err := w.pc.WriteTo(msg, &ipv4.ControlMessage{IfIndex: wi.index}, to); err != nil {
			return
		}
	}
}

func (w *WSD) hello(wi *wsdIface) []byte {
	return w.message(toDiscovery, nsDiscovery+"/Hello", "", "<wsd:Hello>"+w.endpoint(wi)+"</wsd:Hello>")
}

func (w *WSD) match(wi *wsdIface, relatesTo, list, one string) []byte {
	body := fmt.Sprintf("<wsd:%s><wsd:%s>%s</wsd:%s></wsd:%s>", list, one, w.endpoint(wi), one, list)
	return w.message(toAnonymous, nsDiscovery+"/"+list, relatesTo, body)
}

// endpoint is the EndpointReference, Types, XAddrs and MetadataVersion of
// Hello, ProbeMatch and ResolveMatch.
func (w *WSD) endpoint(wi *wsdIface) string {
	return fmt.Sprintf(`<wsa:EndpointReference><wsa:Address>%s</wsa:Address></wsa:EndpointReference>`+
		`<wsd:Types>wsdp:Device pub:Computer</wsd:Types><wsd:XAddrs>%s</wsd:XAddrs>`+
		`<wsd:MetadataVersion>1</wsd:MetadataVersion>`, w.urn, esc(wi.xaddr))
}

// message wraps body in a SOAP envelope with WS-Addressing headers and
// the AppSequence WS-Discovery asks for.
func (w *WSD) message(to, action, relatesTo, body string) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` +
		`<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="` + nsAddressing +
		`" xmlns:wsd="` + nsDiscovery + `" xmlns:wsx="http://schemas.xmlsoap.org/ws/2004/09/mex" xmlns:wsdp="` + nsDevprof +
		`" xmlns:pub="http://schemas.microsoft.com/windows/pub/2005/07"><soap:Header>`)
	fmt.Fprintf(&b, "<wsa:To>%s</wsa:To><wsa:Action>%s</wsa:Action><wsa:MessageID>%s</wsa:MessageID>",
		esc(to), esc(action), w.newMessageID())
	if relatesTo != "" {
		fmt.Fprintf(&b, "<wsa:RelatesTo>%s</wsa:RelatesTo>", esc(relatesTo))
	}
	if action != actGet+"Response" {
		fmt.Fprintf(&b, `<wsd:AppSequence InstanceId="%d" SequenceId="%s" MessageNumber="%d"/>`,
			w.instanceID, w.urn, w.msgNum.Add(1))
	}
	b.WriteString("</soap:Header><soap:Body>" + body + "</soap:Body></soap:Envelope>")
	return b.Bytes()
}

func (w *WSD) newMessageID() string {
	var r [16]byte
	h := sha1.Sum(fmt.Appendf(nil, "%s %d %d", w.urn, time.Now().UnixNano(), w.msgNum.Load()))
	copy(r[:], h[:16])
	r[6] = r[6]&0x0f | 0x50
	r[8] = r[8]&0x3f | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", r[0:4], r[4:6], r[6:8], r[8:10], r[10:16])
}

// handleGet answers the metadata exchange (WS-Transfer Get): the device,
// its model, and the pub:Computer relationship Windows reads the name and
// workgroup from.
func (w *WSD) handleGet(rw http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, wsdMaxBody))
	var env envelope
	if err != nil || xml.Unmarshal(body, &env) != nil || env.Header.Action != actGet {
		http.Error(rw, "bad request", http.StatusBadRequest)
		return
	}
	name := esc(w.cfg.Name)
	meta := `<wsx:Metadata>` +
		`<wsx:MetadataSection Dialect="` + nsDevprof + `/ThisDevice"><wsdp:ThisDevice>` +
		`<wsdp:FriendlyName>zerosmb on ` + name + `</wsdp:FriendlyName><wsdp:FirmwareVersion>1.0</wsdp:FirmwareVersion>` +
		`<wsdp:SerialNumber>1</wsdp:SerialNumber></wsdp:ThisDevice></wsx:MetadataSection>` +
		`<wsx:MetadataSection Dialect="` + nsDevprof + `/ThisModel"><wsdp:ThisModel>` +
		`<wsdp:Manufacturer>zerosmb</wsdp:Manufacturer><wsdp:ModelName>zerosmb</wsdp:ModelName>` +
		`</wsdp:ThisModel></wsx:MetadataSection>` +
		`<wsx:MetadataSection Dialect="` + nsDevprof + `/Relationship"><wsdp:Relationship Type="` + nsDevprof + `/host">` +
		`<wsdp:Host><wsa:EndpointReference><wsa:Address>` + w.urn + `</wsa:Address></wsa:EndpointReference>` +
		`<wsdp:Types>pub:Computer</wsdp:Types><wsdp:ServiceId>` + w.urn + `</wsdp:ServiceId>` +
		`<pub:Computer>` + name + `/Workgroup:` + esc(w.cfg.Workgroup) + `</pub:Computer></wsdp:Host>` +
		`</wsdp:Relationship></wsx:MetadataSection></wsx:Metadata>`
	rw.Header().Set("Content-Type", "application/soap+xml")
	rw.Write(w.message(toAnonymous, actGet+"Response", env.Header.MessageID, meta))
}

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
