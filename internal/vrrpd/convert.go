package vrrpd

import (
	"net/netip"
	"time"

	"github.com/halo-lb/halo/internal/config/keepalived"
	"github.com/halo-lb/halo/internal/vip"
	"github.com/halo-lb/halo/internal/vrouter"
	"github.com/halo-lb/halo/internal/vrrp"
)

// The one place where units and shapes change between keepalived.conf
// (internal/config/keepalived), the wire (internal/vrrp) and the state
// machine (internal/vrouter).

// machineConfig is what the state machine needs of an instance. primary is
// our address on the link, the source of adverts and the tie-break.
func machineConfig(ic *keepalived.Instance, primary netip.Addr) vrouter.Config {
	mc := vrouter.Config{
		VRID:           ic.VRID,
		Version:        ic.Version,
		Priority:       ic.Priority,
		AdvertInterval: ic.AdvertInt,
		Preempt:        !ic.NoPreempt,
		PreemptDelay:   ic.PreemptDelay,
		InitialState:   vrouter.Backup,
		PrimaryIP:      primary,

		HigherPrioSendAdvert: ic.HigherPrioSendAdvert,
		// Adverts from the VMAC move it; from the base interface they do not.
		TransitionBeforeAdvert: ic.UseVMAC && !ic.VMACXmitBase,
	}
	if ic.InitialState == keepalived.StateMaster {
		mc.InitialState = vrouter.Master
	}
	return mc
}

// advert builds the advertisement an instance sends at priority.
func advert(ic *keepalived.Instance, pass [8]byte, priority uint8) *vrrp.Packet {
	p := &vrrp.Packet{
		Version:  uint8(ic.Version),
		Type:     vrrp.TypeAdvertisement,
		VRID:     ic.VRID,
		Priority: priority,
	}
	for _, a := range ic.VIPs {
		p.Addresses = append(p.Addresses, a.Prefix.Addr())
	}
	if ic.Version == 2 {
		p.AdvertInt = uint8(ic.AdvertInt / time.Second) // whole seconds (RFC 3768 §5.3.7)
		if ic.AuthType == "PASS" {
			p.AuthType, p.AuthData = vrrp.AuthPass, pass
		}
	} else {
		p.MaxAdvertInt = uint16(ic.AdvertInt / (10 * time.Millisecond)) // centiseconds (RFC 5798 §5.2.7)
	}
	return p
}

// advertInterval is the interval a received advert announces: the v2
// Adver Int in seconds, the v3 Max Adver Int in centiseconds.
func advertInterval(p *vrrp.Packet) time.Duration {
	if p.Version == 3 {
		return time.Duration(p.MaxAdvertInt) * 10 * time.Millisecond
	}
	return time.Duration(p.AdvertInt) * time.Second
}

// authType is the v2 authentication type an instance expects.
func authType(ic *keepalived.Instance) uint8 {
	if ic.AuthType == "PASS" {
		return vrrp.AuthPass
	}
	return vrrp.AuthNone
}

// destinations are where adverts go: the instance's multicast group, or
// every unicast peer.
func destinations(ic *keepalived.Instance, g keepalived.GlobalDefs) []netip.Addr {
	if len(ic.UnicastPeers) > 0 {
		return ic.UnicastPeers
	}
	return []netip.Addr{groupFor(ic, g)}
}

// groupFor is the multicast group of an instance's family: global_defs'
// vrrp_mcast_group4/6 (parsing sets the RFC groups as their defaults).
func groupFor(ic *keepalived.Instance, g keepalived.GlobalDefs) netip.Addr {
	grp, rfc := g.McastGroup4, vrrp.GroupIPv4
	if ic.Family() == 6 {
		grp, rfc = g.McastGroup6, vrrp.GroupIPv6
	}
	if !grp.IsValid() {
		return rfc // a GlobalDefs not made by the parser
	}
	return grp
}

// vipAddresses are every address an instance holds as master: the
// advertised VIPs, then the excluded ones, each on its device (the
// instance's interface unless `dev` says otherwise).
func vipAddresses(ic *keepalived.Instance) []vip.Address {
	var out []vip.Address
	for _, list := range [][]keepalived.VIP{ic.VIPs, ic.ExcludedVIPs} {
		for _, a := range list {
			dev := a.Dev
			if dev == "" {
				dev = ic.Interface
			}
			if ic.UseVMAC && dev == ic.Interface && a.Prefix.Addr().Is4() == (ic.Family() == 4) {
				dev = ic.VMACName // use_vmac: the VIPs of the family live on the VMAC
			}
			out = append(out, vip.Address{Prefix: a.Prefix, Dev: dev, Label: a.Label, Brd: a.Brd, Scope: a.Scope})
		}
	}
	return out
}

// connKey names the socket an instance uses.
type connKey struct {
	iface  string
	family int
}

func keyOf(ic *keepalived.Instance) connKey { return connKey{advertIface(ic), ic.Family()} }

// advertIface is where an instance's adverts go and come from: its VMAC
// with use_vmac (unless vmac_xmit_base), else its interface.
func advertIface(ic *keepalived.Instance) string {
	if ic.UseVMAC && !ic.VMACXmitBase {
		return ic.VMACName
	}
	return ic.Interface
}

// handoverLimit bounds how long a master that resigned keeps its VIPs
// waiting for a backup's first advert: the longest master-down interval a
// backup can have (3 × advert_int + skew, skew < 1 s).
func handoverLimit(ic *keepalived.Instance) time.Duration {
	return 3*ic.AdvertInt + time.Second
}

// announcePlan is keepalived's gratuitous ARP / NA pattern for a new
// master, from the instance and global_defs.
type announcePlan struct {
	repeat        int           // per burst
	gap           time.Duration // between the packets of a burst
	delay         time.Duration // before the second burst; 0 = none
	refresh       time.Duration // periodic burst; 0 = none
	refreshRepeat int
}

func planOf(ic *keepalived.Instance, g keepalived.GlobalDefs) announcePlan {
	p := announcePlan{
		repeat:        ic.GarpMasterRepeat,
		gap:           g.GarpInterval,
		delay:         ic.GarpMasterDelay,
		refresh:       ic.GarpMasterRefresh,
		refreshRepeat: max(ic.GarpMasterRefreshRepeat, 1),
	}
	if ic.Family() == 6 {
		p.gap = g.GNAInterval
	}
	return p
}
