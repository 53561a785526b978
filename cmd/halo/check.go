package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/halo-lb/halo/internal/config/diag"
	"github.com/halo-lb/halo/internal/config/haproxy"
	"github.com/halo-lb/halo/internal/config/keepalived"
	"github.com/halo-lb/halo/internal/daemon"
	"github.com/halo-lb/halo/internal/priv"
)

// checkCmd validates configuration files like `haproxy -c` and
// `keepalived -t`: every diagnostic as path:line: severity: text, exit 0
// when the files would run (warnings allowed), 1 on any error.
func checkCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	hapath := fs.String("f", "", "haproxy.cfg to check")
	kapath := fs.String("k", "", "keepalived.conf to check")
	peer := fs.String("peer", "", "the other node's keepalived.conf, to check the pair")
	noResolve := fs.Bool("no-resolve", false, "do not warn about server names that do not resolve")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *hapath == "" && *kapath == "" {
		fmt.Fprintln(stderr, "halo check: give -f haproxy.cfg and/or -k keepalived.conf")
		return 2
	}
	if *peer != "" && *kapath == "" {
		fmt.Fprintln(stderr, "halo check: --peer needs -k")
		return 2
	}
	var all diag.List
	var hacfg *haproxy.Config
	if *hapath != "" {
		cfg, d := haproxy.Load(*hapath)
		all = append(all, d...)
		hacfg = cfg
		if cfg != nil && !*noResolve {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			all = append(all, haproxy.CheckResolvable(ctx, cfg, nil)...)
			cancel()
		}
	}
	var kacfg *keepalived.Config
	if *kapath != "" {
		cfg, d := keepalived.Load(*kapath)
		all = append(all, d...)
		kacfg = cfg
		if cfg != nil {
			all = append(all, daemon.CheckTrackBackends(cfg, hacfg, *hapath != "")...)
			all = append(all, keepalived.OnHost(cfg, func(name string) bool {
				_, err := net.InterfaceByName(name)
				return err == nil
			})...)
		}
		if *peer != "" {
			pcfg, pd := keepalived.Load(*peer)
			all = append(all, pd...)
			if cfg != nil && pcfg != nil {
				all = append(all, keepalived.CheckPair(cfg, pcfg)...)
			}
		}
	}
	// Accounts (user/group, script_user) and enable_script_security, by the
	// function `halo run` calls, once both given files parsed.
	if (*hapath == "" || hacfg != nil) && (*kapath == "" || kacfg != nil) {
		_, d := priv.NewPlan(hacfg, kacfg)
		all = append(all, d...)
	}
	for _, d := range all {
		fmt.Fprintln(stdout, d)
	}
	if all.HasErrors() {
		fmt.Fprintf(stdout, "configuration has %d error(s)\n", len(all.Errors()))
		return 1
	}
	fmt.Fprintln(stdout, "configuration is valid")
	return 0
}
