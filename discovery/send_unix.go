//go:build unix

package discovery

import (
	"context"
	"fmt"
	"net"
	"syscall"

	"golang.org/x/net/ipv4"
)

// mdnsGroup is the IPv4 mDNS group and port (RFC 6762).
var mdnsGroup = &net.UDPAddr{IP: net.IPv4(224, 0, 0, 251), Port: 5353}

// sendMulticast sends msg to the mDNS group on ifc from port 5353, which
// the responder already holds: the socket shares it with SO_REUSEADDR
// and lives for this one send.
func sendMulticast(ifc net.Interface, msg []byte) error {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	c, err := lc.ListenPacket(context.Background(), "udp4", "0.0.0.0:5353")
	if err != nil {
		return fmt.Errorf("discovery: announce socket: %w", err)
	}
	defer c.Close()
	pc := ipv4.NewPacketConn(c)
	if err := pc.SetMulticastInterface(&ifc); err != nil {
		return fmt.Errorf("discovery: announce on %s: %w", ifc.Name, err)
	}
	pc.SetMulticastTTL(255)
	if _, err := pc.WriteTo(msg, nil, mdnsGroup); err != nil {
		return fmt.Errorf("discovery: announce on %s: %w", ifc.Name, err)
	}
	return nil
}
