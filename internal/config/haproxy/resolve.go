package haproxy

import (
	"context"
	"net"
	"net/netip"
	"time"

	"github.com/halo-lb/halo/internal/config/diag"
)

// resolveTimeout bounds all the lookups of one CheckResolvable call made
// with the default resolver.
const resolveTimeout = 2 * time.Second

// CheckResolvable warns (path:line: warning) for every server/check address
// whose name does not resolve with lookup (nil = net.DefaultResolver with a
// 2 s timeout total). Used by `halo check`. A name that does not resolve is
// not an error: the server starts DOWN and is resolved again while it is.
// Each distinct name is looked up once.
func CheckResolvable(ctx context.Context, cfg *Config, lookup func(ctx context.Context, host string) ([]netip.Addr, error)) diag.List {
	var out diag.List
	if cfg == nil {
		return out
	}
	if lookup == nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, resolveTimeout)
		defer cancel()
		lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	results := map[string]error{}
	resolve := func(host string) error {
		if err, done := results[host]; done {
			return err
		}
		addrs, err := lookup(ctx, host)
		if err == nil && len(addrs) == 0 {
			err = errNoAddress
		}
		results[host] = err
		return err
	}
	for _, be := range cfg.Backends {
		for _, s := range be.Servers {
			for _, h := range []struct{ host, what string }{{s.Host, "address"}, {s.CheckAddr, "check address"}} {
				if h.host == "" {
					continue
				}
				if _, err := netip.ParseAddr(h.host); err == nil {
					continue
				}
				if err := resolve(h.host); err != nil {
					out.Warnf(cfg.File, s.Line, "backend '%s' server '%s': %s '%s' does not resolve (%v): the server starts DOWN and halo keeps resolving it",
						be.Name, s.Name, h.what, h.host, err)
				}
			}
		}
	}
	return out
}

var errNoAddress = textError("no address")
