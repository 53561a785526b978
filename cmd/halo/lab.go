package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/halo-lb/halo/internal/netlab"
)

// labCmd will build the seed's two-node setup in network namespaces and run
// its failure drill. For now it only removes namespaces left by crashed runs.
func labCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lab", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cleanup := fs.Bool("cleanup", false, "remove namespaces left behind by earlier runs whose process is gone")
	fs.Bool("keep", false, "keep the namespaces after the run")
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
	fmt.Fprintln(stderr, "halo lab: the scenario runner is not implemented yet; the network tests (go test ./test/...) run the same drills")
	return 1
}
