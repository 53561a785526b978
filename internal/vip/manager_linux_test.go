package vip_test

import (
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/halo-lb/halo/internal/netlab"
	"github.com/halo-lb/halo/internal/testutil"
	"github.com/halo-lb/halo/internal/vip"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// newLab builds a lab closed in t.Cleanup, also when the test fails, with
// one host per name on 192.0.2.0/24 and 2001:db8::/64 (.11, .12, ...).
func newLab(t *testing.T, prefix string, names ...string) []*netlab.Host {
	t.Helper()
	testutil.RequireRoot(t)
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("ip(8) is not installed")
	}
	if err := netlab.CleanupStale(prefix); err != nil {
		t.Fatalf("CleanupStale: %v", err)
	}
	l, err := netlab.New(prefix)
	if err != nil {
		t.Fatalf("netlab.New: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("lab Close: %v", err)
		}
	})
	var hosts []*netlab.Host
	for i, name := range names {
		h, err := l.AddHost(name, netip.AddrFrom4([4]byte{192, 0, 2, byte(11 + i)}).String()+"/24",
			netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(0x11 + i)}).String()+"/64")
		if err != nil {
			t.Fatalf("AddHost(%q): %v", name, err)
		}
		hosts = append(hosts, h)
	}
	return hosts
}

// kernelAddr returns the kernel's view of p on eth0, or nil.
func kernelAddr(t *testing.T, h *netlab.Host, p netip.Prefix) *netlink.Addr {
	t.Helper()
	var found *netlink.Addr
	err := h.Do(func() error {
		link, err := netlink.LinkByName("eth0")
		if err != nil {
			return err
		}
		addrs, err := netlink.AddrList(link, netlink.FAMILY_ALL)
		if err != nil {
			return err
		}
		for _, a := range addrs {
			ip, _ := netip.AddrFromSlice(a.IP)
			ones, _ := a.Mask.Size()
			if ip.Unmap() == p.Addr() && ones == p.Bits() {
				found = &a
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("list addresses in %s: %v", h.Name, err)
	}
	return found
}

func TestManagerAddsHasAndDeletes(t *testing.T) {
	hosts := newLab(t, "halotest-vipadd", "lb1")
	lb1 := hosts[0]
	// Turn duplicate address detection back on, so that only IFA_F_NODAD
	// keeps the IPv6 VIP from being tentative.
	if err := lb1.Do(func() error {
		return os.WriteFile("/proc/sys/net/ipv6/conf/eth0/accept_dad", []byte("1"), 0o644)
	}); err != nil {
		t.Fatal(err)
	}
	m := vip.NewManager(nil)
	tests := []struct {
		name    string
		addr    vip.Address
		wantBrd net.IP // nil: none
	}{
		{"an IPv4 /32 VIP has no broadcast", vip.Address{Prefix: netip.MustParsePrefix("192.0.2.100/32"), Dev: "eth0", Label: "eth0:vip"}, nil},
		{"an IPv4 /24 VIP without brd gets none invented", vip.Address{Prefix: netip.MustParsePrefix("192.0.2.101/24"), Dev: "eth0"}, nil},
		{"an IPv4 VIP with brd keeps it", vip.Address{Prefix: netip.MustParsePrefix("192.0.2.102/24"), Dev: "eth0", Brd: netip.MustParseAddr("192.0.2.255")}, net.IP{192, 0, 2, 255}},
		{"an IPv6 /128 VIP is usable at once", vip.Address{Prefix: netip.MustParsePrefix("2001:db8::100/128"), Dev: "eth0"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := tc.addr
			t.Cleanup(func() { lb1.Do(func() error { return m.Delete(a) }) })
			var bindErr error
			err := lb1.Do(func() error {
				if err := m.Add(a); err != nil {
					return err
				}
				// Bind at once: a tentative IPv6 address would fail here.
				ln, err := net.Listen("tcp", net.JoinHostPort(a.Prefix.Addr().String(), "0"))
				if err == nil {
					ln.Close()
				}
				bindErr = err
				return m.Add(a) // idempotent
			})
			if err != nil {
				t.Fatalf("Add: %v", err)
			}
			if bindErr != nil {
				t.Errorf("bind right after Add: %v", bindErr)
			}
			ka := kernelAddr(t, lb1, a.Prefix)
			if ka == nil {
				t.Fatalf("%s is not on eth0", a.Prefix)
			}
			if !ka.Broadcast.Equal(tc.wantBrd) {
				t.Errorf("broadcast = %v, want %v", ka.Broadcast, tc.wantBrd)
			}
			if a.Label != "" && ka.Label != a.Label {
				t.Errorf("label = %q, want %q", ka.Label, a.Label)
			}
			if a.Prefix.Addr().Is6() && (ka.Flags&unix.IFA_F_TENTATIVE != 0 || ka.Flags&unix.IFA_F_NODAD == 0) {
				t.Errorf("flags = %#x, want nodad and not tentative", ka.Flags)
			}
			var has1, has2 bool
			err = lb1.Do(func() (err error) {
				if has1, err = m.Has(a); err != nil {
					return err
				}
				if err := m.Delete(a); err != nil {
					return err
				}
				if has2, err = m.Has(a); err != nil {
					return err
				}
				return m.Delete(a) // idempotent
			})
			if err != nil {
				t.Fatal(err)
			}
			if !has1 || has2 {
				t.Errorf("Has before/after Delete = %t/%t, want true/false", has1, has2)
			}
			if kernelAddr(t, lb1, a.Prefix) != nil {
				t.Errorf("%s still on eth0 after Delete", a.Prefix)
			}
		})
	}

	t.Run("without nodad the same IPv6 address would be tentative", func(t *testing.T) {
		p := netip.MustParsePrefix("2001:db8::101/128")
		err := lb1.Do(func() error {
			link, err := netlink.LinkByName("eth0")
			if err != nil {
				return err
			}
			return netlink.AddrAdd(link, &netlink.Addr{IPNet: &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(128, 128)}})
		})
		if err != nil {
			t.Fatal(err)
		}
		if ka := kernelAddr(t, lb1, p); ka == nil || ka.Flags&unix.IFA_F_TENTATIVE == 0 {
			t.Errorf("control address is not tentative (%v): the NODAD check above proves nothing", ka)
		}
	})

	t.Run("Delete removes a VIP whose label differs", func(t *testing.T) {
		a := vip.Address{Prefix: netip.MustParsePrefix("192.0.2.103/32"), Dev: "eth0", Label: "eth0:a"}
		err := lb1.Do(func() error {
			if err := m.Add(a); err != nil {
				return err
			}
			b := a
			b.Label = ""
			return m.Delete(b)
		})
		if err != nil {
			t.Fatal(err)
		}
		if kernelAddr(t, lb1, a.Prefix) != nil {
			t.Error("VIP still present")
		}
	})

	t.Run("errors name the address and interface", func(t *testing.T) {
		a := vip.Address{Prefix: netip.MustParsePrefix("192.0.2.104/32"), Dev: "nosuch0"}
		err := lb1.Do(func() error { return m.Add(a) })
		if err == nil || !strings.HasPrefix(err.Error(), "add 192.0.2.104/32 on nosuch0: ") {
			t.Errorf("Add on a missing interface: %v", err)
		}
		if err := lb1.Do(func() error { return m.Delete(a) }); err != nil {
			t.Errorf("Delete on a missing interface: %v, want nil", err)
		}
	})
}
