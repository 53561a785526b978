package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/halo-lb/halo/internal/ctl"
	"github.com/halo-lb/halo/internal/daemon"
)

// handoverCmd asks a running halo to move its VIPs to the best peer and
// waits until the node is idle: exit 0 when it is safe to reboot, 1 with
// the reason otherwise (no peer took over, connections still open at the
// timeout, halo not running). --resume ends the maintenance a handover
// leaves the node in.
func handoverCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("handover", flag.ContinueOnError)
	fs.SetOutput(stderr)
	socket := fs.String("socket", daemon.DefaultSocket, "control socket: a path, unix@PATH or ipv4@ADDR:PORT")
	timeout := fs.Duration("timeout", time.Minute, "how long open connections may take to end")
	resume := fs.Bool("resume", false, "end maintenance: advertise the configured priority again")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "halo handover: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	query := func(line string) (string, bool) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		out, err := ctl.Query(ctx, *socket, line)
		switch {
		case errors.Is(err, ctl.ErrNotRunning):
			fmt.Fprintf(stderr, "halo is not running: no control socket at %s (pass --socket)\n", *socket)
			return "", false
		case err != nil:
			fmt.Fprintf(stderr, "halo handover: %v\n", err)
			return "", false
		case strings.HasPrefix(out, "halo: "):
			fmt.Fprintf(stderr, "halo handover: %s\n", strings.TrimSpace(strings.TrimPrefix(out, "halo: ")))
			return "", false
		}
		return out, true
	}
	if *resume {
		out, ok := query("handover resume")
		if !ok {
			return 1
		}
		io.WriteString(stdout, out)
		return 0
	}
	if _, ok := query(fmt.Sprintf("handover %s", *timeout)); !ok {
		return 1
	}
	// Poll until done: one long request could outlive a `stats timeout`.
	deadline := time.Now().Add(*timeout + time.Minute)
	last := ""
	for time.Now().Before(deadline) {
		out, ok := query("show handover json")
		if !ok {
			return 1
		}
		var st ctl.HandoverStatus
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			fmt.Fprintf(stderr, "halo handover: unexpected answer %.200q\n", out)
			return 1
		}
		if st.Detail != last && st.Phase == ctl.HandoverRunning {
			fmt.Fprintf(stdout, "%s\n", st.Detail)
			last = st.Detail
		}
		switch st.Phase {
		case ctl.HandoverDone:
			for _, m := range st.Moved {
				fmt.Fprintf(stdout, "moved %s\n", m)
			}
			fmt.Fprintf(stdout, "idle after %v: safe to reboot (the node stays in maintenance; 'halo handover --resume' or a restart ends it)\n",
				st.Ended.Sub(st.Started).Round(time.Millisecond))
			return 0
		case ctl.HandoverFailed:
			fmt.Fprintf(stderr, "halo handover: %s\n", st.Error)
			return 1
		}
		time.Sleep(100 * time.Millisecond)
	}
	fmt.Fprintln(stderr, "halo handover: no answer from the node before the deadline")
	return 1
}
