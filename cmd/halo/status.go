package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/halo-lb/halo/internal/ctl"
	"github.com/halo-lb/halo/internal/daemon"
	"github.com/halo-lb/halo/internal/stats"
)

// statusCmd prints the whole node on one screen, read from a running
// halo's control socket (`show status json`). The text is rendered here
// from the JSON, so the two forms always agree. Exit status: 0 when halo
// answered, 1 when it is not running or did not answer.
func statusCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	socket := fs.String("socket", daemon.DefaultSocket, "control socket: a path, unix@PATH or ipv4@ADDR:PORT")
	asJSON := fs.Bool("json", false, "print the stable JSON form (docs/STATUS.md)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "halo status: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := ctl.Query(ctx, *socket, "show status json")
	if err != nil {
		if errors.Is(err, ctl.ErrNotRunning) {
			fmt.Fprintf(stderr, "halo is not running: no control socket at %s (start it with 'halo run', or pass --socket)\n", *socket)
		} else {
			fmt.Fprintf(stderr, "halo status: %v\n", err)
		}
		return 1
	}
	var snap stats.Snapshot
	if err := json.Unmarshal([]byte(out), &snap); err != nil {
		fmt.Fprintf(stderr, "halo status: %s did not answer with a status (%v): %.200q\n", *socket, err, out)
		return 1
	}
	if *asJSON {
		io.WriteString(stdout, out)
		return 0
	}
	if err := stats.WriteStatus(stdout, snap); err != nil {
		fmt.Fprintf(stderr, "halo status: %v\n", err)
		return 1
	}
	return 0
}
