package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/halo-lb/halo/internal/daemon"
)

// runCmd serves the configuration until SIGTERM/SIGINT, reloading on SIGHUP.
func runCmd(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	opts := daemon.Options{}
	fs.StringVar(&opts.HAProxyFile, "f", "", "haproxy.cfg to serve")
	fs.StringVar(&opts.KeepalivedFile, "k", "", "keepalived.conf to run")
	fs.StringVar(&opts.Socket, "socket", daemon.DefaultSocket, "control socket, mode 0600, level admin: a path, unix@PATH or ipv4@ADDR:PORT (\"\" for none)")
	fs.StringVar(&opts.Metrics, "metrics", "", "serve Prometheus /metrics on this address (host:port)")
	debug := fs.Bool("debug", false, "log at debug level")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if opts.HAProxyFile == "" && opts.KeepalivedFile == "" {
		fmt.Fprintln(stderr, "halo run: give -f haproxy.cfg and/or -k keepalived.conf")
		return 2
	}
	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	opts.Version = version
	opts.ApplyFDLimit = true
	opts.Log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	d, err := daemon.New(opts)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				d.Reload()
			}
		}
	}()
	if err := d.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		opts.Log.Error("halo stopped", "err", err)
		return 1
	}
	return 0
}
