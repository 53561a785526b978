// Command failover measures VIP failover the way the seed article does — a
// client probing the VIP every 10 ms while the master fails — for halo and
// for keepalived+haproxy with the same configuration, in the same network
// namespaces, in one run, and prints halo ÷ keepalived. It also measures
// halo's idle CPU with many VRRP instances. Run it through bench/failover.sh.
package main

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/halo-lb/halo/internal/drill"
)

func main() {
	halo := flag.String("halo", "", "path to the halo binary")
	rounds := flag.Int("rounds", 3, "repetitions of each scenario")
	idle := flag.Int("idle-instances", 100, "VRRP instances for the idle-CPU measurement (0 = skip)")
	flag.Parse()
	if *halo == "" {
		fmt.Fprintln(os.Stderr, "failover: -halo is required")
		os.Exit(2)
	}
	if err := run(*halo, *rounds, *idle); err != nil {
		fmt.Fprintln(os.Stderr, "failover:", err)
		os.Exit(1)
	}
}

type setting struct {
	name string
	pair drill.Pair
}

var settings = []setting{
	{"v2 advert 1s", drill.Pair{Version: 2, Advert: time.Second, AuthPass: "1cee4b6e-2cdc-48bf-83b2-01a96d1593e4"}},
	{"v3 advert 0.1s", drill.Pair{Version: 3, Advert: 100 * time.Millisecond}},
}

var faults = []string{"link cut", "SIGKILL", "SIGTERM"}

func run(haloBin string, rounds, idle int) error {
	const front, web = 80, 8080
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "setting\tfault\tRFC interval\thalo outage\tkeepalived outage\thalo÷keepalived\thalo lost probes\tkeepalived lost probes")
	for _, st := range settings {
		rfc := masterDown(st.pair.Version, st.pair.Advert, 98)
		for _, fault := range faults {
			var res [2][]drill.Report
			for r := 0; r < rounds; r++ {
				for k, kind := range []drill.Kind{drill.Halo, drill.Keepalived} {
					// A round whose setup failed (a node slow to start) is run
					// again once; a second failure stops the benchmark.
					rep, err := once(haloBin, kind, st.pair, fault, front, web)
					if err != nil {
						fmt.Fprintf(os.Stderr, "  retrying %s %s %s: %v\n", st.name, fault, kind, err)
						rep, err = once(haloBin, kind, st.pair, fault, front, web)
					}
					if err != nil {
						return fmt.Errorf("%s %s %s: %w", st.name, fault, kind, err)
					}
					res[k] = append(res[k], rep)
				}
			}
			h, k := median(res[0]), median(res[1])
			fmt.Fprintf(tw, "%s\t%s\t%v\t%v\t%v\t%.2f\t%d\t%d\n", st.name, fault, rfc.Round(time.Millisecond),
				h.Outage.Round(time.Millisecond), k.Outage.Round(time.Millisecond),
				float64(h.Outage)/float64(k.Outage), h.Lost, k.Lost)
			fmt.Fprintf(os.Stderr, "  done: %s, %s\n", st.name, fault)
		}
	}
	tw.Flush()
	fmt.Println("\noutage: the longest gap between two successful probes (every 10 ms, TCP through the proxy on the VIP) after the fault; median of the rounds")
	if idle > 0 {
		cpu, err := idleCPU(haloBin, idle)
		if err != nil {
			return fmt.Errorf("idle CPU: %w", err)
		}
		fmt.Printf("\nidle CPU, halo with %d VRRPv3 instances at advert 0.1 s (master): %.2f%% of one core\n", idle, cpu)
	}
	return nil
}

// once builds a fresh site, runs kind on both nodes, injects fault on the
// master and returns what the client saw.
func once(haloBin string, kind drill.Kind, pair drill.Pair, fault string, front, web int) (drill.Report, error) {
	s, err := drill.NewSite("halo-bench")
	if err != nil {
		return drill.Report{}, err
	}
	defer s.Close()
	if err := s.StartWebServers(web); err != nil {
		return drill.Report{}, err
	}
	var nodes [2]*drill.Node
	for i, h := range []*netlabHost{s.LB1, s.LB2} {
		n, err := s.Start(h, drill.NodeSpec{Kind: kind, HaloBinary: haloBin, Keepalived: pair.Keepalived(i), HAProxy: drill.HAProxy(front, web)})
		if err != nil {
			return drill.Report{}, err
		}
		defer n.Stop(3 * time.Second)
		nodes[i] = n
	}
	vip := drill.VIP4
	if _, err := drill.WaitAddr(s.LB1, vip, true, 10*time.Second); err != nil {
		return drill.Report{}, fmt.Errorf("%w\n%s", err, nodes[0].Logs())
	}
	p := &drill.Prober{Every: 10 * time.Millisecond, Timeout: 200 * time.Millisecond}
	p.Start(s.Client, netip.AddrPortFrom(vip, uint16(front)))
	deadline := time.Now().Add(5 * time.Second)
	for !p.Succeeded() {
		if time.Now().After(deadline) {
			p.Stop()
			return drill.Report{}, fmt.Errorf("client never reached the VIP")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	at := time.Now()
	switch fault {
	case "link cut":
		err = s.LB1.LinkDown()
	case "SIGKILL":
		nodes[0].Signal(syscall.SIGKILL)
	case "SIGTERM":
		nodes[0].Signal(syscall.SIGTERM)
	}
	if err != nil {
		p.Stop()
		return drill.Report{}, err
	}
	if _, err := drill.WaitAddr(s.LB2, vip, true, 15*time.Second); err != nil {
		p.Stop()
		return drill.Report{}, fmt.Errorf("%w\n%s", err, nodes[1].Logs())
	}
	// Let the client reconnect and settle.
	time.Sleep(time.Second)
	rep := drill.Analyze(p.Stop(), at)
	if !rep.Settled {
		return rep, fmt.Errorf("client never reached the VIP after the fault (%v)", rep)
	}
	return rep, nil
}

func median(rs []drill.Report) drill.Report {
	for i := range rs {
		for j := i + 1; j < len(rs); j++ {
			if rs[j].Outage < rs[i].Outage {
				rs[i], rs[j] = rs[j], rs[i]
			}
		}
	}
	return rs[len(rs)/2]
}

func masterDown(version int, advert time.Duration, prio int) time.Duration {
	skew := time.Duration(256-prio) * time.Second / 256
	if version == 3 {
		skew = time.Duration(256-prio) * advert / 256
	}
	return 3*advert + skew
}

// idleCPU runs one halo master with n VRRPv3 instances at advert 0.1 s and
// returns its CPU use over 10 s as a percentage of one core.
func idleCPU(haloBin string, n int) (float64, error) {
	s, err := drill.NewSite("halo-idle")
	if err != nil {
		return 0, err
	}
	defer s.Close()
	var b strings.Builder
	b.WriteString("global_defs {\n  vrrp_version 3\n}\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "vrrp_instance VI_%d {\n  interface eth0\n  state MASTER\n  virtual_router_id %d\n  priority 100\n  advert_int 0.1\n  virtual_ipaddress {\n    198.51.100.%d/32\n  }\n}\n", i, i, i%250+1)
	}
	node, err := s.Start(s.LB1, drill.NodeSpec{Kind: drill.Halo, HaloBinary: haloBin, Keepalived: b.String()})
	if err != nil {
		return 0, err
	}
	defer node.Stop(3 * time.Second)
	time.Sleep(3 * time.Second) // elections settle
	pid := node.Pid()
	t0, err := cpuTicks(pid)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	time.Sleep(10 * time.Second)
	t1, err := cpuTicks(pid)
	if err != nil {
		return 0, err
	}
	const hz = 100 // USER_HZ
	return float64(t1-t0) / hz / time.Since(start).Seconds() * 100, nil
}

func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the parenthesised command name; utime and stime are 14 and 15.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	var u, s int64
	fmt.Sscan(f[11], &u)
	fmt.Sscan(f[12], &s)
	return u + s, nil
}
