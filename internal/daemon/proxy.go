package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/halo-lb/halo/internal/config/haproxy"
	"github.com/halo-lb/halo/internal/health"
	"github.com/halo-lb/halo/internal/proxy"
	"github.com/halo-lb/halo/internal/stats"
)

// proxyPart is the haproxy.cfg half: listeners, connections, and one health
// checker per server with `check`, whose verdicts reach the proxy and any
// VRRP instance that tracks the backend.
type proxyPart struct {
	cfg      *haproxy.Config
	log      *slog.Logger
	proxy    *proxy.Proxy
	checkers map[string][]*health.Checker // by backend name
	pages    []*stats.Page                // `listen stats` sections

	mu        sync.Mutex
	up        map[string]map[string]bool // backend -> server -> usable
	listeners []func(backend string, up bool)
}

func newProxyPart(cfg *haproxy.Config, log *slog.Logger) (*proxyPart, error) {
	p, err := proxy.New(cfg, log)
	if err != nil {
		return nil, err
	}
	pp := &proxyPart{cfg: cfg, log: log, proxy: p, checkers: map[string][]*health.Checker{}, up: map[string]map[string]bool{}}
	// NewChecker may spend up to a second resolving a name that does not
	// resolve (the seed's servers): create the checkers in parallel.
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, b := range cfg.Backends {
		mu.Lock()
		pp.up[b.Name] = map[string]bool{}
		for _, s := range b.Servers {
			pp.up[b.Name][s.Name] = !s.Disabled
		}
		mu.Unlock()
		for _, s := range b.Servers {
			if !s.Check || s.Disabled {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := health.NewChecker(b, s, func(up bool, _ string) {
					pp.serverHealth(b.Name, s.Name, up)
				}, log)
				mu.Lock()
				pp.checkers[b.Name] = append(pp.checkers[b.Name], c)
				// A checker may start a server DOWN (its name does not resolve).
				pp.up[b.Name][s.Name] = c.Up()
				mu.Unlock()
				if err := p.SetServerHealth(b.Name, s.Name, c.Up()); err != nil {
					log.Error("health wiring", "err", err)
				}
			}()
		}
	}
	wg.Wait()
	return pp, nil
}

func (pp *proxyPart) serverHealth(backend, server string, up bool) {
	// The checker has logged the transition with its reason.
	if err := pp.proxy.SetServerHealth(backend, server, up); err != nil {
		pp.log.Error("health wiring", "err", err)
	}
	pp.mu.Lock()
	before := pp.backendUpLocked(backend)
	pp.up[backend][server] = up
	after := pp.backendUpLocked(backend)
	ls := append([]func(string, bool){}, pp.listeners...)
	pp.mu.Unlock()
	if before != after {
		for _, l := range ls {
			l(backend, after)
		}
	}
}

// BackendUp reports whether at least one server of backend is usable: the
// meaning of track_backend.
func (pp *proxyPart) BackendUp(backend string) bool {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	return pp.backendUpLocked(backend)
}

func (pp *proxyPart) backendUpLocked(backend string) bool {
	for _, up := range pp.up[backend] {
		if up {
			return true
		}
	}
	return false
}

// OnBackendChange registers f to hear every change of BackendUp.
func (pp *proxyPart) OnBackendChange(f func(backend string, up bool)) {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	pp.listeners = append(pp.listeners, f)
}

// Run opens the listeners, runs the checks and serves until ctx is done,
// then drains.
func (pp *proxyPart) Run(ctx context.Context) error {
	if err := pp.proxy.Listen(); err != nil {
		return err
	}
	for _, fe := range pp.cfg.Frontends {
		if fe.Stats == nil {
			continue
		}
		page := stats.NewPage(fe, pp.proxy.Snapshot, pp.log)
		if err := page.Listen(); err != nil {
			pp.proxy.Close()
			for _, p := range pp.pages {
				p.Close()
			}
			return fmt.Errorf("frontend %q (stats page): %w", fe.Name, err)
		}
		pp.pages = append(pp.pages, page)
	}
	// Checks keep running while connections drain after ctx is done.
	checkCtx, stopChecks := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	for _, cs := range pp.checkers {
		for _, c := range cs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.Run(checkCtx)
			}()
		}
	}
	for _, page := range pp.pages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			page.Serve(ctx)
		}()
	}
	err := pp.proxy.Serve(ctx)
	stopChecks()
	wg.Wait()
	return err
}
