package daemon

import (
	"errors"
	"fmt"
	"time"
)

// Reload re-reads both files and applies them in place (SIGHUP, `systemctl
// reload`). A file with errors is refused with its diagnostics and nothing
// changes. Otherwise each part takes the new configuration beside its
// running state: unchanged listeners keep their sockets, established
// connections are not touched, servers keep health, admin state and
// counters, VRRP instances keep their state and VIPs (see proxy.Apply and
// vrrpd.Router.Reload). One line per change is logged.
//
// The parts are applied in turn — proxy, HTTP listeners, control sockets,
// VRRP — and each one refuses as a whole what it cannot do (a bind already
// in use, say); a part that refuses leaves the parts before it on the new
// configuration, which is reported.
func (d *Daemon) Reload() error {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	start := time.Now()
	ha, ka, plan, err := d.load()
	if err != nil {
		d.reloadErrors.Add(1)
		d.log.Error("reload refused: the configuration has errors; the running one stays", "err", err)
		return err
	}
	if hasBGP := ka != nil && ka.BGP != nil; hasBGP != (d.bgp != nil) {
		d.reloadErrors.Add(1)
		err := errors.New("reload refused: adding or removing bgp_speaker needs a restart; the running configuration stays")
		d.log.Error(err.Error())
		return err
	}
	var changes []string
	fail := func(part string, err error) error {
		d.reloadErrors.Add(1)
		err = fmt.Errorf("%s: %w", part, err)
		d.log.Error("reload refused", "part", part, "err", err, "applied_before", len(changes))
		return err
	}
	if d.proxy != nil && ha != nil {
		cs, err := d.proxy.apply(ha)
		if err != nil {
			return fail("proxy", err)
		}
		changes = append(changes, cs...)
	}
	cs, err := d.web.apply(webFrontends(ha, d.opts.Metrics))
	if err != nil {
		return fail("http listeners", err)
	}
	changes = append(changes, cs...)
	if err := d.ctl.apply(ha); err != nil {
		return fail("control sockets", err)
	}
	if d.router != nil && ka != nil {
		cs, err := d.router.Reload(ka)
		if err != nil {
			return fail("vrrp", err)
		}
		changes = append(changes, cs...)
		if ha != nil {
			d.router.SetDrainer(d.waitIdle, stopDrain(ha.Global.HardStopAfter))
		}
		if d.proxy != nil {
			for _, b := range ha.Backends {
				d.router.SetBackend(b.Name, d.proxy.BackendUp(b.Name))
			}
		}
		if d.bgp != nil {
			cs, err := d.bgp.apply(ka)
			if err != nil {
				return fail("bgp", err)
			}
			changes = append(changes, cs...)
		}
	}
	d.logs.Apply(ha)
	d.mu.Lock()
	if old := d.plan; d.opts.Drop && old != nil && old.Serve != nil && (plan.Serve == nil || *plan.Serve != *old.Serve) {
		// The serving process cannot change its account: it keeps the one
		// it dropped to, and so do scripts that name none.
		d.log.Warn("reload: user/group changed in haproxy.cfg; it applies at the next restart", "running_as", old.Serve.Name)
		plan.Serve, plan.Scripts = old.Serve, *old.Serve
	}
	d.ha, d.ka, d.plan = ha, ka, plan
	d.mu.Unlock()
	for _, c := range changes {
		d.log.Info("reload: " + c)
	}
	now := time.Now()
	d.lastReload.Store(&now)
	d.reloads.Add(1)
	d.log.Info("reload done", "changes", len(changes), "took", time.Since(start).Round(time.Millisecond))
	return nil
}
