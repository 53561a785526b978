package vrrp

import (
	"net/netip"
	"testing"
	"time"
)

func TestGroupOf(t *testing.T) {
	tests := []struct {
		name    string
		family  int
		group   string // "" = zero
		want    string // "" = an error
		wantErr bool
	}{
		{"IPv4 defaults to 224.0.0.18", 4, "", "224.0.0.18", false},
		{"IPv6 defaults to ff02::12", 6, "", "ff02::12", false},
		{"a configured IPv4 group is used", 4, "224.0.0.19", "224.0.0.19", false},
		{"a configured IPv6 group is used", 6, "ff02::13", "ff02::13", false},
		{"a unicast address is refused", 4, "192.0.2.1", "", true},
		{"a group of the other family is refused", 4, "ff02::12", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var g netip.Addr
			if tt.group != "" {
				g = netip.MustParseAddr(tt.group)
			}
			got, err := groupOf(tt.family, g)
			if (err != nil) != tt.wantErr {
				t.Fatalf("groupOf(%d, %v) error %v, want error %t", tt.family, g, err, tt.wantErr)
			}
			if !tt.wantErr && got.String() != tt.want {
				t.Errorf("groupOf(%d, %v) = %v, want %s", tt.family, g, got, tt.want)
			}
		})
	}
}

// A Conn joined to a configured group (vrrp_mcast_group4/6) hears adverts
// sent there, and one on the RFC group does not.
func TestConnJoinsTheConfiguredGroup(t *testing.T) {
	h := newTwoHosts(t)
	tests := []struct {
		name   string
		family int
		group  netip.Addr
		packet *Packet
	}{
		{"IPv4 224.0.0.19", 4, netip.MustParseAddr("224.0.0.19"), advert(2, vipV4)},
		{"IPv6 ff02::13", 6, netip.MustParseAddr("ff02::13"), advert(3, vipV6)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			send := listen(t, h.a, tt.family, "va", ListenOptions{Multicast: true, Group: tt.group})
			joined := reader(t, listen(t, h.b, tt.family, "vb", ListenOptions{Multicast: true, Group: tt.group}))
			if err := send.WriteTo(tt.packet, tt.group, true); err != nil {
				t.Fatalf("WriteTo: %v", err)
			}
			select {
			case r := <-joined:
				if r.Dst != tt.group {
					t.Errorf("received for %v, want %v", r.Dst, tt.group)
				}
			case <-time.After(waitFor):
				t.Fatalf("the member of %v heard nothing within %v", tt.group, waitFor)
			}
		})
		t.Run(tt.name+" is not heard on the RFC group", func(t *testing.T) {
			send := listen(t, h.a, tt.family, "va", ListenOptions{Multicast: true, Group: tt.group})
			rfc := reader(t, listen(t, h.b, tt.family, "vb", ListenOptions{Multicast: true}))
			if err := send.WriteTo(tt.packet, tt.group, true); err != nil {
				t.Fatalf("WriteTo: %v", err)
			}
			select {
			case r := <-rfc:
				t.Fatalf("a listener on the RFC group received an advert for %v", r.Dst)
			case <-time.After(300 * time.Millisecond):
			}
		})
	}
}
