package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/halo-lb/halo/internal/config/diag"
	"github.com/halo-lb/halo/internal/config/haproxy"
	"github.com/halo-lb/halo/internal/config/keepalived"
)

// DefaultSocket is where `halo run` serves its control socket and where
// `halo status` looks for it.
const DefaultSocket = "/run/halo/halo.sock"

// Options say what one halo process runs. Either file may be empty.
type Options struct {
	HAProxyFile    string
	KeepalivedFile string
	Socket         string
	Log            *slog.Logger // nil = discard
}

// Daemon is one running halo: proxy, health checks, VRRP instances.
type Daemon struct {
	opts Options
	log  *slog.Logger
	ha   *haproxy.Config
	ka   *keepalived.Config

	mu      sync.Mutex
	proxy   *proxyPart // nil without haproxy.cfg
	routers *vrrpPart  // nil without keepalived.conf
}

// New loads and validates the configuration files. Warnings are logged; any
// error is returned with every diagnostic, as `halo check` prints them.
func New(opts Options) (*Daemon, error) {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	d := &Daemon{opts: opts, log: log}
	ha, ka, err := d.load()
	if err != nil {
		return nil, err
	}
	d.ha, d.ka = ha, ka
	return d, nil
}

// load reads both files; it never changes d, so a failed reload leaves the
// running configuration untouched.
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

// Run serves until ctx is done, then stops gracefully: VRRP masters send
// priority 0 and release their VIPs, listeners close, connections drain.
func (d *Daemon) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	partCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The proxy stops only after the VRRP part has handed its VIPs over,
	// so clients keep being served until the backup answers for the VIP.
	proxyCtx, stopProxy := context.WithCancel(context.WithoutCancel(ctx))
	defer stopProxy()
	vrrpDone := make(chan struct{})
	var vrrpOnce sync.Once
	markVRRPDone := func() { vrrpOnce.Do(func() { close(vrrpDone) }) }
	defer markVRRPDone()
	go func() {
		<-partCtx.Done()
		<-vrrpDone
		stopProxy()
	}()

	if d.ha != nil {
		p, err := newProxyPart(d.ha, d.log)
		if err != nil {
			return err
		}
		d.mu.Lock()
		d.proxy = p
		d.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.Run(proxyCtx); err != nil {
				errs <- fmt.Errorf("proxy: %w", err)
				cancel()
			}
		}()
	}
	if d.ka == nil {
		markVRRPDone()
	} else {
		v, err := newVRRPPart(d.ka, d.proxy, d.log)
		if err != nil {
			markVRRPDone()
			cancel()
			wg.Wait()
			return err
		}
		d.mu.Lock()
		d.routers = v
		d.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer markVRRPDone()
			if err := v.Run(partCtx); err != nil {
				errs <- fmt.Errorf("vrrp: %w", err)
				cancel()
			}
		}()
	}
	d.log.Info("halo running", "haproxy", d.opts.HAProxyFile, "keepalived", d.opts.KeepalivedFile)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	d.log.Info("halo stopped")
	return nil
}

// Reload re-reads both files. A broken file is reported and changes
// nothing. Applying a valid new configuration to live listeners and
// instances without dropping connections is the reload work still to come;
// until then a valid change is logged as needing a restart.
func (d *Daemon) Reload() {
	_, _, err := d.load()
	if err != nil {
		d.log.Error("reload refused: configuration has errors, the running one stays", "err", err)
		return
	}
	d.log.Warn("reload: configuration is valid; in-process apply is not implemented yet, restart halo to use it")
}
