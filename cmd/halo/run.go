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

	sd "github.com/coreos/go-systemd/v22/daemon"

	"github.com/halo-lb/halo/internal/config/haproxy"
	"github.com/halo-lb/halo/internal/daemon"
	"github.com/halo-lb/halo/internal/priv"
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

	// Least privilege (internal/priv): started as root with user/group in
	// haproxy.cfg, this process stays behind as the privileged helper and
	// a re-executed child serves, dropping to that user once its sockets
	// are open.
	helper, err := priv.ChildClient()
	if err != nil {
		fmt.Fprintln(stderr, "halo run:", err)
		return 1
	}
	if helper != nil {
		opts.Files, opts.Exec, opts.Drop = helper.Files, helper.Exec, true
	} else if acct := serveAccount(opts.HAProxyFile); acct != nil {
		if os.Geteuid() == 0 {
			h := &priv.Helper{HAProxyFile: opts.HAProxyFile, KeepalivedFile: opts.KeepalivedFile, Child: *acct, Log: opts.Log}
			code, err := h.RunChild(os.Args[1:])
			if err != nil {
				opts.Log.Error("halo stopped", "err", err)
			}
			return code
		}
		if acct.UID != os.Geteuid() {
			fmt.Fprintf(stderr, "halo run: %s sets user %s, but halo runs as uid %d and cannot change user: start it as root\n", opts.HAProxyFile, acct, os.Geteuid())
			return 1
		}
	}

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
				sdNotify(sd.SdNotifyReloading)
				d.Reload()
				sdNotify(sd.SdNotifyReady)
			}
		}
	}()
	// systemd (Type=notify): ready once every socket is open and the
	// privileges are dropped; stopping from the signal on.
	go func() {
		select {
		case <-d.Ready():
			sdNotify(sd.SdNotifyReady)
		case <-ctx.Done():
			return
		}
		<-ctx.Done()
		sdNotify(sd.SdNotifyStopping)
	}()
	if err := d.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		opts.Log.Error("halo stopped", "err", err)
		return 1
	}
	return 0
}

// serveAccount is the account haproxy.cfg's global user/group names, or
// nil (none, no file, or a file with errors: the start reports those).
func serveAccount(path string) *priv.Account {
	if path == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	cfg, diags := haproxy.Parse(path, data)
	if cfg == nil || diags.HasErrors() {
		return nil
	}
	plan, diags := priv.NewPlan(cfg, nil)
	if diags.HasErrors() {
		return nil
	}
	return plan.Serve
}

// sdNotify tells systemd (NOTIFY_SOCKET) about the service's state; it
// does nothing outside systemd.
func sdNotify(state string) { sd.SdNotify(false, state) }
