package netlab_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/netlab"
	"github.com/halo-lb/halo/internal/testutil"
)

// newLab builds a lab closed in t.Cleanup, also when the test fails.
func newLab(t *testing.T, prefix string) *netlab.Lab {
	t.Helper()
	testutil.RequireRoot(t)
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("ip(8) is not installed")
	}
	if err := netlab.CleanupStale(prefix); err != nil {
		t.Fatalf("CleanupStale: %v", err)
	}
	l, err := netlab.New(prefix)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return l
}

func addHost(t *testing.T, l *netlab.Lab, name string, addrs ...string) *netlab.Host {
	t.Helper()
	h, err := l.AddHost(name, addrs...)
	if err != nil {
		t.Fatalf("AddHost(%q): %v", name, err)
	}
	return h
}

// echoServer listens on addr:port inside h and echoes one message per
// connection. The listener is closed in t.Cleanup, which ends the goroutine.
func echoServer(t *testing.T, h *netlab.Host, addr string) string {
	t.Helper()
	var ln net.Listener
	err := h.Do(func() (err error) {
		ln, err = net.Listen("tcp", net.JoinHostPort(addr, "0"))
		return err
	})
	if err != nil {
		t.Fatalf("listen in %s: %v", h.Name, err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(5 * time.Second))
			io.Copy(c, c)
			c.Close()
		}
	}()
	return ln.Addr().String()
}

// exchange dials target from inside h, sends a line and reads it back.
func exchange(h *netlab.Host, target string, timeout time.Duration) error {
	var c net.Conn
	err := h.Do(func() (err error) {
		c, err = net.DialTimeout("tcp", target, timeout)
		return err
	})
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write([]byte("hello\n")); err != nil {
		return err
	}
	c.(*net.TCPConn).CloseWrite()
	got, err := io.ReadAll(c)
	if err != nil {
		return err
	}
	if string(got) != "hello\n" {
		return fmt.Errorf("echo returned %q", got)
	}
	return nil
}

// udpExchange sends one datagram from b to a over addr and waits for it.
func udpExchange(t *testing.T, a, b *netlab.Host, addr string) {
	t.Helper()
	var srv net.PacketConn
	if err := a.Do(func() (err error) { srv, err = net.ListenPacket("udp", net.JoinHostPort(addr, "0")); return err }); err != nil {
		t.Fatalf("listen udp in %s: %v", a.Name, err)
	}
	defer srv.Close()
	var cli net.Conn
	if err := b.Do(func() (err error) { cli, err = net.Dial("udp", srv.LocalAddr().String()); return err }); err != nil {
		t.Fatalf("dial udp from %s: %v", b.Name, err)
	}
	defer cli.Close()
	if _, err := cli.Write([]byte("ping")); err != nil {
		t.Fatalf("udp write: %v", err)
	}
	srv.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 16)
	n, _, err := srv.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "ping" {
		t.Fatalf("udp read in %s: %q, %v", a.Name, buf[:n], err)
	}
}

func TestTwoHostsReachEachOther(t *testing.T) {
	l := newLab(t, "halotest-reach")
	a := addHost(t, l, "a", "192.0.2.11/24", "2001:db8::11/64")
	b := addHost(t, l, "b", "192.0.2.12/24", "2001:db8::12/64")
	for _, tc := range []struct{ name, addrA, addrB string }{
		{"over IPv4", "192.0.2.11", "192.0.2.12"},
		{"over IPv6", "2001:db8::11", "2001:db8::12"},
	} {
		t.Run("b reaches a by TCP "+tc.name, func(t *testing.T) {
			if err := exchange(b, echoServer(t, a, tc.addrA), 3*time.Second); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("a reaches b by TCP "+tc.name, func(t *testing.T) {
			if err := exchange(a, echoServer(t, b, tc.addrB), 3*time.Second); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("a receives UDP from b "+tc.name, func(t *testing.T) {
			udpExchange(t, a, b, tc.addrA)
		})
	}
}

func TestHostHasItsAddressesAndNoDAD(t *testing.T) {
	l := newLab(t, "halotest-addrs")
	h := addHost(t, l, "a", "192.0.2.11/24", "2001:db8::11/64")
	got, err := h.Addrs("eth0")
	if err != nil {
		t.Fatal(err)
	}
	want := map[netip.Prefix]bool{
		netip.MustParsePrefix("192.0.2.11/24"):   false,
		netip.MustParsePrefix("2001:db8::11/64"): false,
	}
	linkLocal := false
	for _, p := range got {
		if _, ok := want[p]; ok {
			want[p] = true
		}
		linkLocal = linkLocal || p.Addr().IsLinkLocalUnicast()
	}
	for p, seen := range want {
		if !seen {
			t.Errorf("eth0 lacks %s; has %v", p, got)
		}
	}
	if !linkLocal {
		t.Errorf("eth0 has no IPv6 link-local address: %v", got)
	}
	if len(h.MAC) != 6 {
		t.Errorf("MAC = %v, want a 6-byte address", h.MAC)
	}
	out, err := h.Command(context.Background(), "cat", "/proc/sys/net/ipv6/conf/eth0/accept_dad").Output()
	if err != nil || strings.TrimSpace(string(out)) != "0" {
		t.Errorf("accept_dad on eth0 = %q, %v; want 0", out, err)
	}
	out, err = h.Command(context.Background(), "ip", "-6", "addr", "show", "dev", "eth0", "tentative").Output()
	if err != nil || strings.TrimSpace(string(out)) != "" {
		t.Errorf("tentative addresses on eth0: %q, %v", out, err)
	}
}

func TestLinkDownCutsTheHostOffAndLinkUpRestoresIt(t *testing.T) {
	l := newLab(t, "halotest-link")
	a := addHost(t, l, "a", "192.0.2.11/24")
	b := addHost(t, l, "b", "192.0.2.12/24")
	target := echoServer(t, a, "192.0.2.11")
	if err := exchange(b, target, 3*time.Second); err != nil {
		t.Fatalf("before LinkDown: %v", err)
	}
	if err := a.LinkDown(); err != nil {
		t.Fatal(err)
	}
	if err := exchange(b, target, 500*time.Millisecond); err == nil {
		t.Fatal("exchange succeeded with a's cable pulled")
	}
	got, err := a.Addrs("eth0")
	if err != nil || len(got) == 0 {
		t.Errorf("eth0 lost its addresses with the cable pulled: %v, %v", got, err)
	}
	out, _ := a.Command(context.Background(), "ip", "link", "show", "eth0").Output()
	if !strings.Contains(string(out), "NO-CARRIER") {
		t.Errorf("eth0 does not report NO-CARRIER: %s", out)
	}
	if err := a.LinkUp(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := exchange(b, target, time.Second)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after LinkUp: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestDropLosesPacketsAndZeroRestores(t *testing.T) {
	l := newLab(t, "halotest-drop")
	a := addHost(t, l, "a", "192.0.2.11/24")
	b := addHost(t, l, "b", "192.0.2.12/24")
	target := echoServer(t, a, "192.0.2.11")
	err := l.Drop(a, 100)
	if errors.Is(err, netlab.ErrNoNft) {
		t.Skip("nft is not installed")
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := exchange(b, target, 500*time.Millisecond); err == nil {
		t.Fatal("exchange succeeded with 100% loss")
	}
	if err := l.Drop(a, 30); err != nil {
		t.Fatalf("Drop 30%%: %v", err)
	}
	if err := l.Drop(a, 0); err != nil {
		t.Fatal(err)
	}
	if err := exchange(b, target, 3*time.Second); err != nil {
		t.Fatalf("after Drop 0: %v", err)
	}
	if err := l.Drop(a, 101); err == nil {
		t.Error("Drop 101% succeeded")
	}
}

func namespaces(t *testing.T, prefix string) []string {
	t.Helper()
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatalf("ip netns list: %v", err)
	}
	var names []string
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], prefix+"-") {
			names = append(names, f[0])
		}
	}
	return names
}

func TestCloseKillsProcessesAndLeavesNoNamespace(t *testing.T) {
	const prefix = "halotest-close"
	l := newLab(t, prefix)
	a := addHost(t, l, "a", "192.0.2.11/24")
	addHost(t, l, "b", "192.0.2.12/24")
	cmd := a.Command(context.Background(), "sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// A process started behind the lab's back, inside a namespace.
	stray := exec.Command("ip", "netns", "exec", a.Namespace, "sleep", "60")
	if err := stray.Start(); err != nil {
		t.Fatal(err)
	}
	strayDone := make(chan error, 1)
	go func() { strayDone <- stray.Wait() }()
	t.Cleanup(func() { stray.Process.Kill() })
	// Wait until ip(8) has entered the namespace and exec'd sleep.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", stray.Process.Pid))
		if strings.TrimSpace(string(comm)) == "sleep" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stray process did not start: comm %q", comm)
		}
	}

	if got := namespaces(t, prefix); len(got) != 3 {
		t.Errorf("namespaces before Close = %v, want switch, a and b", got)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := namespaces(t, prefix); len(got) != 0 {
		t.Errorf("namespaces left after Close: %v", got)
	}
	for name, ch := range map[string]chan error{"lab command": done, "stray process": strayDone} {
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Errorf("%s still running after Close", name)
		}
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := l.AddHost("c"); err == nil {
		t.Error("AddHost after Close succeeded")
	}
	if err := a.Do(func() error { return nil }); err == nil {
		t.Error("Do after Close succeeded")
	}
}

func TestCleanupStaleRemovesDeadRunsOnly(t *testing.T) {
	const prefix = "halotest-stale"
	l := newLab(t, prefix)
	addHost(t, l, "alive", "192.0.2.11/24")

	dead := deadPid(t)
	stale := fmt.Sprintf("%s-%d-lb1", prefix, dead)
	if out, err := exec.Command("ip", "netns", "add", stale).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "delete", stale).Run() })
	other := fmt.Sprintf("%s-x-%d-lb1", prefix, dead) // another prefix's namespace
	if out, err := exec.Command("ip", "netns", "add", other).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "delete", other).Run() })

	if err := netlab.CleanupStale(prefix); err != nil {
		t.Fatalf("CleanupStale: %v", err)
	}
	got := strings.Join(namespaces(t, prefix), " ")
	if strings.Contains(got, stale+" ") || strings.HasSuffix(got, stale) {
		t.Errorf("stale namespace %s survived: %s", stale, got)
	}
	for _, want := range []string{fmt.Sprintf("%s-%d-alive", prefix, os.Getpid()), fmt.Sprintf("%s-%d-switch", prefix, os.Getpid()), other} {
		if !strings.Contains(got, want) {
			t.Errorf("live namespace %s was removed: %s", want, got)
		}
	}
	if err := netlab.CleanupStale(""); err == nil {
		t.Error("CleanupStale with an empty prefix succeeded")
	}
}

// deadPid returns a pid with no process.
func deadPid(t *testing.T) int {
	t.Helper()
	for pid := 4_000_000; pid > 100_000; pid -= 7919 {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); errors.Is(err, os.ErrNotExist) {
			return pid
		}
	}
	t.Fatal("no free pid found")
	return 0
}

func TestAddHostRejectsBadInput(t *testing.T) {
	l := newLab(t, "halotest-bad")
	for _, tc := range []struct {
		name, host string
		addrs      []string
	}{
		{"an empty name is rejected", "", nil},
		{"a name with a slash is rejected", "a/b", nil},
		{"the switch's name is rejected", "switch", nil},
		{"an address without a prefix length is rejected", "a", []string{"192.0.2.1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := l.AddHost(tc.host, tc.addrs...); err == nil {
				t.Error("AddHost succeeded")
			}
		})
	}
	addHost(t, l, "dup")
	if _, err := l.AddHost("dup"); err == nil {
		t.Error("second AddHost with the same name succeeded")
	}
}
