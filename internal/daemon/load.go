package daemon

import (
	"github.com/halo-lb/halo/internal/config/diag"
	"github.com/halo-lb/halo/internal/config/haproxy"
	"github.com/halo-lb/halo/internal/config/keepalived"
)

// load reads both files as `halo check` does; it never changes d, so a
// failed reload leaves the running configuration untouched.
func (d *Daemon) load() (*haproxy.Config, *keepalived.Config, error) {
	var all diag.List
	var ha *haproxy.Config
	var ka *keepalived.Config
	if d.opts.HAProxyFile != "" {
		cfg, ds := haproxy.Load(d.opts.HAProxyFile)
		all = append(all, ds...)
		ha = cfg
	}
	if d.opts.KeepalivedFile != "" {
		cfg, ds := keepalived.Load(d.opts.KeepalivedFile)
		all = append(all, ds...)
		ka = cfg
	}
	for _, w := range all {
		if w.Severity == diag.Warning {
			d.log.Warn(w.Msg, "file", w.File, "line", w.Line)
		}
	}
	if err := all.Err(); err != nil {
		return nil, nil, err
	}
	if ka != nil {
		if err := checkTrackBackends(ka, ha); err != nil {
			return nil, nil, err
		}
	}
	return ha, ka, nil
}

func checkTrackBackends(ka *keepalived.Config, ha *haproxy.Config) error {
	var out diag.List
	for _, in := range ka.Instances {
		for _, tb := range in.TrackBackends {
			if ha == nil || ha.Backend(tb.Name) == nil {
				out.Errorf(tb.File, tb.Line, "vrrp_instance %s: track_backend %q names no backend of the haproxy configuration", in.Name, tb.Name)
			}
		}
	}
	return out.Err()
}
