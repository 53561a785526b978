package e2e

import (
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/ipv4"

	"github.com/halo-lb/halo/internal/drill"
	"github.com/halo-lb/halo/internal/vrrp"
)

// Adverts that would depose the master if they were believed — priority
// 254 — but carry a wrong TTL, password, checksum, length or VRID are
// dropped: the master keeps the VIP. A valid one then does depose it, which
// proves the forged packets did reach the node.
func TestMalformedAdvertsAreDropped(t *testing.T) {
	s := newSite(t)
	const pass = "1cee4b6e-2cdc-48bf-83b2-01a96d1593e4"
	pair := drill.Pair{Version: 2, Advert: time.Second, AuthPass: pass}
	lb1 := haloNode(t, s, 0, pair)
	vip := drill.VIP4
	waitHolder(t, s, vip, s.LB1, 5*time.Second)

	src := drill.Primary(s.Client)
	good := func() *vrrp.Packet {
		return &vrrp.Packet{Version: 2, Type: vrrp.TypeAdvertisement, VRID: 51, Priority: 254,
			AuthType: vrrp.AuthPass, AuthData: vrrp.PassKey(pass), AdvertInt: 1, Addresses: []netip.Addr{vip}}
	}
	marshal := func(p *vrrp.Packet) []byte {
		b, err := p.Marshal(src, vrrp.GroupIPv4, true)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	wrongPass := good()
	wrongPass.AuthData = vrrp.PassKey("guessed!")
	wrongVRID := good()
	wrongVRID.VRID = 52
	badSum := marshal(good())
	badSum[6] ^= 0xff
	forged := []struct {
		name string
		ttl  int
		b    []byte
	}{
		{"TTL 64", 64, marshal(good())},
		{"wrong password", 255, marshal(wrongPass)},
		{"bad checksum", 255, badSum},
		{"truncated", 255, marshal(good())[:10]},
		{"other VRID", 255, marshal(wrongVRID)},
		{"garbage", 255, []byte{0xff, 0xff, 0xff}},
	}
	send := func(ttl int, b []byte) {
		t.Helper()
		err := s.Client.Do(func() error {
			c, err := net.ListenPacket("ip4:112", "0.0.0.0")
			if err != nil {
				return err
			}
			defer c.Close()
			rc, err := ipv4.NewRawConn(c)
			if err != nil {
				return err
			}
			h := &ipv4.Header{Version: 4, Len: ipv4.HeaderLen, TotalLen: ipv4.HeaderLen + len(b), TTL: ttl,
				Protocol: vrrp.IPProtocol, Src: src.AsSlice(), Dst: vrrp.GroupIPv4.AsSlice()}
			ifi, err := net.InterfaceByName("eth0")
			if err != nil {
				return err
			}
			// No route covers the multicast group: name the interface.
			return rc.WriteTo(h, b, &ipv4.ControlMessage{IfIndex: ifi.Index})
		})
		if err != nil {
			t.Fatalf("sending a forged advert: %v", err)
		}
	}
	for i := 0; i < 3; i++ {
		for _, f := range forged {
			send(f.ttl, f.b)
		}
		time.Sleep(300 * time.Millisecond)
	}
	stayHolder(t, s, vip, s.LB1, 500*time.Millisecond)

	// The control: one valid advert from a higher priority deposes lb1.
	send(255, marshal(good()))
	if _, err := drill.WaitAddr(s.LB1, vip, false, time.Second); err != nil {
		t.Fatalf("a valid priority-254 advert did not depose the master, so the forged ones prove nothing: %v", err)
	}
	// Nobody speaks any more: lb1 takes the VIP back after master-down.
	if _, err := drill.WaitAddr(s.LB1, vip, true, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	// Every kind of forgery was counted (reported at stop).
	lb1.Stop(5 * time.Second)
	logs := lb1.Logs()
	for _, want := range []string{"bad_ttl=3", "bad_checksum=3", "bad_length=6", "dropped_auth=3"} {
		if !strings.Contains(logs, want) {
			t.Errorf("halo's counters lack %s:\n%s", want, tail(logs, 5))
		}
	}
}
