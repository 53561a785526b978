// Command halo-proxy runs internal/proxy with frontends given on the command
// line, for bench/proxy.sh until `halo run -f` exists:
//
//	halo-proxy -maxconn 8000 -map 127.0.0.1:25201=127.0.0.1:15201 [-map ...]
//
// Timeouts match bench/proxy.sh's haproxy.cfg (connect 5s, client and
// server 60s). It stops gracefully on SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/halo-lb/halo/internal/config/haproxy"
	"github.com/halo-lb/halo/internal/proxy"
)

type maps []string

func (m *maps) String() string     { return strings.Join(*m, ",") }
func (m *maps) Set(s string) error { *m = append(*m, s); return nil }

func main() {
	var m maps
	flag.Var(&m, "map", "BIND=SERVER, e.g. 127.0.0.1:25201=127.0.0.1:15201 (repeatable)")
	maxconn := flag.Int("maxconn", 8000, "global maxconn")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this file until stopped")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "halo-proxy:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(m, *maxconn); err != nil {
		fmt.Fprintln(os.Stderr, "halo-proxy:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(m maps, maxconn int) error {
	cfg := &haproxy.Config{File: "flags", Global: haproxy.Global{MaxConn: maxconn, HardStopAfter: 5 * time.Second}}
	for i, spec := range m {
		bind, srv, ok := strings.Cut(spec, "=")
		if !ok {
			return fmt.Errorf("bad -map %q", spec)
		}
		host, port, err := net.SplitHostPort(srv)
		if err != nil {
			return err
		}
		pn, _ := strconv.Atoi(port)
		be := &haproxy.Backend{
			Name: fmt.Sprintf("be%d", i), Mode: haproxy.ModeTCP, Retries: 3,
			Balance:  haproxy.Balance{Algorithm: haproxy.RoundRobin, HashType: haproxy.MapBased},
			Timeouts: haproxy.BackendTimeouts{Connect: 5 * time.Second, Server: time.Minute},
			Servers:  []*haproxy.Server{{Name: "s1", Host: host, Port: pn, Weight: 1}},
		}
		cfg.Backends = append(cfg.Backends, be)
		cfg.Frontends = append(cfg.Frontends, &haproxy.Frontend{
			Name: fmt.Sprintf("fe%d", i), Mode: haproxy.ModeTCP, Binds: []haproxy.Bind{{Addr: bind}},
			DefaultBackend: be, TimeoutClient: time.Minute,
		})
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	p, err := proxy.New(cfg, log)
	if err != nil {
		return err
	}
	if err := p.Listen(); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return p.Serve(ctx)
}
