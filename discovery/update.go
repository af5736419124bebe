package discovery

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/mdns"
	"github.com/miekg/dns"
)

// Live changes of the advertisement (SIGHUP adding or removing a Time
// Machine share). Each interface's responder answers from an ifaceZone
// whose services are swapped under a lock, so queries see the old
// records or the new ones. Because browsers cache answers (hashicorp/mdns
// gives every record a TTL of 120 s), a change is also multicast on each
// interface (IPv4, from port 5353 as RFC 6762 section 6 requires): a
// goodbye (TTL 0, section 10.1) for a withdrawn _adisk._tcp service, an
// announcement (section 8.3, SRV/TXT/A with the cache-flush bit) for a
// new or changed one, each sent twice a second apart.

// ifaceZone is the current set of records of one interface's responder.
type ifaceZone struct {
	cfg  Config
	host string
	it   ifaceAddrs

	mu    sync.RWMutex
	zs    zones
	adisk *mdns.MDNSService // nil: no Time Machine shares
}

// Records implements mdns.Zone.
func (z *ifaceZone) Records(q dns.Question) []dns.RR {
	z.mu.RLock()
	zs := z.zs
	z.mu.RUnlock()
	return zs.Records(q)
}

// checkTimeMachine refuses share names an _adisk._tcp TXT string cannot carry.
func checkTimeMachine(shares []string) error {
	for _, s := range shares {
		if s == "" || strings.ContainsAny(s, ",=") || len(s) > 200 {
			return fmt.Errorf("discovery: share name %q cannot go in an _adisk._tcp record", s)
		}
	}
	return nil
}

// TimeMachine returns the Time Machine shares being advertised.
func (a *Advertiser) TimeMachine() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.tm)
}

// SetTimeMachine replaces the Time Machine shares advertised in
// _adisk._tcp (none withdraws the record) without restarting the
// responders, and multicasts the change so browsers' caches follow at
// once. It returns when the announcements went out (about a second).
func (a *Advertiser) SetTimeMachine(shares []string) error {
	if err := checkTimeMachine(shares); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if slices.Equal(shares, a.tm) {
		return nil
	}
	var msgs []announcement
	for _, z := range a.zones {
		zs, adisk, err := z.build(shares)
		if err != nil {
			return fmt.Errorf("discovery: %w", err)
		}
		z.mu.Lock()
		old := z.adisk
		z.zs, z.adisk = zs, adisk
		z.mu.Unlock()
		if m := changeMessage(old, adisk); m != nil {
			msgs = append(msgs, announcement{z.it.iface, m})
		}
	}
	a.tm = slices.Clone(shares)
	for i := 0; i < 2; i++ {
		if i > 0 {
			time.Sleep(time.Second)
		}
		for _, m := range msgs {
			if err := sendMulticast(m.iface, m.msg); err != nil {
				a.log.Warn("mDNS announcement not sent; browsers see the change when their cache expires", "iface", m.iface.Name, "err", err)
			}
		}
	}
	return nil
}

// announcement is one packed mDNS message for one interface.
type announcement struct {
	iface net.Interface
	msg   []byte
}

// serviceTypes is the DNS-SD service type enumeration name (RFC 6763 9).
const serviceTypes = "_services._dns-sd._udp.local."

// changeMessage is the unsolicited response that moves caches from the
// _adisk._tcp service old to new (either may be nil), or nil.
func changeMessage(old, new *mdns.MDNSService) []byte {
	m := &dns.Msg{MsgHdr: dns.MsgHdr{Response: true, Authoritative: true}}
	q := dns.Question{Name: "_adisk._tcp.local.", Qtype: dns.TypePTR, Qclass: dns.ClassINET}
	switch {
	case new != nil:
		for _, rr := range new.Records(q) {
			if rr.Header().Rrtype != dns.TypePTR {
				rr.Header().Class |= 1 << 15 // cache-flush: unique records replace cached ones
			}
			m.Answer = append(m.Answer, rr)
		}
		m.Answer = append(m.Answer, new.Records(dns.Question{Name: serviceTypes, Qtype: dns.TypePTR})...)
	case old != nil:
		for _, rr := range old.Records(q) {
			if rr.Header().Rrtype == dns.TypePTR { // the goodbye: browsers drop the instance
				rr.Header().Ttl = 0
				m.Answer = append(m.Answer, rr)
			}
		}
	}
	if len(m.Answer) == 0 {
		return nil
	}
	b, err := m.Pack()
	if err != nil {
		return nil
	}
	return b
}
