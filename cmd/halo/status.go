package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/halo-lb/halo/internal/daemon"
)

// statusCmd prints the state of a running halo. The control socket and its
// HAProxy-compatible runtime API come with the stats work; until then this
// says so plainly rather than pretending.
func statusCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	socket := fs.String("socket", daemon.DefaultSocket, "control socket path")
	fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fmt.Fprintf(stderr, "halo status: the control socket (%s) is not implemented yet; see the logs of 'halo run'\n", *socket)
	return 1
}
