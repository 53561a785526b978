package vrrpd

import (
	"context"
	"net/netip"
	"time"

	"github.com/halo-lb/halo/internal/track"
	"github.com/halo-lb/halo/internal/vip"
	"github.com/halo-lb/halo/internal/vrrp"
)

// Env is the world a Router acts on. The zero value is the real host: raw
// sockets, netlink addresses, gratuitous ARP / unsolicited NA and netlink
// link state (see Host). Tests pass fakes (vrrpdtest).
type Env struct {
	Network   Network
	Addresses Addresses
	Announcer Announcer
	Routes    Routes
	Links     Links
	// Handoff hides a draining old master's VIPs and steers the flows the
	// new master did not accept back to it; nil is nftables on this host.
	Handoff Handoff
	// Exec runs one script, a vrrp_script check or a notify script, as the
	// account its command names; nil is track.ExecHere (this process's
	// user, whatever the configuration says). The daemon passes the one of
	// internal/priv, which applies script_user and enable_script_security.
	Exec track.Exec
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// VMACs makes use_vmac's macvlans; nil is the host (vip.VMACs).
	VMACs VMACs
}

// Network opens VRRP sockets.
type Network interface {
	Listen(family int, iface string, opts vrrp.ListenOptions) (Conn, error)
}

// Conn is one VRRP socket: one interface and address family, shared by
// every instance there. *vrrp.Conn implements it.
type Conn interface {
	Read() (vrrp.Received, error)
	WriteTo(p *vrrp.Packet, dst netip.Addr, pseudoHeader bool) error
	PrimaryAddr() netip.Addr
	Counters() vrrp.Counters
	Close() error
}

// Addresses adds and removes VIPs. *vip.Manager implements it.
type Addresses interface {
	Add(a vip.Address) error
	Delete(a vip.Address) error
	Has(a vip.Address) (bool, error)
}

// Announcer sends gratuitous ARP (IPv4) or unsolicited neighbour
// advertisements (IPv6) for a VIP. *vip.Manager implements it.
type Announcer interface {
	Announce(ctx context.Context, a vip.Address, count int, interval time.Duration) error
}

// Handoff moves TCP flows between two masters without cutting them (see
// vip.Handoff). key names one instance's use.
type Handoff interface {
	Hide(key, iface string, vips []netip.Addr) error
	Unhide(key, iface string, vips []netip.Addr) error
	// Forward: flows arriving on iface are passed to the old master at
	// to through out, the link the peer speaks VRRP on.
	Forward(key, iface, out string, vips []netip.Addr, to netip.Addr) error
	StopForward(key string) error
}

// VMACs creates and removes the macvlan interfaces of use_vmac.
// *vip.VMACs implements it.
type VMACs interface {
	Add(v vip.VMAC) error
	Delete(v vip.VMAC) error
}

// Links reports interface link state.
type Links interface {
	// LinkUp reports whether an interface exists and carries traffic.
	LinkUp(name string) (bool, error)
	// Watch reports every change of any interface's state (a new
	// interface included) until ctx is done.
	Watch(ctx context.Context, onChange func(name string, up bool)) error
}

// withDefaults fills the unset fields of e with the real host.
func (e Env) withDefaults() Env {
	if e.Network == nil {
		e.Network = hostNetwork{}
	}
	if e.Addresses == nil || e.Announcer == nil || e.Routes == nil {
		m := vip.NewManager(nil)
		if e.Addresses == nil {
			e.Addresses = m
		}
		if e.Announcer == nil {
			e.Announcer = m
		}
		if e.Routes == nil {
			e.Routes = m
		}
	}
	if e.Links == nil {
		e.Links = hostLinks{}
	}
	if e.Handoff == nil {
		e.Handoff = &vip.Handoff{}
	}
	if e.VMACs == nil {
		e.VMACs = &vip.VMACs{}
	}
	if e.Now == nil {
		e.Now = time.Now
	}
	return e
}

type hostNetwork struct{}

func (hostNetwork) Listen(family int, iface string, opts vrrp.ListenOptions) (Conn, error) {
	return vrrp.Listen(family, iface, opts)
}

type hostLinks struct{}

func (hostLinks) LinkUp(name string) (bool, error) { return track.LinkUp(name) }

func (hostLinks) Watch(ctx context.Context, onChange func(string, bool)) error {
	return track.WatchLinks(ctx, nil, onChange)
}
