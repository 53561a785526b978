package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/halo-lb/halo/internal/drill"
	"github.com/halo-lb/halo/internal/netlab"
)

// The article's timers: VRRPv2, advert_int 1 s, priorities 100 (lb1) and
// 98 (lb2); haproxy checks at the defaults inter 2 s, fall 3, rise 2.
const (
	advert   = time.Second
	skew98   = 158 * time.Second / 256 // (256 − 98) / 256 s
	downIntv = 3*advert + skew98       // lb2's master-down interval: 3.617 s
	inter    = 2 * time.Second
	fall     = 3
	rise     = 2
)

// A scenario is one row of the lab's table: a failure (or a planned
// change) on lb1 while a client probes the VIP every 10 ms.
type scenario struct {
	name   string
	text   string
	expect string // the expected outage, from the RFC formula
	run    func(l *labRun) (row, error)
}

// Scenarios are the drill's rows, in the order they run by default.
var Scenarios = []string{"handover", "kill", "cut", "preempt", "backends", "splitbrain"}

var scenarios = []*scenario{
	{name: "handover", text: "planned maintenance: `halo handover` on lb1, then lb1 reboots (SIGTERM)",
		expect: "0 (make-before-break)", run: (*labRun).handover},
	{name: "kill", text: "lb1's halo is killed (SIGKILL), no goodbye",
		expect: fmt.Sprintf("master-down %v: 2.6–3.6 s", downIntv.Round(time.Millisecond)), run: (*labRun).kill},
	{name: "cut", text: "lb1's network cable is pulled",
		expect: fmt.Sprintf("master-down %v: 2.6–3.6 s", downIntv.Round(time.Millisecond)), run: (*labRun).cut},
	{name: "preempt", text: "lb1 comes back after a reboot and takes the VIP back from lb2",
		expect: "0 (make-before-break)", run: (*labRun).preempt},
	{name: "backends", text: "lb1 can no longer reach its backends (track_backend router80)",
		expect: fmt.Sprintf("%d failed checks + skew: %v–%v", fall, backendsLow.Round(100*time.Millisecond), backendsBound.Round(100*time.Millisecond)), run: (*labRun).backends},
	{name: "splitbrain", text: "VRRP between lb1 and lb2 is blocked (both MASTER), then the link heals",
		expect: fmt.Sprintf("≤ one advert (%v) after the heal", advert), run: (*labRun).splitBrain},
}

// The backends drill: the first failing check starts up to inter after
// the cut; each of the fall checks runs into its timeout (inter, without
// `timeout check`) and the next starts inter after the last ended, as in
// HAProxy; then router80 is DOWN, lb1 enters FAULT and resigns, and lb2
// takes over after its skew time.
var (
	backendsLow   = fall*inter + (fall-1)*inter + skew98 - 300*time.Millisecond
	backendsBound = inter + fall*inter + (fall-1)*inter + skew98 + 500*time.Millisecond
)

func scenarioByName(name string) *scenario {
	if name == "reboot" { // the article's drill, as earlier labs named it
		name = "handover"
	}
	for _, s := range scenarios {
		if s.name == name {
			return s
		}
	}
	return nil
}

// row is what one scenario measured.
type row struct {
	name, expect string
	rep          drill.Report
	cut          int    // long-lived connections cut
	holder       string // who the client's ARP entry for the VIP names after it
	miss         string // why the row missed its expectation; "" = it met it
}

func (r row) failed() string {
	s := fmt.Sprintf("%d/%d probes", r.rep.Lost, r.rep.Total)
	if r.cut >= 0 {
		s += fmt.Sprintf(", %d cut", r.cut)
	}
	return s
}

func (r row) line() string {
	v := "ok"
	if r.miss != "" {
		v = "MISSED: " + r.miss
	}
	return fmt.Sprintf("outage %v, failed %s, VIP with %s: %s", r.rep.Outage.Round(time.Millisecond), r.failed(), r.holder, v)
}

func printTable(out io.Writer, rows []row) {
	f := "%-11s %-36s %-9s %-24s %-7s %s\n"
	fmt.Fprintf(out, "\n"+f, "scenario", "expected outage (RFC 5798)", "measured", "failed connections", "VIP on", "verdict")
	for _, r := range rows {
		v := "ok"
		if r.miss != "" {
			v = "MISSED"
		}
		fmt.Fprintf(out, f, r.name, r.expect, r.rep.Outage.Round(time.Millisecond).String(), r.failed(), r.holder, v)
	}
}

// labRun is the running lab the scenarios act on.
type labRun struct {
	site  *drill.Site
	nodes *[2]*drill.Node
	start func(int) (*drill.Node, error)
	vip   netip.Addr
	out   io.Writer
	halo  string
	macs  [2]string
	// lb1Up is when lb1's halo last started: its checks need time to
	// reach full health (see backends).
	lb1Up time.Time
}

// startLB1 starts lb1's halo.
func (l *labRun) startLB1() error {
	n, err := l.start(0)
	if err != nil {
		return err
	}
	l.nodes[0], l.lb1Up = n, time.Now()
	return nil
}

func (l *labRun) hosts() [2]*netlab.Host { return [2]*netlab.Host{l.site.LB1, l.site.LB2} }

func (l *labRun) socket(i int) string { return filepath.Join(l.nodes[i].Dir(), "halo.sock") }

// holder names the node the client's ARP entry for the VIP points at:
// what a client really talks to (a draining node keeps the address).
func (l *labRun) holder() string {
	out, _ := l.site.Client.Command(ctxBG(), "ip", "-j", "neigh", "show", l.vip.String()).Output()
	var ns []struct {
		LLAddr string `json:"lladdr"`
	}
	json.Unmarshal(out, &ns)
	for _, n := range ns {
		for i, m := range l.macs {
			if m != "" && strings.EqualFold(n.LLAddr, m) {
				return []string{"lb1", "lb2"}[i]
			}
		}
	}
	return "?"
}

func macOf(h *netlab.Host) string {
	out, _ := h.Command(ctxBG(), "ip", "-j", "link", "show", "eth0").Output()
	var ls []struct {
		Address string `json:"address"`
	}
	json.Unmarshal(out, &ls)
	if len(ls) == 0 {
		return ""
	}
	return ls[0].Address
}

// probe starts a client probing the VIP's port 80 and waits for it to
// get through.
func (l *labRun) probe() (*drill.Prober, error) {
	p := &drill.Prober{}
	p.Start(l.site.Client, netip.AddrPortFrom(l.vip, 80))
	deadline := time.Now().Add(5 * time.Second)
	for !p.Succeeded() {
		if time.Now().After(deadline) {
			p.Stop()
			return nil, fmt.Errorf("the client cannot reach %s:80", l.vip)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	return p, nil
}

// streams opens the long-lived connections a planned change must keep.
func (l *labRun) streams() (*drill.Streams, error) {
	return drill.OpenGreetedStreams(l.site.Client, netip.AddrPortFrom(l.vip, 8443), 5)
}

// handoverLB1 runs `halo handover` against lb1 in the background.
func (l *labRun) handoverLB1() (wait func() error) {
	var out bytes.Buffer
	cmd := exec.Command(l.halo, "handover", "--socket", l.socket(0), "--timeout", "30s")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return func() error { return err }
	}
	return func() error {
		if err := cmd.Wait(); err != nil {
			return fmt.Errorf("halo handover: %v: %s", err, strings.TrimSpace(out.String()))
		}
		fmt.Fprintf(l.out, "%s", out.String())
		return nil
	}
}

// stopLB1 stops lb1 as a reboot does and waits for it to exit.
func (l *labRun) stopLB1() error {
	l.nodes[0].Signal(syscall.SIGTERM)
	if !l.nodes[0].Wait(40 * time.Second) {
		return fmt.Errorf("lb1 did not stop within 40 s of SIGTERM")
	}
	return nil
}

// restore brings lb1 back as master, whatever the scenario left.
func (l *labRun) restore() error {
	if l.nodes[0].Exited() { // it exited: start it again
		if err := l.startLB1(); err != nil {
			return err
		}
	}
	if _, err := drill.WaitAddr(l.site.LB1, l.vip, true, 20*time.Second); err != nil {
		return err
	}
	if _, err := drill.WaitAddr(l.site.LB2, l.vip, false, 20*time.Second); err != nil {
		return err
	}
	time.Sleep(500 * time.Millisecond)
	return nil
}

func (l *labRun) handover() (row, error) {
	p, err := l.probe()
	if err != nil {
		return row{}, err
	}
	st, err := l.streams()
	if err != nil {
		p.Stop()
		return row{}, err
	}
	defer st.Close()
	at := time.Now()
	wait := l.handoverLB1()
	took, err := drill.WaitAddr(l.site.LB2, l.vip, true, 5*time.Second)
	if err != nil {
		p.Stop()
		return row{}, err
	}
	fmt.Fprintf(l.out, "lb2 holds %s after %v; lb1 serves its open connections until they end\n", l.vip, took.Round(time.Millisecond))
	time.Sleep(300 * time.Millisecond)
	cut := st.Exchange()
	st.Close()
	herr := wait()
	if err := l.stopLB1(); err != nil {
		p.Stop()
		return row{}, err
	}
	fmt.Fprintf(l.out, "lb1 stopped for its reboot\n")
	time.Sleep(500 * time.Millisecond)
	r := row{rep: drill.Analyze(p.Stop(), at), cut: cut, holder: l.holder()}
	switch {
	case herr != nil:
		r.miss = herr.Error()
	case r.rep.Lost > 0 || cut > 0:
		r.miss = "a planned handover must fail no connection"
	case r.holder != "lb2":
		r.miss = "the client does not talk to lb2"
	}
	return r, nil
}

// failover measures lb2 taking over after fault, an abrupt loss of lb1.
func (l *labRun) failover(fault func() error) (row, error) {
	p, err := l.probe()
	if err != nil {
		return row{}, err
	}
	at := time.Now()
	if err := fault(); err != nil {
		p.Stop()
		return row{}, err
	}
	took, err := drill.WaitAddr(l.site.LB2, l.vip, true, 15*time.Second)
	if err != nil {
		p.Stop()
		return row{}, err
	}
	fmt.Fprintf(l.out, "lb2 took %s after %v\n", l.vip, took.Round(time.Millisecond))
	time.Sleep(time.Second)
	r := row{rep: drill.Analyze(p.Stop(), at), cut: -1, holder: l.holder()}
	// The backup's timer runs from the last advert it heard, up to one
	// advert before the fault.
	lo, hi := downIntv-advert-100*time.Millisecond, downIntv+400*time.Millisecond
	switch {
	case r.rep.Outage < lo || r.rep.Outage > hi:
		r.miss = fmt.Sprintf("outage outside %v–%v", lo.Round(time.Millisecond), hi.Round(time.Millisecond))
	case r.holder != "lb2":
		r.miss = "the client does not talk to lb2"
	}
	return r, nil
}

func (l *labRun) kill() (row, error) {
	r, err := l.failover(func() error { l.nodes[0].Signal(syscall.SIGKILL); return nil })
	l.nodes[0].Wait(5 * time.Second)
	return r, err
}

func (l *labRun) cut() (row, error) {
	r, err := l.failover(l.site.LB1.LinkDown)
	if uerr := l.site.LB1.LinkUp(); err == nil && uerr != nil {
		err = uerr
	}
	return r, err
}

func (l *labRun) preempt() (row, error) {
	// lb1 goes away for a reboot (planned: nothing to measure here).
	if err := l.handoverLB1()(); err != nil {
		return row{}, err
	}
	if err := l.stopLB1(); err != nil {
		return row{}, err
	}
	if _, err := drill.WaitAddr(l.site.LB2, l.vip, true, 5*time.Second); err != nil {
		return row{}, err
	}
	p, err := l.probe()
	if err != nil {
		return row{}, err
	}
	st, err := l.streams() // through lb2
	if err != nil {
		p.Stop()
		return row{}, err
	}
	defer st.Close()
	at := time.Now()
	if err := l.startLB1(); err != nil {
		p.Stop()
		return row{}, err
	}
	took, err := drill.WaitAddr(l.site.LB1, l.vip, true, 10*time.Second)
	if err != nil {
		p.Stop()
		return row{}, err
	}
	fmt.Fprintf(l.out, "lb1 is back and holds %s after %v; lb2 serves its open connections until they end\n", l.vip, took.Round(time.Millisecond))
	time.Sleep(300 * time.Millisecond)
	cut := st.Exchange()
	st.Close()
	if _, err := drill.WaitAddr(l.site.LB2, l.vip, false, 10*time.Second); err != nil {
		p.Stop()
		return row{}, fmt.Errorf("lb2 kept the VIP after its connections ended: %w", err)
	}
	time.Sleep(500 * time.Millisecond)
	r := row{rep: drill.Analyze(p.Stop(), at), cut: cut, holder: l.holder()}
	switch {
	case r.rep.Lost > 0 || cut > 0:
		r.miss = "a returning master must fail no connection"
	case r.holder != "lb1":
		r.miss = "the client does not talk to lb1"
	}
	return r, nil
}

// blockBackends makes lb1 unable to reach web1 and web2 (on: true).
func (l *labRun) blockBackends(on bool) error {
	rules := "add table inet halolab_backends\ndelete table inet halolab_backends\n"
	if on {
		rules += "table inet halolab_backends {\n chain out {\n  type filter hook output priority 0; policy accept;\n  ip daddr { 192.0.2.21, 192.0.2.22 } drop\n }\n}\n"
	}
	cmd := l.site.LB1.Command(ctxBG(), "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(rules)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("nft on lb1: %v: %s", err, out)
	}
	return nil
}

func (l *labRun) backends() (row, error) {
	// A server's health climbs to rise+fall−1 passed checks before it
	// takes fall failures to go DOWN (HAProxy's counter); a fresh start
	// would go down sooner.
	if full := l.lb1Up.Add(time.Duration(rise+fall) * inter); time.Now().Before(full) {
		fmt.Fprintf(l.out, "waiting %v for lb1's checks to reach full health\n", time.Until(full).Round(100*time.Millisecond))
		time.Sleep(time.Until(full))
	}
	p, err := l.probe()
	if err != nil {
		return row{}, err
	}
	at := time.Now()
	if err := l.blockBackends(true); err != nil {
		p.Stop()
		return row{}, err
	}
	defer l.blockBackends(false)
	took, err := drill.WaitAddr(l.site.LB2, l.vip, true, 20*time.Second)
	if err != nil {
		p.Stop()
		return row{}, err
	}
	fmt.Fprintf(l.out, "lb1's checks failed, router80 went DOWN, lb1 entered FAULT; lb2 took %s after %v\n", l.vip, took.Round(time.Millisecond))
	time.Sleep(time.Second)
	r := row{rep: drill.Analyze(p.Stop(), at), cut: -1, holder: l.holder()}
	switch {
	case r.rep.Outage < backendsLow || r.rep.Outage > backendsBound:
		r.miss = fmt.Sprintf("outage outside %v–%v", backendsLow.Round(100*time.Millisecond), backendsBound.Round(100*time.Millisecond))
	case r.holder != "lb2":
		r.miss = "the client does not talk to lb2"
	}
	return r, l.blockBackends(false)
}

func (l *labRun) splitBrain() (row, error) {
	p, err := l.probe()
	if err != nil {
		return row{}, err
	}
	h := l.hosts()
	if err := l.site.Lab.BlockVRRP([2]*netlab.Host{h[0], h[1]}, [2]*netlab.Host{h[1], h[0]}); err != nil {
		p.Stop()
		return row{}, err
	}
	defer l.site.Lab.BlockVRRP()
	if _, err := drill.WaitAddr(l.site.LB2, l.vip, true, 10*time.Second); err != nil {
		p.Stop()
		return row{}, err
	}
	time.Sleep(2 * time.Second)
	// The case that hurts: a client that learnt lb2's MAC for the VIP
	// during the split (lb2's gratuitous ARP; here made certain).
	if l.holder() != "lb2" {
		l.site.Client.Command(ctxBG(), "ip", "neigh", "replace", l.vip.String(), "lladdr", l.macs[1], "dev", "eth0", "nud", "reachable").Run()
	}
	fmt.Fprintf(l.out, "both nodes are MASTER; the client talks to %s\n", l.holder())
	at := time.Now()
	if err := l.site.Lab.BlockVRRP(); err != nil {
		p.Stop()
		return row{}, err
	}
	if _, err := drill.WaitAddr(l.site.LB2, l.vip, false, 10*time.Second); err != nil {
		p.Stop()
		return row{}, err
	}
	time.Sleep(time.Second)
	r := row{rep: drill.Analyze(p.Stop(), at), cut: -1, holder: l.holder()}
	fmt.Fprintf(l.out, "healed: lb2 yielded; %d probes failed over the whole split\n", r.rep.Lost)
	switch {
	case r.rep.Outage > advert+200*time.Millisecond:
		r.miss = fmt.Sprintf("outage over one advert interval (%v)", advert)
	case r.holder != "lb1":
		r.miss = "the client does not talk to lb1"
	}
	return r, nil
}

func ctxBG() context.Context { return context.Background() }
