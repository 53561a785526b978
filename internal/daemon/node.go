package daemon

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"

	"github.com/halo-lb/halo/internal/ctl"
	"github.com/halo-lb/halo/internal/proxy"
)

// The Daemon is the Node the control sockets drive.
var _ ctl.Node = (*Daemon)(nil)

// Env is the process environment, for `show env`.
func (d *Daemon) Env() []string { return os.Environ() }

func (d *Daemon) proxyOf() (*proxyPart, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.proxy == nil {
		return nil, fmt.Errorf("%w: halo runs no haproxy configuration", ctl.ErrNoBackend)
	}
	return d.proxy, nil
}

// ctlErr turns the proxy's unknown-name errors into the control socket's.
func ctlErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, proxy.ErrNoBackend):
		return fmt.Errorf("%w: %v", ctl.ErrNoBackend, err)
	case errors.Is(err, proxy.ErrNoServer):
		return fmt.Errorf("%w: %v", ctl.ErrNoServer, err)
	}
	return err
}

// SetServerAdmin sets ready, drain or maint. Maintenance also stops the
// server's health check (HAProxy does not probe a server in maintenance);
// ready restarts it from the initial state.
func (d *Daemon) SetServerAdmin(backend, server, state string) error {
	pp, err := d.proxyOf()
	if err != nil {
		return err
	}
	var st proxy.AdminState
	switch state {
	case "ready":
		st = proxy.Ready
	case "drain":
		st = proxy.Drain
	case "maint":
		st = proxy.Maint
	default:
		return fmt.Errorf("unknown admin state %q", state)
	}
	if err := pp.proxy.SetServerAdmin(backend, server, st); err != nil {
		return ctlErr(err)
	}
	if c := pp.checker(backend, server); c != nil {
		c.SetPaused(st == proxy.Maint)
	}
	d.log.Info("runtime API: server admin state set", "backend", backend, "server", server, "state", state)
	pp.noteBackends()
	return nil
}

func (d *Daemon) SetServerWeight(backend, server string, weight int) error {
	pp, err := d.proxyOf()
	if err != nil {
		return err
	}
	if err := pp.proxy.SetServerWeight(backend, server, weight); err != nil {
		return ctlErr(err)
	}
	d.log.Info("runtime API: server weight set", "backend", backend, "server", server, "weight", weight)
	pp.noteBackends()
	return nil
}

func (d *Daemon) SetServerMaxConn(backend, server string, maxconn int) error {
	pp, err := d.proxyOf()
	if err != nil {
		return err
	}
	if err := pp.proxy.SetServerMaxConn(backend, server, maxconn); err != nil {
		return ctlErr(err)
	}
	d.log.Info("runtime API: server maxconn set", "backend", backend, "server", server, "maxconn", maxconn)
	return nil
}

func (d *Daemon) SetServerCheck(backend, server string, enabled bool) error {
	pp, err := d.proxyOf()
	if err != nil {
		return err
	}
	if err := pp.proxy.HasServer(backend, server); err != nil {
		return ctlErr(err)
	}
	if c := pp.checker(backend, server); c != nil {
		c.SetEnabled(enabled)
	}
	d.log.Info("runtime API: health check switched", "backend", backend, "server", server, "enabled", enabled)
	return nil
}

func (d *Daemon) SetServerHealth(backend, server string, up bool) error {
	pp, err := d.proxyOf()
	if err != nil {
		return err
	}
	if err := pp.proxy.SetServerHealth(backend, server, up); err != nil {
		return ctlErr(err)
	}
	d.log.Info("runtime API: server health forced", "backend", backend, "server", server, "up", up)
	pp.noteBackends()
	return nil
}

func (d *Daemon) SetServerAddr(backend, server, addr string, port int) (string, error) {
	pp, err := d.proxyOf()
	if err != nil {
		return "", err
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return "", fmt.Errorf("%w: %q", ctl.ErrBadAddr, addr)
	}
	oldAddr, oldPort, err := pp.proxy.SetServerAddr(backend, server, a, port)
	if err != nil {
		return "", ctlErr(err)
	}
	if c := pp.checker(backend, server); c != nil {
		c.SetAddr(a.String(), port)
	}
	// HAProxy's wording, part by part.
	msg := "no need to change the addr"
	if oldAddr != a.Unmap() {
		msg = fmt.Sprintf("IP changed from '%s' to '%s'", addrText(oldAddr), a.Unmap())
	}
	if port != 0 {
		if port == oldPort {
			msg += ", no need to change the port"
		} else {
			msg += fmt.Sprintf(", port changed from '%s' to '%d'", portText(oldPort), port)
		}
	}
	d.log.Info("runtime API: server address set", "backend", backend, "server", server, "change", msg)
	return msg, nil
}

func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return "(none)"
	}
	return a.String()
}

func portText(p int) string {
	if p == 0 {
		return "(none)"
	}
	return strconv.Itoa(p)
}

func (d *Daemon) ShutdownSessions(backend, server string) error {
	pp, err := d.proxyOf()
	if err != nil {
		return err
	}
	n, err := pp.proxy.ShutdownSessions(backend, server)
	if err != nil {
		return ctlErr(err)
	}
	d.log.Info("runtime API: server sessions shut down", "backend", backend, "server", server, "sessions", n)
	return nil
}

func (d *Daemon) ClearCounters(all bool) {
	if pp, err := d.proxyOf(); err == nil {
		pp.proxy.ClearCounters(all)
	}
	d.rate.clear()
}
