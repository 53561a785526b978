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
	"syscall"
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

// Scenarios are the failures the drill can inject on the master, in the
// order they run by default.
var Scenarios = []string{"reboot", "kill", "cut"}

var scenarioText = map[string]string{
	"reboot": "the article's drill: the master is stopped for a reboot (SIGTERM)",
	"kill":   "the master's halo is killed (SIGKILL), no goodbye",
	"cut":    "the master's network cable is pulled",
}

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
		if scenarioText[s] == "" {
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
	fmt.Fprintf(out, "  the article's VIP %s is %s here, its interface %s is %s\n\n", seedVIP, labVIP, seedIface, labIface)

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

	var results []result
	for _, sc := range o.Scenarios {
		r, err := drillOnce(site, &nodes, start, sc, vip, out)
		if err != nil {
			return fmt.Errorf("scenario %s: %w", sc, err)
		}
		results = append(results, r)
	}
	fmt.Fprintf(out, "\n%-8s %-12s %-14s %s\n", "drill", "outage", "lost probes", "RFC 5798 expectation")
	for _, r := range results {
		fmt.Fprintf(out, "%-8s %-12v %-14s %s\n", r.name, r.rep.Outage.Round(time.Millisecond), fmt.Sprintf("%d/%d", r.rep.Lost, r.rep.Total), r.expect)
	}
	if o.Keep {
		fmt.Fprintf(out, "\n--keep: namespaces stay up (ip netns list); remove them with 'halo lab --cleanup' after stopping this process's children\n")
	}
	return nil
}

type result struct {
	name   string
	rep    drill.Report
	expect string
}

// drillOnce injects one failure on lb1, waits for lb2 to serve the VIP,
// then brings lb1 back and waits for it to preempt.
func drillOnce(site *drill.Site, nodes *[2]*drill.Node, start func(int) (*drill.Node, error), sc string, vip netip.Addr, out io.Writer) (result, error) {
	fmt.Fprintf(out, "\n== %s: %s\n", sc, scenarioText[sc])
	p := &drill.Prober{}
	p.Start(site.Client, netip.AddrPortFrom(vip, 80))
	deadline := time.Now().Add(5 * time.Second)
	for !p.Succeeded() {
		if time.Now().After(deadline) {
			p.Stop()
			return result{}, fmt.Errorf("the client cannot reach %s:80", vip)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	at := time.Now()
	var err error
	// The backup's timer runs from the last advert it heard, up to one
	// advert interval before the fault.
	expect := "master-down interval 3×1 s + (256−98)/256 s = 3.617 s after the last advert: 2.6–3.6 s after the fault"
	switch sc {
	case "reboot":
		nodes[0].Signal(syscall.SIGTERM)
		expect = "RFC: skew time (256−98)/256 s = 0.617 s; halo serves until the backup has taken over"
	case "kill":
		nodes[0].Signal(syscall.SIGKILL)
	case "cut":
		err = site.LB1.LinkDown()
	}
	if err != nil {
		p.Stop()
		return result{}, err
	}
	took, err := drill.WaitAddr(site.LB2, vip, true, 15*time.Second)
	if err != nil {
		p.Stop()
		return result{}, err
	}
	fmt.Fprintf(out, "lb2 took %s after %v\n", labVIP, took.Round(time.Millisecond))
	time.Sleep(time.Second)
	rep := drill.Analyze(p.Stop(), at)
	fmt.Fprintf(out, "client: %v\n", rep)

	// lb1 comes back and, with the higher priority, takes the VIP back.
	if sc == "cut" {
		err = site.LB1.LinkUp()
	} else {
		nodes[0].Wait(5 * time.Second)
		nodes[0], err = start(0)
	}
	if err != nil {
		return result{}, err
	}
	back, err := drill.WaitAddr(site.LB1, vip, true, 15*time.Second)
	if err != nil {
		return result{}, err
	}
	if _, err := drill.WaitAddr(site.LB2, vip, false, 5*time.Second); err != nil {
		return result{}, err
	}
	fmt.Fprintf(out, "lb1 back: it preempted and holds %s again after %v\n", labVIP, back.Round(time.Millisecond))
	return result{name: sc, rep: rep, expect: expect}, nil
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
	for _, w := range []struct {
		h    *netlab.Host
		port int
	}{{site.Web1, 8443}, {site.Web2, 80}} {
		r, err := drill.Respond(w.h, w.port)
		if err != nil {
			return err
		}
		site.Adopt(r)
	}
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
		c.keepalived[i] = strings.ReplaceAll(s, seedIface, labIface)
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
