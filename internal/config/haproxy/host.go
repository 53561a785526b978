package haproxy

import (
	"context"
	"net"
	"net/netip"
	"os"
	"strconv"
	"time"

	"github.com/halo-lb/halo/internal/config/diag"
)

// Env is what Load asks the host: name lookups for bind addresses and the
// file descriptor limits. Zero fields use the system's.
type Env struct {
	// Lookup resolves a bind's host name; nil = the system resolver, with
	// bindResolveTimeout for all of Load's lookups.
	Lookup func(ctx context.Context, host string) ([]netip.Addr, error)
	// Limits returns the process's RLIMIT_NOFILE; nil = SystemFDLimits.
	Limits func() (FDLimits, error)
	// ReadFile reads the configuration file; nil = os.ReadFile. `halo run`
	// reads through its privileged helper once it has dropped privileges.
	ReadFile func(name string) ([]byte, error)
}

// bindResolveTimeout bounds the bind name lookups of one Load.
const bindResolveTimeout = 5 * time.Second

// Load reads path and returns the configuration validated for this host,
// with what `halo run` would find at start checked here, so that `halo
// check` (which calls Load too) predicts it: Parse, then host names in bind
// resolved (an error when they do not resolve, as in HAProxy) and the file
// descriptor budget checked (PlanFDs). cfg is nil when diags has errors.
func Load(path string) (*Config, diag.List) { return LoadWith(path, Env{}) }

// LoadWith is Load with the host's answers given by env.
func LoadWith(path string, env Env) (*Config, diag.List) {
	read := env.ReadFile
	if read == nil {
		read = os.ReadFile
	}
	data, err := read(path)
	if err != nil {
		var d diag.List
		d.Errorf(path, 0, "cannot read haproxy configuration: %v", err)
		return nil, d
	}
	cfg, diags := Parse(path, data)
	if cfg == nil {
		return nil, diags
	}
	diags = append(diags, OnHost(cfg, env)...)
	if diags.HasErrors() {
		return nil, diags
	}
	return cfg, diags
}

// OnHost completes a parsed configuration for this host: it resolves the
// host names of binds (replacing Bind.Addr by the first address, Bind.Name
// keeping the name), reports binds that then conflict, and checks the file
// descriptor plan. Load calls it; it is exported for callers that Parse.
func OnHost(cfg *Config, env Env) diag.List {
	var diags diag.List
	lookup := env.Lookup
	ctx := context.Background()
	if lookup == nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, bindResolveTimeout)
		defer cancel()
		lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	resolved := false
	for _, fe := range cfg.Frontends {
		for i := range fe.Binds {
			bd := &fe.Binds[i]
			host, port, err := net.SplitHostPort(bd.Addr)
			if err != nil || host == "" {
				continue
			}
			if _, err := netip.ParseAddr(host); err == nil {
				continue
			}
			addrs, err := lookup(ctx, host)
			if err == nil && len(addrs) == 0 {
				err = errNoAddress
			}
			if err != nil {
				diags.Errorf(cfg.File, bd.Line, "frontend '%s': bind %s: the name does not resolve (%v): halo resolves bind addresses at start, as HAProxy does; write the address, or make the name resolve on this host",
					fe.Name, bd.Addr, lookupError(err))
				continue
			}
			a := addrs[0].Unmap()
			bd.Name, bd.Addr, resolved = host, netip.AddrPortFrom(a, mustPort(port)).String(), true
		}
	}
	if resolved {
		conflicts(&diags, cfg.File, cfg.Frontends, func(a, b *Bind) bool { return a.Name != "" || b.Name != "" })
	}
	limits := env.Limits
	if limits == nil {
		limits = SystemFDLimits
	}
	lim, err := limits()
	if err != nil {
		diags.Warnf(cfg.File, 0, "cannot read the file descriptor limit (%v): not checked", err)
		return diags
	}
	_, d := PlanFDs(cfg, lim)
	return append(diags, d...)
}

func mustPort(s string) uint16 {
	n, _ := strconv.ParseUint(s, 10, 16)
	return uint16(n)
}

// lookupError is the resolver's own words: "no such host".
func lookupError(err error) error {
	if dnsErr, ok := err.(*net.DNSError); ok {
		return textError(dnsErr.Err)
	}
	return err
}
