package keepalived

import "github.com/halo-lb/halo/internal/config/diag"

// OnHost reports what of cfg depends on this host and is not there yet:
// an instance's interface, a tracked interface. keepalived tolerates both
// (the instance waits in FAULT until the interface appears) and so does
// halo, so these are warnings. exists says whether an interface is present.
func OnHost(cfg *Config, exists func(name string) bool) diag.List {
	var out diag.List
	for _, in := range cfg.Instances {
		if in.Interface != "" && !exists(in.Interface) {
			out.Warnf(in.File, in.Line, "vrrp_instance %s: interface %q does not exist on this host: the instance waits in FAULT until it appears (the rest of halo serves)", in.Name, in.Interface)
		}
		for _, t := range in.TrackInterfaces {
			if !exists(t.Name) {
				out.Warnf(t.File, t.Line, "vrrp_instance %s: tracked interface %q does not exist on this host: it counts as down until it appears", in.Name, t.Name)
			}
		}
	}
	for _, a := range cfg.Announces {
		for _, t := range a.TrackInterfaces {
			if !exists(t.Name) {
				out.Warnf(t.File, t.Line, "bgp_announce %s: tracked interface %q does not exist on this host: the prefixes stay withdrawn until it appears", a.Name, t.Name)
			}
		}
	}
	return out
}
