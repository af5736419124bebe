package discovery

import (
	"encoding/xml"
	"net"
	"net/http/httptest"
	"strings"
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

func TestTypesMatch(t *testing.T) {
	for types, want := range map[string]bool{
		"":                         true,
		"wsdp:Device":              true,
		"wsdp:Device pub:Computer": true,
		" d:Device ":               true,
		"wsdp:Device wprt:Printer": false,
		"scan:ScanDeviceType":      false,
	} {
		if got := typesMatch(types); got != want {
			t.Errorf("typesMatch(%q) = %v, want %v", types, got, want)
		}
	}
}

func TestStableURN(t *testing.T) {
	a, b, c := stableURN("h", "N"), stableURN("h", "N"), stableURN("h", "M")
	if a != b || a == c || len(a) != len("urn:uuid:")+36 || a[len("urn:uuid:")+14] != '5' {
		t.Errorf("urns %q %q %q", a, b, c)
	}
}

// TestWSDGet checks the metadata answer parses and carries the computer
// name and workgroup escaped, and that a bad request is refused.
func TestWSDGet(t *testing.T) {
	w := &WSD{cfg: WSDConfig{Name: "A<B", Workgroup: "W&G"}, urn: stableURN("h", "A<B")}
	get := func(body string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		w.handleGet(rec, httptest.NewRequest("POST", "/x", strings.NewReader(body)))
		return rec
	}
	if rec := get("<junk"); rec.Code != 400 {
		t.Errorf("junk: %d", rec.Code)
	}
	req := `<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="` + nsAddressing + `">` +
		`<soap:Header><wsa:Action>` + actGet + `</wsa:Action><wsa:MessageID>urn:uuid:1</wsa:MessageID></soap:Header><soap:Body/></soap:Envelope>`
	rec := get(req)
	var resp struct {
		RelatesTo string `xml:"Header>RelatesTo"`
		Sections  []struct {
			Dialect  string `xml:"Dialect,attr"`
			Computer string `xml:"Relationship>Host>Computer"`
		} `xml:"Body>Metadata>MetadataSection"`
	}
	if err := xml.Unmarshal(rec.Body.Bytes(), &resp); err != nil || rec.Code != 200 {
		t.Fatalf("%d %v\n%s", rec.Code, err, rec.Body)
	}
	if resp.RelatesTo != "urn:uuid:1" || len(resp.Sections) != 3 || resp.Sections[2].Computer != "A<B/Workgroup:W&G" {
		t.Errorf("response %+v", resp)
	}
}

func TestAdiskTXT(t *testing.T) {
	got := strings.Join(AdiskTXT([]string{"Backups", "Other"}), "|")
	if want := "sys=waMa=0,adVF=0x100|dk0=adVN=Backups,adVF=0x82|dk1=adVN=Other,adVF=0x82"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if _, err := Start(Config{Port: 445, TimeMachine: []string{"a,b"}}); err == nil {
		t.Error("a share name with a comma was accepted")
	}
}
