// Command halo is a highly available layer-4 load balancer: it reads the
// haproxy.cfg and keepalived.conf people already run and does the work of
// both daemons. This package only parses flags and wires packages together.
package main

import (
	"fmt"
	"io"
	"os"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `halo — a highly available layer-4 load balancer (haproxy.cfg + keepalived.conf)

Usage:
  halo run    -f haproxy.cfg -k keepalived.conf [--socket PATH]   either file may be omitted
  halo check  -f haproxy.cfg -k keepalived.conf [--peer OTHER-keepalived.conf]
  halo status [--socket PATH] [--json]
  halo handover [--socket PATH] [--timeout D] [--resume]           move the VIPs to a peer, drain
  halo lab    [scenario ...] [--keep]                              needs root
  halo version

Run 'halo COMMAND -h' for the flags of one command.
`

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

// dispatch runs one subcommand and returns the process exit code:
// 0 success, 1 failure (bad configuration, failed run), 2 usage error.
func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "run":
		return runCmd(rest, stderr)
	case "check":
		return checkCmd(rest, stdout, stderr)
	case "status":
		return statusCmd(rest, stdout, stderr)
	case "handover":
		return handoverCmd(rest, stdout, stderr)
	case "lab":
		return labCmd(rest, stdout, stderr)
	case "version", "-v", "--version":
		fmt.Fprintf(stdout, "halo %s\n", version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "halo: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}
