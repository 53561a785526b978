package e2e

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/drill"
)

// A vrrp_script with a negative weight lowers the master's priority below
// the backup's, which preempts; weight 0 puts the master in FAULT; the
// notify scripts see every transition with keepalived's arguments.
func TestTrackingMovesTheVIP(t *testing.T) {
	s := newSite(t)
	// Both nodes share this machine's files: each checks its own flag.
	flag := filepath.Join(s.Dir, "maintenance-lb1")
	events := filepath.Join(s.Dir, "events")
	script := func(node string) string {
		return fmt.Sprintf("vrrp_script chk {\n  script \"test ! -e %s\"\n  interval 1\n  weight -10\n  fall 1\n  rise 1\n}\n\n", filepath.Join(s.Dir, "maintenance-"+node))
	}
	notifier := filepath.Join(s.Dir, "notify.sh")
	if err := os.WriteFile(notifier, []byte("#!/bin/sh\necho \"$@\" >> "+events+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	notify := fmt.Sprintf("  track_script {\n    chk\n  }\n  notify %s\n", notifier)
	pair := drill.Pair{Version: 3, Advert: 100 * time.Millisecond, TopLevelOf: [2]string{script("lb1"), script("lb2")}, Instance: notify}
	lb1 := haloNode(t, s, 0, pair)
	haloNode(t, s, 1, pair)
	vip := drill.VIP4
	waitHolder(t, s, vip, s.LB1, 5*time.Second)

	// 100 - 10 = 90 < 98: lb2 preempts.
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitHolder(t, s, vip, s.LB2, 4*time.Second)
	// Script good again: 100 > 98, lb1 preempts back.
	os.Remove(flag)
	waitHolder(t, s, vip, s.LB1, 4*time.Second)

	lb1.Stop(5 * time.Second)
	waitHolder(t, s, vip, s.LB2, 3*time.Second)
	log := readEvents(t, events)
	for _, want := range []string{"INSTANCE OCP_EXT MASTER 100", "INSTANCE OCP_EXT BACKUP 90", "INSTANCE OCP_EXT STOP"} {
		if !strings.Contains(log, want) {
			t.Errorf("notify log lacks %q:\n%s", want, log)
		}
	}
}

func TestTrackScriptWeightZeroIsFault(t *testing.T) {
	s := newSite(t)
	flag := filepath.Join(s.Dir, "broken-lb1")
	script := func(node string) string {
		return fmt.Sprintf("vrrp_script chk {\n  script \"test ! -e %s\"\n  interval 1\n  weight 0\n}\n\n", filepath.Join(s.Dir, "broken-"+node))
	}
	pair := drill.Pair{
		Version: 3, Advert: 100 * time.Millisecond,
		TopLevelOf: [2]string{script("lb1"), script("lb2")},
		Instance:   "  track_script {\n    chk\n  }\n",
	}
	haloNode(t, s, 0, pair)
	haloNode(t, s, 1, pair)
	vip := drill.VIP4
	waitHolder(t, s, vip, s.LB1, 5*time.Second)
	os.WriteFile(flag, nil, 0o644)
	waitHolder(t, s, vip, s.LB2, 4*time.Second)
	os.Remove(flag)
	waitHolder(t, s, vip, s.LB1, 4*time.Second)
}

// With nopreempt, a higher-priority node that comes up later leaves the
// running master alone.
func TestNoPreemptKeepsTheRunningMaster(t *testing.T) {
	s := newSite(t)
	pair := drill.Pair{Version: 3, Advert: 100 * time.Millisecond, NoPreempt: true}
	haloNode(t, s, 1, pair) // lb2, priority 98, alone: becomes master
	vip := drill.VIP4
	waitHolder(t, s, vip, s.LB2, 5*time.Second)
	haloNode(t, s, 0, pair) // lb1, priority 100
	stayHolder(t, s, vip, s.LB2, 2*time.Second)
}

// A node that starts while a VIP it would own is on its interface (left by
// a crash) removes it, since another node is master.
func TestStartupRemovesStaleVIPs(t *testing.T) {
	s := newSite(t)
	pair := drill.Pair{Version: 3, Advert: 100 * time.Millisecond}
	haloNode(t, s, 0, pair)
	vip := drill.VIP4
	waitHolder(t, s, vip, s.LB1, 5*time.Second)
	out, err := s.LB2.Command(t.Context(), "ip", "addr", "add", vip.String()+"/32", "dev", "eth0").CombinedOutput()
	if err != nil {
		t.Fatalf("adding a stale VIP: %v: %s", err, out)
	}
	haloNode(t, s, 1, pair)
	waitHolder(t, s, vip, s.LB1, 3*time.Second)
}

// IPv6 VIPs use VRRPv3 to ff02::12 and are usable at once (no DAD).
func TestIPv6Failover(t *testing.T) {
	s := newSite(t)
	vip := drill.VIP6
	pair := drill.Pair{Version: 3, Advert: 100 * time.Millisecond, VIPs: []netip.Addr{vip}}
	if err := s.StartWebServers(webPort); err != nil {
		t.Fatal(err)
	}
	lb1 := haloNode(t, s, 0, pair)
	haloNode(t, s, 1, pair)
	waitHolder(t, s, vip, s.LB1, 5*time.Second)
	p := probe(t, s, vip)
	lb1.Stop(5 * time.Second)
	waitHolder(t, s, vip, s.LB2, 3*time.Second)
	time.Sleep(300 * time.Millisecond)
	r := drill.Analyze(p.stop(), time.Time{})
	t.Logf("IPv6 clean handover: %v", r)
	if r.After == "" {
		t.Errorf("the client never reached the IPv6 VIP after the handover: %v", r)
	}
}

func readEvents(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		if strings.Contains(string(b), "STOP") || time.Now().After(deadline) {
			return string(b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// track_backend, halo's replacement for the seed's `killall -0 haproxy`:
// a node whose backend has no server UP goes to FAULT and the VIP moves to
// the node that can still serve.
func TestTrackBackendMovesTheVIPToTheNodeThatCanServe(t *testing.T) {
	s := newSite(t)
	if err := s.StartWebServers(webPort); err != nil {
		t.Fatal(err)
	}
	pair := drill.Pair{Version: 3, Advert: 100 * time.Millisecond, Instance: "  track_backend {\n    web\n  }\n"}
	// lb1's servers listen on a port where nothing answers.
	startNode(t, s, 0, drill.NodeSpec{Kind: drill.Halo, Keepalived: pair.Keepalived(0), HAProxy: drill.HAProxy(frontPort, webPort+1)})
	startNode(t, s, 1, drill.NodeSpec{Kind: drill.Halo, Keepalived: pair.Keepalived(1), HAProxy: drill.HAProxy(frontPort, webPort)})
	vip := drill.VIP4
	// Checks run every 200 ms with fall 2: lb1 sees its backend DOWN within
	// about half a second and hands the VIP to lb2.
	waitHolder(t, s, vip, s.LB2, 5*time.Second)
	stayHolder(t, s, vip, s.LB2, time.Second)
	p := probe(t, s, vip)
	r := drill.Analyze(p.stop(), time.Time{})
	if r.After != "web1" && r.After != "web2" {
		t.Errorf("the client was not served through lb2: %v", r)
	}
}
