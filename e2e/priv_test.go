package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/netlab"
	"github.com/halo-lb/halo/internal/testutil"
)

// keptCaps is CAP_NET_BIND_SERVICE (10), CAP_NET_ADMIN (12) and CAP_NET_RAW
// (13): all the serving process may hold.
const keptCaps = 1<<10 | 1<<12 | 1<<13

// Started as root with `user nobody` / `group nogroup`, halo serves from a
// child that runs as nobody with only the three capabilities, and still
// does everything: VRRP master with its VIP, the proxy forwarding, a notify
// script run as script_user's default (nobody), and a SIGHUP that reloads a
// root-owned 0600 keepalived.conf through the privileged helper.
func TestLeastPrivilege(t *testing.T) {
	testutil.RequireRoot(t)
	bin := testutil.HaloBinary(t)
	lab := newLab(t, "halo-priv")
	h, err := lab.AddHost("lb", "192.0.2.1/24")
	if err != nil {
		t.Fatal(err)
	}
	// A directory nobody can reach (t.TempDir's parent is 0700) with a
	// subdirectory it may write the notify script's output to.
	dir, err := os.MkdirTemp("", "halo-priv-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	os.Chmod(out, 0o777)

	// The backend: a server in the namespace that greets and closes.
	var ln net.Listener
	if err := h.Do(func() (err error) { ln, err = net.Listen("tcp", "192.0.2.1:9000"); return err }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, "hello from the backend\n")
			c.Close()
		}
	}()

	hacfg := filepath.Join(dir, "haproxy.cfg")
	writeFile(t, hacfg, `global
    user nobody
    group nogroup
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 192.0.2.100:80
    default_backend be
backend be
    server s1 192.0.2.1:9000
`, 0o644)
	kacfg := filepath.Join(dir, "keepalived.conf")
	keepalived := func(vips ...string) string {
		return fmt.Sprintf(`global_defs {
    enable_script_security
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 61
    priority 150
    advert_int 1
    notify_master "/bin/sh -c 'id -u > %s/notify.uid'"
    virtual_ipaddress {
        %s
    }
}
`, out, strings.Join(vips, "\n        "))
	}
	writeFile(t, kacfg, keepalived("192.0.2.100/24"), 0o600)

	var logs strings.Builder
	cmd := h.Command(context.Background(), bin, "run", "-f", hacfg, "-k", kacfg, "--socket", filepath.Join(dir, "halo.sock"))
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("halo log:\n%s", tail(logs.String(), 40))
		}
	})

	vip := netip.MustParseAddr("192.0.2.100")
	waitAddr(t, h, vip, true)

	// The helper is the process started; the serving process is its child.
	child := childOf(t, cmd.Process.Pid)
	st := procStatus(t, child)
	for _, f := range []string{"Uid", "Gid"} {
		for _, id := range strings.Fields(st[f]) {
			if id != "65534" {
				t.Errorf("serving process %s: %q, want 65534 (nobody/nogroup) for all four", f, st[f])
				break
			}
		}
	}
	if g := strings.TrimSpace(st["Groups"]); g != "" {
		t.Errorf("serving process keeps supplementary groups %q", g)
	}
	for _, f := range []string{"CapEff", "CapPrm", "CapBnd"} {
		if v, err := strconv.ParseUint(st[f], 16, 64); err != nil || v != keptCaps {
			t.Errorf("serving process %s = %s, want %016x (NET_BIND_SERVICE, NET_ADMIN, NET_RAW)", f, st[f], keptCaps)
		}
	}
	if v, _ := strconv.ParseUint(st["CapInh"], 16, 64); v != 1<<12 {
		t.Errorf("serving process CapInh = %s, want %016x (NET_ADMIN alone, for nft)", st["CapInh"], 1<<12)
	}
	if v, _ := strconv.ParseUint(st["CapAmb"], 16, 64); v != 0 {
		t.Errorf("serving process CapAmb = %s, want 0", st["CapAmb"])
	}
	if u := procStatus(t, cmd.Process.Pid)["Uid"]; !strings.HasPrefix(u, "0") {
		t.Errorf("helper Uid %q, want root", u)
	}

	// The proxy forwards through the VIP.
	var greeting string
	err = h.Do(func() error {
		c, err := net.DialTimeout("tcp", "192.0.2.100:80", 2*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(3 * time.Second))
		b, err := io.ReadAll(c)
		greeting = string(b)
		return err
	})
	if err != nil || greeting != "hello from the backend\n" {
		t.Errorf("through the proxy: %q, %v", greeting, err)
	}

	// notify_master ran as nobody (script_user unset: the account halo
	// dropped to).
	waitFor(t, 5*time.Second, "notify_master output", func() bool {
		b, err := os.ReadFile(filepath.Join(out, "notify.uid"))
		return err == nil && strings.TrimSpace(string(b)) == "65534"
	})

	// SIGHUP to the process systemd knows (the helper): the root-only
	// keepalived.conf is re-read for the child, and the new VIP appears.
	writeFile(t, kacfg, keepalived("192.0.2.100/24", "192.0.2.101/24"), 0o600)
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitAddr(t, h, netip.MustParseAddr("192.0.2.101"), true)
	if !strings.Contains(logs.String(), "reload done") {
		t.Errorf("no \"reload done\" in the log")
	}
}

// enable_script_security refuses a world-writable script that would run as
// root: `halo check` reports it at the vrrp_script's line and `halo run`
// refuses to start with the same line. Needs no root: nothing opens.
func TestScriptSecurityRefuses(t *testing.T) {
	bin := testutil.HaloBinary(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "chk.sh")
	writeFile(t, script, "#!/bin/sh\nexit 0\n", 0o777)
	kacfg := filepath.Join(dir, "keepalived.conf")
	writeFile(t, kacfg, `global_defs {
    script_user root
    enable_script_security
}
vrrp_script chk {
    script "`+script+`"
}
`, 0o600)
	want := kacfg + ":5: error: vrrp_script chk: script refused by enable_script_security (it would run as root): "
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	for _, args := range [][]string{
		{"check", "-k", kacfg},
		{"run", "-k", kacfg, "--socket", ""},
	} {
		b, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Errorf("halo %s: %v, want exit 1\n%s", args[0], err, b)
		}
		if !strings.Contains(string(b), want) {
			t.Errorf("halo %s output:\n%s\nwant a line starting %q", args[0], b, want)
		}
	}
}

func writeFile(t *testing.T, path, text string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // WriteFile keeps an old file's mode and applies umask
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitAddr waits until addr is (or is not) on the host's eth0.
func waitAddr(t *testing.T, h *netlab.Host, addr netip.Addr, present bool) {
	t.Helper()
	waitFor(t, 10*time.Second, fmt.Sprintf("%s on eth0 = %t", addr, present), func() bool {
		ps, err := h.Addrs("eth0")
		if err != nil {
			return false
		}
		return slices.ContainsFunc(ps, func(p netip.Prefix) bool { return p.Addr() == addr }) == present
	})
}

// childOf waits for pid's one child process (any of its threads may have
// started it) and returns it.
func childOf(t *testing.T, pid int) int {
	t.Helper()
	var child int
	waitFor(t, 5*time.Second, fmt.Sprintf("a child of pid %d", pid), func() bool {
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
		for _, f := range tasks {
			b, _ := os.ReadFile(f)
			for _, w := range strings.Fields(string(b)) {
				if n, err := strconv.Atoi(w); err == nil {
					child = n
					return true
				}
			}
		}
		return false
	})
	return child
}

// procStatus reads /proc/PID/status into key -> value.
func procStatus(t *testing.T, pid int) map[string]string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}
