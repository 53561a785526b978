// Command proxyprof serves the frontends of an haproxy.cfg with
// internal/proxy alone (no health checks, no VRRP) and writes a CPU profile
// of the first -d seconds, so that `go tool pprof` can show where a
// benchmark load spends the proxy's time. It keeps serving until killed.
//
//	proxyprof -f haproxy.cfg -cpuprofile cpu.out -d 5s &
//	wrk ... ; go tool pprof -top proxyprof cpu.out
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/halo-lb/halo/internal/config/haproxy"
	"github.com/halo-lb/halo/internal/proxy"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "proxyprof:", err)
		os.Exit(1)
	}
}

func run() error {
	path := flag.String("f", "", "haproxy.cfg to serve")
	out := flag.String("cpuprofile", "", "write a CPU profile here")
	wait := flag.Duration("wait", 0, "start profiling after this delay")
	dur := flag.Duration("d", 5*time.Second, "profile this long")
	flag.Parse()
	cfg, ds := haproxy.Load(*path)
	if err := ds.Err(); err != nil {
		return err
	}
	p, err := proxy.New(cfg, nil)
	if err != nil {
		return err
	}
	if err := p.Listen(); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *out != "" {
		go profile(ctx, *out, *wait, *dur)
	}
	return p.Serve(ctx)
}

// profile writes a CPU profile of [wait, wait+dur) or until ctx ends.
func profile(ctx context.Context, path string, wait, dur time.Duration) {
	select {
	case <-ctx.Done():
		return
	case <-time.After(wait):
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "proxyprof:", err)
		return
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "proxyprof:", err)
		return
	}
	select {
	case <-ctx.Done():
	case <-time.After(dur):
	}
	pprof.StopCPUProfile()
	fmt.Fprintln(os.Stderr, "proxyprof: profile written to", path)
}
