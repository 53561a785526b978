// Command statsdemo renders stats.DemoSnapshot in one of halo's status
// views, for the screenshot script and the documentation. It needs no
// running halo.
//
//	go run ./internal/stats/cmd/statsdemo -format html > page.html
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/halo-lb/halo/internal/stats"
)

func main() {
	format := flag.String("format", "html", "html, csv, typed, status, json or metrics")
	at := flag.String("time", "2026-12-02T10:00:00Z", "the snapshot's time (RFC 3339)")
	flag.Parse()
	if err := run(*format, *at); err != nil {
		fmt.Fprintln(os.Stderr, "statsdemo:", err)
		os.Exit(1)
	}
}

func run(format, at string) error {
	now, err := time.Parse(time.RFC3339, at)
	if err != nil {
		return fmt.Errorf("-time: %w", err)
	}
	s := stats.DemoSnapshot(now)
	w := bufio.NewWriter(os.Stdout)
	switch format {
	case "html":
		err = stats.WriteHTML(w, s, stats.HTMLOptions{URI: "/stats"})
	case "csv":
		err = stats.WriteStatCSV(w, s, stats.AllStats)
	case "typed":
		err = stats.WriteStatTyped(w, s, stats.AllStats)
	case "status":
		err = stats.WriteStatus(w, s)
	case "json":
		err = stats.WriteStatusJSON(w, s)
	case "metrics":
		err = stats.WriteMetrics(w, s)
	default:
		return fmt.Errorf("-format %q: want html, csv, typed, status, json or metrics", format)
	}
	if err != nil {
		return err
	}
	return w.Flush()
}
