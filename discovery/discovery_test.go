package discovery

import (
	"net"
	"testing"
)

func TestAddressServed(t *testing.T) {
	v4, v6 := net.ParseIP("192.0.2.7"), net.ParseIP("2001:db8::7")
	for _, tc := range []struct {
		listen, addr net.IP
		want         bool
	}{
		{nil, v4, true}, {nil, v6, true},
		{net.IPv6unspecified, v4, true}, {net.IPv6unspecified, v6, true},
		{net.IPv4zero, v4, true}, {net.IPv4zero, v6, false},
		{v4, v4, true}, {v4, net.ParseIP("192.0.2.8"), false}, {v4, v6, false},
	} {
		if got := addressServed(tc.listen, tc.addr); got != tc.want {
			t.Errorf("addressServed(%v, %v) = %v, want %v", tc.listen, tc.addr, got, tc.want)
		}
	}
}

func TestStartRefusesBadInput(t *testing.T) {
	if _, err := Start(Config{Port: 0}); err == nil {
		t.Error("port 0 accepted")
	}
	if _, err := Start(Config{Port: 445, IP: net.ParseIP("192.0.2.99")}); err == nil {
		t.Error("an address no interface has was accepted")
	}
}
