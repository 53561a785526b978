package vrrpd

import (
	"errors"
	"fmt"

	"github.com/halo-lb/halo/internal/config/keepalived"
	"github.com/halo-lb/halo/internal/vip"
)

// use_vmac: each such instance gets a macvlan with the virtual MAC on its
// interface for the router's life, created before the sockets open (the
// adverts may use it) and removed after the VIPs are released.

func vmacOf(ic *keepalived.Instance) vip.VMAC {
	return vip.VMAC{Name: ic.VMACName, Parent: ic.Interface, MAC: ic.VMACAddr, IPv6: ic.Family() == 6}
}

// createVMACs adds the VMAC of every use_vmac instance. A VMAC that cannot
// be made fails the start: its instance could hold no VIP.
func (r *Router) createVMACs() error {
	var errs []error
	for _, in := range r.instanceList() {
		ic, _, _ := in.config()
		if !ic.UseVMAC {
			continue
		}
		if err := r.env.VMACs.Add(vmacOf(ic)); err != nil {
			errs = append(errs, fmt.Errorf("vrrp_instance %s: use_vmac: %w", ic.Name, err))
			continue
		}
		r.log.Info("vmac created", "instance", ic.Name, "iface", ic.VMACName, "mac", ic.VMACAddr.String())
	}
	return errors.Join(errs...)
}

// removeVMACs deletes what createVMACs added.
func (r *Router) removeVMACs() {
	for _, in := range r.instanceList() {
		ic, _, _ := in.config()
		if !ic.UseVMAC {
			continue
		}
		if err := r.env.VMACs.Delete(vmacOf(ic)); err != nil {
			r.log.Warn("removing vmac", "instance", ic.Name, "iface", ic.VMACName, "err", err)
		}
	}
}

// checkVMACReload refuses a reload that adds, removes or changes a VMAC:
// the interface would have to be made or destroyed under a running
// instance. A restart applies it.
func (r *Router) checkVMACReload(cfg *keepalived.Config) error {
	r.mu.RLock()
	defer r.mu.RUnlock()
	old := map[string]*keepalived.Instance{}
	for _, in := range r.instances {
		old[in.name] = in.cfg
	}
	seen := map[string]bool{}
	for _, ic := range cfg.Instances {
		seen[ic.Name] = true
		o := old[ic.Name]
		if o == nil {
			if ic.UseVMAC {
				return fmt.Errorf("vrrp_instance %s: a new instance with use_vmac needs a restart", ic.Name)
			}
			continue
		}
		if sameVMAC(o, ic) {
			continue
		}
		return fmt.Errorf("vrrp_instance %s: use_vmac or vmac_xmit_base changed: needs a restart", ic.Name)
	}
	for name, o := range old {
		if !seen[name] && o.UseVMAC {
			return fmt.Errorf("vrrp_instance %s: removing an instance with use_vmac needs a restart", name)
		}
	}
	return nil
}

func sameVMAC(a, b *keepalived.Instance) bool {
	if a.UseVMAC != b.UseVMAC {
		return false
	}
	return !a.UseVMAC || a.VMACName == b.VMACName && a.VMACAddr.String() == b.VMACAddr.String() &&
		a.VMACXmitBase == b.VMACXmitBase && a.Interface == b.Interface
}
