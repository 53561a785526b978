package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/netlab"
	"github.com/halo-lb/halo/internal/testutil"
)

// The IPv6 BGP site: the same shape as the IPv4 one, in 2001:db8::/32
// only. Two halo nodes announce 2001:db8:100::100/128 over IPv6 sessions
// (MP-BGP, AFI 2) to FRR, which must install both as ECMP next hops.
//
//	client 2001:db8:1::10 ─┐                     ┌─ up0 2001:db8:2:1::2  n1
//	srv    2001:db8:1::50 ─┴─ br ─ 2001:db8:1::1 r ┤
//	                                             └─ up0 2001:db8:2:2::2  n2
const (
	bgp6VIP   = "2001:db8:100::100"
	bgp6Route = "2001:db8:100::100/128"
)

func TestBGPIPv6AnnounceAndWithdraw(t *testing.T) {
	lab := newLab(t, "halo-bgp6-")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	r, err := lab.AddHost("r", "2001:db8:1::1/64")
	must(err)
	client, err := lab.AddHost("client", "2001:db8:1::10/64")
	must(err)
	srv, err := lab.AddHost("srv", "2001:db8:1::50/64")
	must(err)
	gw := netip.MustParseAddr("2001:db8:1::1")
	must(client.AddRoute("default", gw))
	must(srv.AddRoute("default", gw))
	must(r.Sysctl("net.ipv6.conf.all.forwarding", "1"))
	must(r.Sysctl("net.ipv6.fib_multipath_hash_policy", "1"))

	var nodes []*netlab.Host
	var addrs, gws []string
	for i := range 2 {
		n, err := lab.AddHost(fmt.Sprintf("n%d", i+1))
		must(err)
		rAddr, nAddr := fmt.Sprintf("2001:db8:2:%d::1", i+1), fmt.Sprintf("2001:db8:2:%d::2", i+1)
		must(lab.Link(r, fmt.Sprintf("to-n%d", i+1), []string{rAddr + "/64"}, n, "up0", []string{nAddr + "/64"}))
		must(n.AddRoute("default", netip.MustParseAddr(rAddr)))
		nodes, addrs, gws = append(nodes, n), append(addrs, nAddr), append(gws, rAddr)
	}

	var conf strings.Builder
	conf.WriteString("router bgp 64500\n bgp router-id 198.51.100.1\n no bgp ebgp-requires-policy\n no bgp network import-check\n no bgp default ipv4-unicast\n")
	for _, a := range addrs {
		fmt.Fprintf(&conf, " neighbor %s remote-as 64512\n neighbor %s timers 1 3\n neighbor %s timers connect 1\n", a, a, a)
	}
	conf.WriteString(" address-family ipv6 unicast\n  maximum-paths 8\n")
	for _, a := range addrs {
		fmt.Fprintf(&conf, "  neighbor %s activate\n", a)
	}
	conf.WriteString(" exit-address-family\n")
	router := startFRR(t, r, conf.String())

	// The backend: greets with the halo node that connected, then echoes.
	var ln net.Listener
	must(srv.Do(func() (err error) {
		ln, err = net.Listen("tcp", "[2001:db8:1::50]:9000")
		return err
	}))
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				host, _, _ := net.SplitHostPort(c.RemoteAddr().String())
				fmt.Fprintf(c, "from=%s\n", host)
				io.Copy(c, c)
			}()
		}
	}()

	const haproxy = `defaults
    mode tcp
    timeout connect 2s
    timeout client 1m
    timeout server 1m
frontend web6
    bind [2001:db8:100::100]:80
    default_backend servers
backend servers
    server s1 [2001:db8:1::50]:9000 check inter 1s
`
	site := &bgpSite{dir: t.TempDir(), bin: testutil.HaloBinary(t), nodes: nodes, addrs: addrs, gws: gws}
	var halos []*bgpNode
	for i := range nodes {
		// chk_busy is nearly always running, so the SIGTERM below, sent to
		// the node's process group, reaches it too: its death must not
		// read as a failed check and turn the graceful stop into a withdraw.
		ka := fmt.Sprintf(`vrrp_script chk_busy {
    script "/bin/sleep 0.3"
    interval 0.1
    timeout 2
}
bgp_speaker {
    router_id 198.51.100.%d
    local_as 64512
    graceful_shutdown_delay 1
    neighbor %s {
        remote_as 64500
        hold_time 3
        connect_retry 1
        local_address %s
    }
}
bgp_announce WEB6 {
    prefix %s
    track_backend { servers }
    track_script { chk_busy }
}
`, 201+i, gws[i], addrs[i], bgp6Route)
		halos = append(halos, site.startWith(t, i, ka, haproxy))
	}

	took := router.waitNexthops(t, bgp6Route, 2, 30*time.Second)
	t.Logf("two IPv6 ECMP next hops %v in the router's kernel table %v after the start", router.nexthops(bgp6Route), took.Round(time.Millisecond))
	st := halos[0].showBGP(t)
	if len(st.Neighbors) != 1 || st.Neighbors[0].State != "established" || st.Neighbors[0].Advertised != 1 ||
		len(st.Announced) != 1 || st.Announced[0] != bgp6Route {
		t.Fatalf("show bgp on n1: %+v", st)
	}

	// A client reaches the VIP through the router, over both nodes.
	seen := map[string]int{}
	for range 40 {
		var c net.Conn
		err := client.Do(func() (err error) {
			c, err = net.DialTimeout("tcp", "["+bgp6VIP+"]:80", 2*time.Second)
			return err
		})
		if err != nil {
			t.Fatalf("connecting to the IPv6 VIP: %v", err)
		}
		c.SetDeadline(time.Now().Add(3 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if err != nil {
			t.Fatalf("no greeting through the IPv6 VIP: %v", err)
		}
		seen[strings.TrimSpace(strings.TrimPrefix(line, "from="))]++
	}
	t.Logf("40 connections to [%s]:80 reached the backend from %v", bgp6VIP, seen)
	for _, a := range addrs {
		if seen[a] == 0 {
			t.Errorf("no connection went through %s (the router hashes on ports): %v", a, seen)
		}
	}

	// SIGKILL: the session closes and the route goes at once.
	start := time.Now()
	halos[1].Signal(syscall.SIGKILL)
	router.waitNexthops(t, bgp6Route, 1, 5*time.Second)
	took = time.Since(start)
	t.Logf("SIGKILL of n2: IPv6 route withdrawn in %v", took.Round(time.Millisecond))
	if took > 1500*time.Millisecond {
		t.Errorf("SIGKILL: withdrawn after %v, want at once", took)
	}

	// SIGTERM: GRACEFUL_SHUTDOWN first, the withdraw after the delay (1 s).
	// A stop sent to the whole process group reaches the running chk_busy
	// too, and the script may die first: make that order certain by
	// signalling the script 100 ms before halo.
	if n := signalChildren(t, halos[0].Pid(), "sleep", syscall.SIGTERM); n == 0 {
		t.Fatal("chk_busy is not running under n1")
	}
	time.Sleep(100 * time.Millisecond)
	start = time.Now()
	halos[0].Signal(syscall.SIGTERM)
	gshut := time.Duration(0)
	for len(router.nexthops(bgp6Route)) > 0 {
		for _, p := range router.bgpPaths(bgp6Route) {
			if gshut == 0 && strings.Contains(p.Community.String, "graceful-shutdown") {
				gshut = time.Since(start)
			}
		}
		if time.Since(start) > 8*time.Second {
			t.Fatalf("SIGTERM: the IPv6 route is still via %v", router.nexthops(bgp6Route))
		}
		time.Sleep(20 * time.Millisecond)
	}
	took = time.Since(start)
	t.Logf("SIGTERM of n1: GRACEFUL_SHUTDOWN seen after %v, IPv6 route withdrawn after %v (delay 1 s)", gshut.Round(time.Millisecond), took.Round(time.Millisecond))
	if gshut == 0 || took < 900*time.Millisecond {
		t.Errorf("SIGTERM: graceful shutdown seen after %v, withdrawn after %v; want the community first, the withdraw after the 1 s delay", gshut, took)
	}
}

// signalChildren sends sig to the children of pid whose command is comm,
// waiting up to 2 s for one to exist, and returns how many it signalled.
func signalChildren(t *testing.T, pid int, comm string, sig syscall.Signal) int {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
		n := 0
		for _, f := range tasks {
			b, _ := os.ReadFile(f)
			for _, field := range strings.Fields(string(b)) {
				child, err := strconv.Atoi(field)
				if err != nil {
					continue
				}
				if c, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", child)); strings.TrimSpace(string(c)) == comm {
					if syscall.Kill(child, sig) == nil {
						n++
					}
				}
			}
		}
		if n > 0 {
			return n
		}
	}
	return 0
}
