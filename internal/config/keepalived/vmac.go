package keepalived

import (
	"fmt"
	"net"
	"regexp"
)

// maxIfName is the longest Linux interface name (IFNAMSIZ 16 with the NUL).
const maxIfName = 15

var ifNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// checkVMAC resolves use_vmac [[name] NAME] [MAC] and vmac_xmit_base, as
// keepalived.conf(5) documents them: the macvlan is named vrrp.VRID unless
// named, and has the RFC 5798 section 7.3 virtual MAC unless one is given
// (five octets take the VRID as the sixth).
func (p *parser) checkVMAC(c checker, in *Instance, raw *instanceRaw) {
	if raw.vmac == nil {
		if raw.vmacXmitBase != nil {
			c.warnf(raw.vmacXmitBase, "vmac_xmit_base without use_vmac: ignored")
			in.VMACXmitBase = false
		}
		return
	}
	n := raw.vmac
	args := n.args[1:]
	if len(args) > 0 && args[0].text == "name" {
		if len(args) < 2 {
			c.errf(n, "use_vmac name: the interface name is missing")
			return
		}
		in.VMACName, args = args[1].text, args[2:]
	} else if len(args) > 0 && !looksLikeMAC(args[0].text) {
		in.VMACName, args = args[0].text, args[1:]
	}
	if len(args) > 0 {
		mac, err := vmacAddr(args[0].text, in.VRID)
		if err != nil {
			c.errf(n, "use_vmac: %v", err)
			return
		}
		in.VMACAddr, args = mac, args[1:]
	}
	if len(args) > 0 {
		c.errf(n, "use_vmac: unsupported option %q (halo takes [[name] NAME] [MAC])", args[0].text)
		return
	}
	if in.VMACName == "" {
		in.VMACName = fmt.Sprintf("vrrp.%d", in.VRID)
	}
	if len(in.VMACName) > maxIfName || !ifNameRE.MatchString(in.VMACName) {
		c.errf(n, "use_vmac: %q is not a valid interface name (at most %d of A-Z a-z 0-9 _ . -)", in.VMACName, maxIfName)
		return
	}
	if in.VMACName == in.Interface {
		c.errf(n, "use_vmac: the VMAC cannot be named like the interface %s it sits on", in.Interface)
		return
	}
	if in.VMACAddr == nil {
		// RFC 5798 section 7.3: 00-00-5E-00-01-{VRID} (IPv4), 00-00-5E-00-02-{VRID} (IPv6).
		kind := byte(1)
		if in.Family() == 6 {
			kind = 2
		}
		in.VMACAddr = net.HardwareAddr{0x00, 0x00, 0x5e, 0x00, kind, in.VRID}
	}
	switch {
	case in.VMACXmitBase:
	case len(in.UnicastPeers) > 0:
		c.warnf(n, "use_vmac with unicast_peer needs vmac_xmit_base (keepalived.conf(5)): adverts go out of %s", in.Interface)
		in.VMACXmitBase = true
	case in.Family() == 6:
		// Every node's VMAC has the same link-local address, so adverts
		// from it could not tell the routers apart.
		c.warnf(n, "halo sends IPv6 adverts of a use_vmac instance from %s (as vmac_xmit_base); the VIPs live on the VMAC", in.Interface)
		in.VMACXmitBase = true
	}
	for _, o := range p.cfg.Instances {
		if o == in {
			break // only earlier instances: the later one gets the error
		}
		if o.UseVMAC && o.VMACName == in.VMACName {
			c.errf(n, "use_vmac: %s is already the VMAC of vrrp_instance %s (%s:%d)", in.VMACName, o.Name, o.File, o.Line)
			return
		}
	}
}

// looksLikeMAC tells a MAC argument from an interface name: five or six
// colon-separated hex octets.
func looksLikeMAC(s string) bool {
	_, err := vmacAddr(s, 0)
	return err == nil
}

// vmacAddr parses six octets, or five followed by the VRID.
func vmacAddr(s string, vrid uint8) (net.HardwareAddr, error) {
	if mac, err := net.ParseMAC(s); err == nil && len(mac) == 6 {
		return mac, nil
	}
	if mac, err := net.ParseMAC(s + ":00"); err == nil && len(mac) == 6 {
		mac[5] = vrid
		return mac, nil
	}
	return nil, fmt.Errorf("%q is not a MAC address (six octets, or five and the VRID)", s)
}
