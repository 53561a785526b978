package daemon

import (
	"fmt"

	"github.com/halo-lb/halo/internal/config/diag"
	"github.com/halo-lb/halo/internal/config/haproxy"
	"github.com/halo-lb/halo/internal/config/keepalived"
	"github.com/halo-lb/halo/internal/priv"
)

// load reads both files as `halo check` does; it never changes d, so a
// failed reload leaves the running configuration untouched.
func (d *Daemon) load() (*haproxy.Config, *keepalived.Config, *priv.Plan, error) {
	var all diag.List
	var ha *haproxy.Config
	var ka *keepalived.Config
	var files priv.Files = priv.OSFiles{}
	if d.opts.Files != nil {
		f, err := d.opts.Files()
		if err != nil {
			return nil, nil, nil, fmt.Errorf("reading the configuration: %w", err)
		}
		files = f
	}
	if d.opts.HAProxyFile != "" {
		cfg, ds := haproxy.LoadWith(d.opts.HAProxyFile, haproxy.Env{ReadFile: files.ReadFile})
		all = append(all, ds...)
		ha = cfg
	}
	if d.opts.KeepalivedFile != "" {
		cfg, ds := keepalived.LoadFrom(d.opts.KeepalivedFile, keepalived.Files{ReadFile: files.ReadFile, Glob: files.Glob})
		all = append(all, ds...)
		ka = cfg
	}
	// Accounts and enable_script_security, as `halo check` reports them.
	var plan *priv.Plan
	if all.Err() == nil {
		var ds diag.List
		plan, ds = priv.NewPlan(ha, ka)
		all = append(all, ds...)
	}
	for _, w := range all {
		if w.Severity == diag.Warning {
			d.log.Warn(w.Msg, "file", w.File, "line", w.Line)
		}
	}
	if err := all.Err(); err != nil {
		return nil, nil, nil, err
	}
	if ka != nil {
		if err := checkTrackBackends(ka, ha); err != nil {
			return nil, nil, nil, err
		}
	}
	return ha, ka, plan, nil
}

func checkTrackBackends(ka *keepalived.Config, ha *haproxy.Config) error {
	return CheckTrackBackends(ka, ha, ha != nil).Err()
}

// CheckTrackBackends reports track_backend lines (of vrrp_instance and
// bgp_announce blocks) that name no backend of ha; haGiven false means no
// haproxy configuration was given at all. `halo check` and `halo run` both
// call it.
func CheckTrackBackends(ka *keepalived.Config, ha *haproxy.Config, haGiven bool) diag.List {
	var out diag.List
	check := func(section string, tbs []keepalived.Track) {
		for _, tb := range tbs {
			switch {
			case !haGiven:
				out.Errorf(tb.File, tb.Line, "%s: track_backend %q needs the haproxy configuration (-f)", section, tb.Name)
			case ha == nil: // it did not parse; its own errors say why
			case ha.Backend(tb.Name) == nil:
				out.Errorf(tb.File, tb.Line, "%s: track_backend %q: no such backend in %s", section, tb.Name, ha.File)
			}
		}
	}
	for _, in := range ka.Instances {
		check("vrrp_instance "+in.Name, in.TrackBackends)
	}
	for _, a := range ka.Announces {
		check("bgp_announce "+a.Name, a.TrackBackends)
	}
	return out
}
