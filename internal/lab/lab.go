package lab

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/halo-lb/halo/internal/drill"
	"github.com/halo-lb/halo/internal/netlab"
)

// The article's files, as in examples/seed (a test keeps them equal).
//
//go:embed seed/*
var seedFiles embed.FS

// The article's addresses are not ours to use; the lab maps them into the
// documentation range and its interface name onto the lab's.
const (
	seedVIP   = "10.19.114.231"
	labVIP    = "192.0.2.231"
	seedIface = "ens192"
	labIface  = "eth0"
)

// Options for Run.
type Options struct {
	Halo      string   // the halo binary to run on the nodes
	Scenarios []string // default: all
	Keep      bool     // leave the namespaces and processes running at the end
	Out       io.Writer
	// Interrupt, when it delivers, tears the lab down at once (Ctrl-C in
	// the middle of a drill leaves nothing behind); Run then fails.
	Interrupt <-chan os.Signal
}

// Run builds the lab, runs the drill and tears everything down (unless
// Keep). It returns an error if a scenario did not end with the backup
// serving the VIP.
func Run(o Options) (err error) {
	out := o.Out
	if len(o.Scenarios) == 0 {
		o.Scenarios = Scenarios
	}
	for _, s := range o.Scenarios {
		if scenarioByName(s) == nil {
			return fmt.Errorf("unknown scenario %q (have: %s)", s, strings.Join(Scenarios, ", "))
		}
	}
	site, err := drill.NewSite("halo-lab")
	if err != nil {
		return fmt.Errorf("building the lab (needs root): %w", err)
	}
	if !o.Keep {
		defer site.Close()
	}
	var interrupted atomic.Bool
	defer func() {
		if interrupted.Load() {
			err = errors.New("interrupted; the lab is removed")
		}
	}()
	if o.Interrupt != nil {
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			select {
			case sig := <-o.Interrupt:
				fmt.Fprintf(out, "\n%v: removing the lab\n", sig)
				interrupted.Store(true)
				site.Close()
			case <-stop:
			}
		}()
	}
	vip := netip.MustParseAddr(labVIP)
	fmt.Fprintf(out, "halo lab: the seed article's setup in network namespaces (%s-*)\n", "halo-lab")
	fmt.Fprintf(out, "  lb1 192.0.2.11, lb2 192.0.2.12   load balancers running halo (haproxy-1 and haproxy-0 in the article)\n")
	fmt.Fprintf(out, "  web1 192.0.2.21                  master-0.example.com, answers on 8443\n")
	fmt.Fprintf(out, "  web2 192.0.2.22                  infra-0.example.com, answers on 80\n")
	fmt.Fprintf(out, "  client 192.0.2.50                probes the VIP every 10 ms\n")
	fmt.Fprintf(out, "  the article's VIP %s is %s here, its interface %s is %s\n", seedVIP, labVIP, seedIface, labIface)
	fmt.Fprintf(out, "  the lab adds halo's track_backend { router80 weight 0 } to both instances (the article checks only that a process exists)\n\n")

	if err := prepare(site); err != nil {
		return err
	}
	cfg, err := configs(site.Dir)
	if err != nil {
		return err
	}
	start := func(i int) (*drill.Node, error) {
		h := []*netlab.Host{site.LB1, site.LB2}[i]
		n, err := site.Start(h, drill.NodeSpec{Kind: drill.Halo, HaloBinary: o.Halo, HAProxy: cfg.haproxy, Keepalived: cfg.keepalived[i]})
		if err != nil {
			return nil, err
		}
		return n, nil
	}
	nodes := [2]*drill.Node{}
	for i := range nodes {
		if nodes[i], err = start(i); err != nil {
			return err
		}
	}
	defer func() {
		if err != nil && !interrupted.Load() {
			for _, n := range nodes {
				if n != nil {
					fmt.Fprintf(out, "\n%s", tail(n.Logs(), 25))
				}
			}
		}
		// Closing the site kills the nodes: a clean stop of the last master
		// would wait for a backup that is not there.
	}()
	d, err := drill.WaitAddr(site.LB1, vip, true, 10*time.Second)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "lb1 is MASTER and holds %s (%v after start); lb2 is BACKUP\n", labVIP, d.Round(time.Millisecond))

	l := &labRun{site: site, nodes: &nodes, start: start, vip: vip, out: out, halo: o.Halo, lb1Up: time.Now()}
	for i, h := range []*netlab.Host{site.LB1, site.LB2} {
		l.macs[i] = macOf(h)
	}
	var rows []row
	for _, name := range o.Scenarios {
		sc := scenarioByName(name)
		fmt.Fprintf(out, "\n== %s: %s\n", sc.name, sc.text)
		r, err := sc.run(l)
		if err != nil {
			return fmt.Errorf("scenario %s: %w", sc.name, err)
		}
		r.name, r.expect = sc.name, sc.expect
		rows = append(rows, r)
		fmt.Fprintf(out, "%s\n", r.line())
		if err := l.restore(); err != nil {
			return fmt.Errorf("after scenario %s, restoring lb1 as master: %w", sc.name, err)
		}
	}
	printTable(out, rows)
	if o.Keep {
		fmt.Fprintf(out, "\n--keep: namespaces stay up (ip netns list); remove them with 'halo lab --cleanup' after stopping this process's children\n")
	}
	var missed []string
	for _, r := range rows {
		if r.miss != "" {
			missed = append(missed, r.name+": "+r.miss)
		}
	}
	if len(missed) > 0 {
		return fmt.Errorf("%d scenario(s) missed their expectation: %s", len(missed), strings.Join(missed, "; "))
	}
	return nil
}

// prepare starts the article's servers and lets the nodes resolve their
// names (ip netns exec mounts /etc/netns/NS/hosts over /etc/hosts).
func prepare(site *drill.Site) error {
	hosts := "127.0.0.1 localhost\n192.0.2.21 master-0.example.com\n192.0.2.22 infra-0.example.com\n"
	for _, h := range []*netlab.Host{site.LB1, site.LB2} {
		if err := site.SetHostsFile(h, hosts); err != nil {
			return err
		}
	}
	// web1 answers 8443 with its name, then echoes: the probes read the
	// name, the long-lived connections of the handover drills go on.
	e, err := drill.GreetEcho(site.Web1, 8443)
	if err != nil {
		return err
	}
	site.AdoptEcho(e)
	r, err := drill.Respond(site.Web2, 80)
	if err != nil {
		return err
	}
	site.Adopt(r)
	return nil
}

type labConfigs struct {
	haproxy    string
	keepalived [2]string
}

func configs(dir string) (labConfigs, error) {
	var c labConfigs
	ha, err := seedFiles.ReadFile("seed/haproxy.cfg")
	if err != nil {
		return c, err
	}
	c.haproxy = string(ha)
	for i, name := range []string{"keepalived-master.conf", "keepalived-backup.conf"} {
		b, err := seedFiles.ReadFile("seed/" + name)
		if err != nil {
			return c, err
		}
		s := strings.ReplaceAll(string(b), seedVIP, labVIP)
		s = strings.ReplaceAll(s, seedIface, labIface)
		c.keepalived[i] = addTrackBackend(s)
		os.WriteFile(filepath.Join(dir, name), []byte(c.keepalived[i]), 0o644)
	}
	return c, nil
}

func tail(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n") + "\n"
}

// trackBackend is what the lab adds to the article's instance: halo's
// track_backend, the real-health replacement for its `killall -0 haproxy`
// check, which the "backends" drill exercises.
const trackBackend = "    track_backend {\n        router80 weight 0\n    }\n"

// addTrackBackend puts trackBackend in the vrrp_instance block, before
// its closing brace (the last one of the file).
func addTrackBackend(conf string) string {
	i := strings.LastIndex(conf, "}")
	if i < 0 {
		return conf
	}
	return conf[:i] + trackBackend + conf[i:]
}
