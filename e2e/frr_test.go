package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/netlab"
	"github.com/halo-lb/halo/internal/testutil"
)

// frrRouter is Debian's FRR (zebra + bgpd) running in a lab host: the
// upstream router of the BGP tests.
type frrRouter struct {
	host *netlab.Host
	dir  string // configuration, pid files, sockets and logs; reachable by the frr user
}

// startFRR writes bgpdConf (and a minimal zebra.conf) and starts zebra and
// bgpd in h. The lab's Close kills them with every process of h.
func startFRR(t *testing.T, h *netlab.Host, bgpdConf string) *frrRouter {
	t.Helper()
	for _, d := range []string{"zebra", "bgpd"} {
		if _, err := os.Stat("/usr/lib/frr/" + d); err != nil {
			testutil.RequireTool(t, "/usr/lib/frr/"+d) // skips, or fails under HALO_REQUIRE_ROOT
		}
	}
	testutil.RequireTool(t, "vtysh")
	frr, err := user.Lookup("frr")
	if err != nil {
		t.Fatalf("FRR is installed but there is no frr user: %v", err)
	}
	uid, _ := strconv.Atoi(frr.Uid)
	gid, _ := strconv.Atoi(frr.Gid)
	dir, err := os.MkdirTemp("", "halo-frr-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	r := &frrRouter{host: h, dir: dir}
	files := map[string]string{
		"zebra.conf":  "hostname " + h.Name + "\nlog file " + filepath.Join(dir, "zebra.log") + "\n",
		"bgpd.conf":   "log file " + filepath.Join(dir, "bgpd.log") + "\n" + bgpdConf,
		"vtysh.conf":  "",
		"daemons.log": "",
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range append([]string{dir}, filepath.Join(dir, "zebra.conf"), filepath.Join(dir, "bgpd.conf"),
		filepath.Join(dir, "vtysh.conf"), filepath.Join(dir, "daemons.log")) {
		if err := os.Chown(p, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(dir, 0o770)
	zserv := filepath.Join(dir, "zserv.api")
	for _, d := range []string{"zebra", "bgpd"} {
		args := []string{"-d", "-u", "frr", "-g", "frr", "-f", filepath.Join(dir, d+".conf"),
			"-i", filepath.Join(dir, d+".pid"), "-z", zserv, "--vty_socket", dir}
		if d == "bgpd" {
			args = append(args, "-p", "179")
		}
		out, err := h.Command(context.Background(), "/usr/lib/frr/"+d, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("starting %s: %v: %s\n%s", d, err, out, r.logs())
		}
		if d == "zebra" {
			r.waitFile(t, zserv)
		}
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("FRR logs:\n%s", tail(r.logs(), 60))
		}
	})
	return r
}

func (r *frrRouter) waitFile(t *testing.T, p string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(p); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("FRR: %s did not appear\n%s", p, r.logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (r *frrRouter) logs() string {
	var b strings.Builder
	for _, f := range []string{"zebra.log", "bgpd.log"} {
		data, _ := os.ReadFile(filepath.Join(r.dir, f))
		fmt.Fprintf(&b, "--- %s\n%s", f, data)
	}
	return b.String()
}

// vtysh runs one command against the router's daemons.
func (r *frrRouter) vtysh(cmd string) (string, error) {
	out, err := r.host.Command(context.Background(), "vtysh", "--vty_socket", r.dir, "-c", cmd).CombinedOutput()
	return string(out), err
}

// nexthops returns the gateways of the kernel's route to dst in the
// router (what zebra installed from BGP); none when there is no route.
func (r *frrRouter) nexthops(dst string) []string {
	family := "-4"
	if strings.Contains(dst, ":") {
		family = "-6"
	}
	out, err := exec.Command("ip", "-n", r.host.Namespace, family, "route", "show", dst).Output()
	if err != nil {
		return nil
	}
	var gws []string
	words := strings.Fields(string(out))
	for i, w := range words {
		if w == "via" && i+1 < len(words) {
			gws = append(gws, words[i+1])
		}
	}
	return gws
}

// waitNexthops waits until the route to dst has exactly n next hops and
// returns how long it took.
func (r *frrRouter) waitNexthops(t *testing.T, dst string, n int, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		got := r.nexthops(dst)
		if len(got) == n {
			return time.Since(start)
		}
		if time.Since(start) > timeout {
			bgp, _ := r.vtysh("show bgp summary")
			t.Fatalf("route %s: %d next hops %v after %v, want %d\n%s", dst, len(got), got, timeout, n, bgp)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// bgpPaths returns the paths bgpd holds for prefix (whether best or not),
// with their communities as FRR prints them.
func (r *frrRouter) bgpPaths(prefix string) []frrPath {
	family := "ipv4"
	if strings.Contains(prefix, ":") {
		family = "ipv6"
	}
	out, err := r.vtysh("show bgp " + family + " unicast " + prefix + " json")
	if err != nil {
		return nil
	}
	var v struct {
		Paths []frrPath `json:"paths"`
	}
	if json.Unmarshal([]byte(out), &v) != nil {
		return nil
	}
	return v.Paths
}

type frrPath struct {
	Community struct {
		String string `json:"string"`
	} `json:"community"`
	Peer struct {
		PeerID string `json:"peerId"`
	} `json:"peer"`
}
