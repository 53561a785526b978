package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/halo-lb/halo/internal/lab"
	"github.com/halo-lb/halo/internal/netlab"
)

// labCmd builds the seed article's two-node setup in network namespaces and
// runs its failure drill with this very binary on both nodes.
func labCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lab", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cleanup := fs.Bool("cleanup", false, "only remove namespaces left behind by earlier runs whose process is gone")
	keep := fs.Bool("keep", false, "leave the namespaces and nodes running after the drill")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: halo lab [--keep] [scenario ...]\n\nScenarios (default: all, in this order): %v\n\n", lab.Scenarios)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *cleanup {
		if err := netlab.CleanupStale("halo"); err != nil {
			fmt.Fprintln(stderr, "halo lab:", err)
			return 1
		}
		return 0
	}
	if os.Geteuid() != 0 {
		fmt.Fprintln(stderr, "halo lab: needs root (it creates network namespaces)")
		return 1
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(stderr, "halo lab:", err)
		return 1
	}
	netlab.CleanupStale("halo-lab")
	interrupt := make(chan os.Signal, 1)
	signal.Notify(interrupt, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(interrupt)
	err = lab.Run(lab.Options{Halo: self, Scenarios: fs.Args(), Keep: *keep, Out: stdout, Interrupt: interrupt})
	if err != nil {
		fmt.Fprintln(stderr, "halo lab:", err)
		return 1
	}
	return 0
}
