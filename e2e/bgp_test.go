package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/ctl"
	"github.com/halo-lb/halo/internal/drill"
	"github.com/halo-lb/halo/internal/netlab"
	"github.com/halo-lb/halo/internal/stats"
	"github.com/halo-lb/halo/internal/testutil"
)

// The BGP site: a router running FRR, three halo nodes each on its own
// point-to-point segment toward it, and one segment behind the router with
// the client and the backend servers.
//
//	client 198.51.100.10-19 ─┐                      ┌─ up0 198.51.100.66  n1
//	srv    198.51.100.50-52 ─┴─ br ─ 198.51.100.1 r ─┼─ up0 198.51.100.82  n2
//	                                                 └─ up0 198.51.100.98  n3
//
// Every node announces 192.0.2.100/32 (on its lo) to AS 64500 from AS 64512.
const (
	bgpVIP      = "192.0.2.100"
	bgpVIPRoute = "192.0.2.100/32"
	bgpBackend  = 9000
	bgpClients  = 10
)

type bgpSite struct {
	lab    *netlab.Lab
	router *frrRouter
	client *netlab.Host
	srv    *netlab.Host
	nodes  []*netlab.Host
	addrs  []string // node i's address on its segment
	gws    []string // the router's address on node i's segment
	dir    string   // per-node files (the track_script's flag files)
	bin    string
	site   *drill.Site // only its Start: fresh files per start
}

func newBGPSite(t *testing.T, nodes int) *bgpSite {
	t.Helper()
	lab := newLab(t, "halo-bgp")
	s := &bgpSite{lab: lab, dir: t.TempDir(), bin: testutil.HaloBinary(t)}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	r, err := lab.AddHost("r", "198.51.100.1/26")
	must(err)
	var caddrs []string
	for i := range bgpClients {
		caddrs = append(caddrs, fmt.Sprintf("198.51.100.%d/26", 10+i))
	}
	s.client, err = lab.AddHost("client", caddrs...)
	must(err)
	s.srv, err = lab.AddHost("srv", "198.51.100.50/26", "198.51.100.51/26", "198.51.100.52/26")
	must(err)
	gw := netip.MustParseAddr("198.51.100.1")
	must(s.client.AddRoute("default", gw))
	must(s.srv.AddRoute("default", gw))
	for _, k := range []string{"net.ipv4.ip_forward", "net.ipv4.fib_multipath_hash_policy"} {
		must(r.Sysctl(k, "1"))
	}
	for _, k := range []string{"net.ipv4.conf.all.rp_filter", "net.ipv4.conf.default.rp_filter"} {
		must(r.Sysctl(k, "0"))
	}
	for i := range nodes {
		n, err := lab.AddHost(fmt.Sprintf("n%d", i+1))
		must(err)
		base := 64 + 16*i
		rAddr, nAddr := fmt.Sprintf("198.51.100.%d", base+1), fmt.Sprintf("198.51.100.%d", base+2)
		must(lab.Link(r, fmt.Sprintf("to-n%d", i+1), []string{rAddr + "/28"}, n, "up0", []string{nAddr + "/28"}))
		must(n.AddRoute("default", netip.MustParseAddr(rAddr)))
		s.nodes, s.addrs, s.gws = append(s.nodes, n), append(s.addrs, nAddr), append(s.gws, rAddr)
	}
	s.router = startFRR(t, r, s.bgpdConf())
	s.startBackends(t)
	return s
}

// bgpdConf is the router: eBGP with each node, ECMP over up to 8 paths,
// timers short enough for a test (keepalive 1 s, hold 3 s, reconnect 1 s).
func (s *bgpSite) bgpdConf() string {
	var b strings.Builder
	b.WriteString("router bgp 64500\n bgp router-id 198.51.100.1\n no bgp ebgp-requires-policy\n no bgp network import-check\n")
	for _, a := range s.addrs {
		fmt.Fprintf(&b, " neighbor %s remote-as 64512\n neighbor %s timers 1 3\n neighbor %s timers connect 1\n", a, a, a)
	}
	b.WriteString(" address-family ipv4 unicast\n  maximum-paths 8\n exit-address-family\n")
	return b.String()
}

// startBackends serves on 198.51.100.50-52:9000 in srv: each connection
// gets "srv=ADDR from=PEER\n" (PEER is the halo node that connected),
// then an echo.
func (s *bgpSite) startBackends(t *testing.T) {
	t.Helper()
	var lns []net.Listener
	for i := range 3 {
		err := s.srv.Do(func() error {
			ln, err := net.Listen("tcp", fmt.Sprintf("198.51.100.%d:%d", 50+i, bgpBackend))
			lns = append(lns, ln)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	open := map[net.Conn]bool{}
	for _, ln := range lns {
		wg.Go(func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				open[c] = true
				mu.Unlock()
				wg.Go(func() {
					host, _, _ := net.SplitHostPort(c.RemoteAddr().String())
					local, _, _ := net.SplitHostPort(c.LocalAddr().String())
					fmt.Fprintf(c, "srv=%s from=%s\n", local, host)
					io.Copy(c, c)
					c.Close()
					mu.Lock()
					delete(open, c)
					mu.Unlock()
				})
			}
		})
	}
	t.Cleanup(func() {
		for _, ln := range lns {
			ln.Close()
		}
		mu.Lock()
		for c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
}

var bgpHAProxy = haproxyFor(bgpVIP)

func haproxyFor(vip string) string {
	return strings.ReplaceAll(bgpHAProxyTemplate, "VIP", vip)
}

const bgpHAProxyTemplate = `global
    maxconn 4000
defaults
    mode tcp
    timeout connect 2s
    timeout client 2m
    timeout server 2m
frontend web
    bind VIP:80
    default_backend servers
backend servers
    balance source
    server s1 198.51.100.50:9000 check inter 1s
    server s2 198.51.100.51:9000 check inter 1s
    server s3 198.51.100.52:9000 check inter 1s
`

// keepalived is node i's keepalived.conf: announce the VIP while the
// backend has a server up and the node's flag file is absent.
func (s *bgpSite) keepalived(i int) string {
	return fmt.Sprintf(`vrrp_script chk_local {
    script "/usr/bin/test ! -e %s"
    interval 0.2
}
bgp_speaker {
    router_id %s
    local_as 64512
    graceful_shutdown_delay 2
    neighbor %s {
        remote_as 64500
        hold_time 3
        connect_retry 1
        local_address %s
    }
}
bgp_announce WEB {
    prefix %s
    track_backend { servers }
    track_script { chk_local }
}
`, s.flag(i), s.addrs[i], s.gws[i], s.addrs[i], bgpVIPRoute)
}

func (s *bgpSite) flag(i int) string { return filepath.Join(s.dir, fmt.Sprintf("n%d-down", i+1)) }

type bgpNode struct {
	*drill.Node
	sock string
}

func (s *bgpSite) start(t *testing.T, i int, keepalived string) *bgpNode {
	t.Helper()
	return s.startWith(t, i, keepalived, bgpHAProxy)
}

func (s *bgpSite) startWith(t *testing.T, i int, keepalived, haproxy string) *bgpNode {
	t.Helper()
	if s.site == nil {
		s.site = &drill.Site{Dir: s.dir}
	}
	n, err := s.site.Start(s.nodes[i], drill.NodeSpec{Kind: drill.Halo, HaloBinary: s.bin, HAProxy: haproxy, Keepalived: keepalived})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		n.Stop(5 * time.Second)
		if t.Failed() || os.Getenv("HALO_E2E_LOGS") == "1" {
			t.Logf("logs of %s:\n%s", s.nodes[i].Name, tail(n.Logs(), 40))
		}
	})
	return &bgpNode{Node: n, sock: filepath.Join(n.Dir(), "halo.sock")}
}

// showBGP asks a node's control socket for `show bgp json`.
func (n *bgpNode) showBGP(t *testing.T) stats.BGP {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	out, err := ctl.Query(ctx, n.sock, "show bgp json")
	if err != nil {
		t.Fatalf("show bgp json: %v", err)
	}
	var v struct{ BGP stats.BGP }
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("show bgp json: %v\n%s", err, out)
	}
	return v.BGP
}

// conn is one client connection through the VIP.
type bgpConn struct {
	c         net.Conn
	r         *bufio.Reader
	src       string // the client address
	srv, node string // the backend server and the halo node that carried it
}

// dial opens n connections to the VIP, cycling over the client's
// addresses (each gets its own source port).
func (s *bgpSite) dial(t *testing.T, n int) []*bgpConn {
	t.Helper()
	return s.dialTo(t, bgpVIP, n)
}

func (s *bgpSite) dialTo(t *testing.T, vip string, n int) []*bgpConn {
	t.Helper()
	var out []*bgpConn
	for i := range n {
		src := fmt.Sprintf("198.51.100.%d", 10+i%bgpClients)
		var c net.Conn
		err := s.client.Do(func() error {
			d := net.Dialer{Timeout: 2 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
			var err error
			c, err = d.Dial("tcp", vip+":80")
			return err
		})
		if err != nil {
			closeAll(out)
			t.Fatalf("connection %d from %s: %v", i, src, err)
		}
		bc := &bgpConn{c: c, r: bufio.NewReader(c), src: src}
		c.SetDeadline(time.Now().Add(3 * time.Second))
		line, err := bc.r.ReadString('\n')
		if err != nil {
			closeAll(append(out, bc))
			t.Fatalf("connection %d from %s: no greeting: %v", i, src, err)
		}
		for _, f := range strings.Fields(line) {
			if v, ok := strings.CutPrefix(f, "srv="); ok {
				bc.srv = v
			}
			if v, ok := strings.CutPrefix(f, "from="); ok {
				bc.node = v
			}
		}
		out = append(out, bc)
	}
	return out
}

// alive sends a line on c and reads it back.
func (c *bgpConn) alive() bool {
	if c.c == nil {
		return false
	}
	c.c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(c.c, "ping\n"); err != nil {
		return false
	}
	got, err := c.r.ReadString('\n')
	return err == nil && got == "ping\n"
}

func closeAll(cs []*bgpConn) {
	for _, c := range cs {
		if c.c != nil {
			c.c.Close()
		}
	}
}

// survivorsCut counts, among the connections that went through a node
// other than gone, those that no longer work.
func survivorsCut(cs []*bgpConn, gone string) (cut, of int) {
	for _, c := range cs {
		if c.node == gone {
			continue
		}
		of++
		if !c.alive() {
			cut++
		}
	}
	return cut, of
}

func TestBGPActiveActiveECMP(t *testing.T) {
	s := newBGPSite(t, 3)
	var nodes []*bgpNode
	for i := range 3 {
		nodes = append(nodes, s.start(t, i, s.keepalived(i)))
	}
	r := s.router
	took := r.waitNexthops(t, bgpVIPRoute, 3, 30*time.Second)
	t.Logf("three ECMP next hops %v in the router's kernel table %v after the start", r.nexthops(bgpVIPRoute), took.Round(time.Millisecond))

	st := nodes[0].showBGP(t)
	if len(st.Neighbors) != 1 || st.Neighbors[0].State != "established" || st.Neighbors[0].Advertised != 1 ||
		len(st.Announced) != 1 || st.Announced[0] != bgpVIPRoute || len(st.Owners) != 1 || !st.Owners[0].Announce {
		t.Fatalf("show bgp on n1: %+v", st)
	}

	// Spread and affinity.
	const total = 300
	conns := s.dial(t, total)
	defer func() { closeAll(conns) }()
	perNode := map[string]int{}
	bySrc := map[string]map[string]bool{}
	for _, c := range conns {
		perNode[c.node]++
		if bySrc[c.src] == nil {
			bySrc[c.src] = map[string]bool{}
		}
		bySrc[c.src][c.srv] = true
	}
	t.Logf("spread of %d connections: %v", total, perNode)
	for _, a := range s.addrs {
		share := float64(perNode[a]) / total
		if share < 0.20 || share > 0.45 {
			t.Errorf("node %s served %.0f%% of the connections, want 20-45%%", a, 100*share)
		}
	}
	for src, srvs := range bySrc {
		if len(srvs) != 1 {
			t.Errorf("client %s reached %d servers through different nodes (balance source must agree): %v", src, len(srvs), srvs)
		}
	}

	measure := func(what, gone string) {
		t.Helper()
		cut, of := survivorsCut(conns, gone)
		t.Logf("%s: %d of %d connections through the surviving nodes cut by the router's rehash (next hops now %v)", what, cut, of, r.nexthops(bgpVIPRoute))
		closeAll(conns)
		conns = nil
	}
	redial := func() {
		t.Helper()
		closeAll(conns)
		conns = s.dial(t, total)
	}
	t.Logf("next hop order in the router: %v", r.nexthops(bgpVIPRoute))

	// A tracked failure withdraws; recovery announces again (on n1).
	if err := os.WriteFile(s.flag(0), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	took = r.waitNexthops(t, bgpVIPRoute, 2, 5*time.Second)
	t.Logf("track_script failure on n1: withdrawn from the router's table in %v", took.Round(time.Millisecond))
	if st := nodes[0].showBGP(t); len(st.Announced) != 0 || st.Owners[0].Announce || !strings.Contains(st.Owners[0].Reason, "chk_local") {
		t.Errorf("show bgp on n1 after the failure: %+v", st)
	}
	measure("n1 withdrawn (track failure)", s.addrs[0])
	os.Remove(s.flag(0))
	r.waitNexthops(t, bgpVIPRoute, 3, 5*time.Second)
	redial()

	// SIGKILL: the session closes, the router withdraws at once.
	start := time.Now()
	nodes[2].Signal(syscall.SIGKILL)
	r.waitNexthops(t, bgpVIPRoute, 2, 5*time.Second)
	took = time.Since(start)
	t.Logf("SIGKILL of n3: withdrawn in %v", took.Round(time.Millisecond))
	if took > 1500*time.Millisecond {
		t.Errorf("SIGKILL: withdrawn after %v, want at once (the session closes)", took)
	}
	measure("n3 killed", s.addrs[2])
	nodes[2].Wait(3 * time.Second)
	nodes[2] = s.start(t, 2, s.keepalived(2))
	r.waitNexthops(t, bgpVIPRoute, 3, 20*time.Second)

	// A cut link (every packet of n3 dropped, carrier up): the hold time.
	start = time.Now()
	if err := s.lab.Drop(s.nodes[2], 100); err != nil {
		t.Fatal(err)
	}
	r.waitNexthops(t, bgpVIPRoute, 2, 8*time.Second)
	took = time.Since(start)
	t.Logf("link of n3 cut: withdrawn in %v (hold time 3 s)", took.Round(time.Millisecond))
	if took > 4500*time.Millisecond || took < 1500*time.Millisecond {
		t.Errorf("cut link: withdrawn after %v, want within the 3 s hold time (and not at once)", took)
	}
	if err := s.lab.Drop(s.nodes[2], 0); err != nil {
		t.Fatal(err)
	}
	r.waitNexthops(t, bgpVIPRoute, 3, 20*time.Second)

	// A hung process (SIGSTOP): the hold time too.
	start = time.Now()
	nodes[2].Signal(syscall.SIGSTOP)
	r.waitNexthops(t, bgpVIPRoute, 2, 8*time.Second)
	took = time.Since(start)
	t.Logf("n3 stopped (SIGSTOP): withdrawn in %v", took.Round(time.Millisecond))
	if took > 4500*time.Millisecond || took < 1500*time.Millisecond {
		t.Errorf("SIGSTOP: withdrawn after %v, want within the 3 s hold time", took)
	}
	nodes[2].Signal(syscall.SIGCONT)
	r.waitNexthops(t, bgpVIPRoute, 3, 20*time.Second)
	redial()

	// SIGTERM: GRACEFUL_SHUTDOWN first (FRR lowers the path's preference,
	// so traffic leaves n3 while the route is still there), the withdraw
	// graceful_shutdown_delay later.
	start = time.Now()
	nodes[2].Signal(syscall.SIGTERM)
	var sawGshut, moved, withdrawn time.Duration
	for time.Since(start) < 8*time.Second && withdrawn == 0 {
		paths := r.bgpPaths(bgpVIPRoute)
		fromN3 := false
		for _, p := range paths {
			if p.Peer.PeerID == s.addrs[2] {
				fromN3 = true
				if sawGshut == 0 && strings.Contains(p.Community.String, "graceful-shutdown") {
					sawGshut = time.Since(start)
				}
			}
		}
		if moved == 0 && len(r.nexthops(bgpVIPRoute)) == 2 {
			moved = time.Since(start)
		}
		if !fromN3 && len(paths) > 0 {
			withdrawn = time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("SIGTERM of n3: GRACEFUL_SHUTDOWN seen after %v, n3 out of the kernel's next hops after %v, route withdrawn after %v (graceful_shutdown_delay 2 s)",
		sawGshut.Round(time.Millisecond), moved.Round(time.Millisecond), withdrawn.Round(time.Millisecond))
	switch {
	case sawGshut == 0:
		t.Error("SIGTERM: the router never saw the GRACEFUL_SHUTDOWN community")
	case moved == 0 || moved > withdrawn:
		t.Errorf("SIGTERM: traffic left n3 after %v, not before the withdraw (%v)", moved, withdrawn)
	case withdrawn < 1800*time.Millisecond:
		t.Errorf("SIGTERM: withdrawn after %v, before graceful_shutdown_delay", withdrawn)
	}
	if !nodes[2].Wait(10 * time.Second) {
		t.Error("SIGTERM: n3 did not exit")
	} else if codes := nodes[2].ExitCodes(); len(codes) == 0 || codes[0] != 0 {
		t.Errorf("SIGTERM: exit codes %v", codes)
	}
	measure("n3 stopped (SIGTERM)", s.addrs[2])

	// n1 restarts first: the rehashes above left it sessions whose FIN went
	// to another node, and a handover drains until the node is idle.
	nodes[0].Signal(syscall.SIGTERM)
	nodes[0].Wait(10 * time.Second)
	nodes[0] = s.start(t, 0, s.keepalived(0))
	r.waitNexthops(t, bgpVIPRoute, 2, 20*time.Second)

	// halo handover on n1: graceful withdraw, drain, exit 0 when idle;
	// --resume announces again.
	start = time.Now()
	out, err := s.nodes[0].Command(context.Background(), s.bin, "handover", "--socket", nodes[0].sock, "--timeout", "20s").CombinedOutput()
	if err != nil {
		t.Fatalf("halo handover on n1: %v\n%s", err, out)
	}
	t.Logf("halo handover on n1 took %v:\n%s", time.Since(start).Round(time.Millisecond), strings.TrimSpace(string(out)))
	if got := r.nexthops(bgpVIPRoute); len(got) != 1 || got[0] != s.addrs[1] {
		t.Errorf("after the handover of n1 (n3 stopped) the router routes via %v, want only n2 %s", got, s.addrs[1])
	}
	if st := nodes[0].showBGP(t); !st.Maintenance || len(st.Announced) != 0 {
		t.Errorf("show bgp on n1 after the handover: %+v", st)
	}
	out, err = s.nodes[0].Command(context.Background(), s.bin, "handover", "--socket", nodes[0].sock, "--resume").CombinedOutput()
	if err != nil {
		t.Fatalf("halo handover --resume: %v\n%s", err, out)
	}
	r.waitNexthops(t, bgpVIPRoute, 2, 5*time.Second)
}

// routedKeepalived is node i of a VRRP pair whose nodes sit in different
// subnets: VRRP over unicast through the router, the master announcing
// the VIP by BGP (bgp_announce_vips).
func (s *bgpSite) routedKeepalived(i int, vip string) string {
	state, prio := "MASTER", 150
	if i == 1 {
		state, prio = "BACKUP", 100
	}
	return fmt.Sprintf(`bgp_speaker {
    router_id %[1]s
    local_as 64512
    graceful_shutdown_delay 1
    neighbor %[2]s {
        remote_as 64500
        hold_time 3
        connect_retry 1
        local_address %[1]s
    }
}
vrrp_instance ROUTED {
    state %[3]s
    interface up0
    virtual_router_id 51
    priority %[4]d
    advert_int 1
    unicast_src_ip %[1]s
    unicast_peer {
        %[5]s
    }
    virtual_ipaddress {
        %[6]s/32
    }
    track_backend {
        servers
    }
    bgp_announce_vips
}
`, s.addrs[i], s.gws[i], state, prio, s.addrs[1-i], vip)
}

func TestBGPRoutedFailover(t *testing.T) {
	s := newBGPSite(t, 2)
	const vip = "192.0.2.200"
	route := vip + "/32"
	n1 := s.startWith(t, 0, s.routedKeepalived(0, vip), haproxyFor(vip))
	n2 := s.startWith(t, 1, s.routedKeepalived(1, vip), haproxyFor(vip))
	_ = n2
	r := s.router
	r.waitNexthops(t, route, 1, 30*time.Second)
	time.Sleep(3 * time.Second) // n2 has settled as BACKUP: it must not announce
	if got := r.nexthops(route); len(got) != 1 || got[0] != s.addrs[0] {
		t.Fatalf("with n1 MASTER the router routes %s via %v, want only n1 %s", route, got, s.addrs[0])
	}
	if st := n2.showBGP(t); len(st.Announced) != 0 || len(st.Owners) != 1 || st.Owners[0].Reason != "not MASTER" {
		t.Errorf("show bgp on the BACKUP: %+v", st)
	}
	// A client reaches the VIP through the router.
	conns := s.dialTo(t, vip, 3)
	closeAll(conns)
	if conns[0].node != s.addrs[0] {
		t.Errorf("the client reached the VIP through %s, want n1", conns[0].node)
	}

	start := time.Now()
	n1.Signal(syscall.SIGKILL)
	limit := masterDown(2, time.Second, 100) + time.Second
	for {
		got := r.nexthops(route)
		if len(got) == 1 && got[0] == s.addrs[1] {
			break
		}
		if time.Since(start) > limit+5*time.Second {
			t.Fatalf("after killing the master the route is via %v, want n2", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	took := time.Since(start)
	t.Logf("routed failover: the router's route moved to n2 %v after the master was killed (master-down interval %v)", took.Round(time.Millisecond), masterDown(2, time.Second, 100))
	if took > limit {
		t.Errorf("routed failover took %v, want within the master-down interval plus one BGP update (%v)", took, limit)
	}
	conns = s.dialTo(t, vip, 3)
	closeAll(conns)
	if conns[0].node != s.addrs[1] {
		t.Errorf("after the failover the client reached the VIP through %s, want n2", conns[0].node)
	}
}

// TestECMPRehashWithResilientGroup measures what the router's next-hop
// group does to the surviving nodes' connections when one node leaves,
// with a Linux resilient group instead of FRR's hash-threshold one (FRR 8.4
// installs BGP routes only in hash-threshold groups, so the group is made
// by hand and consulted first through a policy rule).
func TestECMPRehashWithResilientGroup(t *testing.T) {
	s := newBGPSite(t, 3)
	for i := range 3 {
		s.start(t, i, s.keepalived(i))
	}
	s.router.waitNexthops(t, bgpVIPRoute, 3, 30*time.Second)
	ns := s.router.host.Namespace
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", append([]string{"-n", ns}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v: %s", args, err, out)
		}
	}
	for i, a := range s.addrs {
		ip("nexthop", "add", "id", fmt.Sprint(101+i), "via", a, "dev", fmt.Sprintf("to-n%d", i+1))
	}
	ip("nexthop", "add", "id", "100", "group", "101/102/103", "type", "resilient", "buckets", "128")
	ip("route", "add", bgpVIPRoute, "nhid", "100", "table", "100")
	ip("rule", "add", "to", bgpVIPRoute, "lookup", "100", "pref", "100")

	conns := s.dial(t, 300)
	defer func() { closeAll(conns) }()
	per := map[string]int{}
	for _, c := range conns {
		per[c.node]++
	}
	ip("nexthop", "replace", "id", "100", "group", "101/102", "type", "resilient", "buckets", "128")
	cut, of := survivorsCut(conns, s.addrs[2])
	t.Logf("resilient group (spread %v), n3 removed: %d of %d connections through the surviving nodes cut", per, cut, of)
	if cut != 0 {
		t.Errorf("a resilient group cut %d of %d survivors' connections, want 0", cut, of)
	}
}
