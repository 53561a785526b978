package vrrp

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vishvananda/netns"

	"github.com/halo-lb/halo/internal/testutil"
)

// twoHosts are two network namespaces, A and B, joined by two veth pairs:
//
//	A: va  192.0.2.1/24    2001:db8::1/64  ── B: vb  192.0.2.2/24    2001:db8::2/64
//	A: va2 198.51.100.1/24                  ── B: vb2 198.51.100.2/24
//
// The second pair lets a packet reach B on another interface than vb.
type twoHosts struct {
	a, b string // namespace names
}

var nsCounter atomic.Int32

// newTwoHosts builds the namespaces and removes them in t.Cleanup. It
// needs root and skips without it.
func newTwoHosts(t *testing.T) *twoHosts {
	t.Helper()
	testutil.RequireRoot(t)
	n := nsCounter.Add(1)
	h := &twoHosts{
		a: fmt.Sprintf("halo-vrrp-%d-%da", os.Getpid(), n),
		b: fmt.Sprintf("halo-vrrp-%d-%db", os.Getpid(), n),
	}
	for _, ns := range []string{h.a, h.b} {
		run(t, "ip", "netns", "add", ns)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	}
	run(t, "ip", "link", "add", "va", "netns", h.a, "type", "veth", "peer", "name", "vb", "netns", h.b)
	run(t, "ip", "link", "add", "va2", "netns", h.a, "type", "veth", "peer", "name", "vb2", "netns", h.b)
	for _, c := range []struct{ ns, dev, v4, v6 string }{
		{h.a, "va", "192.0.2.1/24", "2001:db8::1/64"},
		{h.b, "vb", "192.0.2.2/24", "2001:db8::2/64"},
		{h.a, "va2", "198.51.100.1/24", ""},
		{h.b, "vb2", "198.51.100.2/24", ""},
	} {
		// No duplicate address detection, so that the link-local
		// address is usable as soon as the link is up.
		run(t, "ip", "netns", "exec", c.ns, "sysctl", "-q", "-w", "net.ipv6.conf."+c.dev+".accept_dad=0")
		run(t, "ip", "-n", c.ns, "addr", "add", c.v4, "dev", c.dev)
		if c.v6 != "" {
			run(t, "ip", "-n", c.ns, "addr", "add", c.v6, "dev", c.dev, "nodad")
		}
		run(t, "ip", "-n", c.ns, "link", "set", c.dev, "up")
	}
	for _, c := range []struct{ ns, dev string }{{h.a, "va"}, {h.b, "vb"}} {
		waitLinkLocal(t, c.ns, c.dev)
	}
	return h
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// waitLinkLocal waits until dev in ns has a usable IPv6 link-local address.
func waitLinkLocal(t *testing.T, ns, dev string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		out, _ := exec.Command("ip", "-n", ns, "-6", "addr", "show", "dev", dev, "scope", "link").Output()
		if s := string(out); strings.Contains(s, "fe80::") && !strings.Contains(s, "tentative") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s in %s has no usable link-local address:\n%s", dev, ns, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// inNS runs fn on a thread switched into the namespace ns; sockets fn
// creates stay in ns. The thread goes back to its own namespace before it
// is unlocked; if that fails it stays locked and dies with the goroutine.
func inNS(t *testing.T, ns string, fn func()) {
	t.Helper()
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		t.Fatalf("current namespace: %v", err)
	}
	defer orig.Close()
	target, err := netns.GetFromName(ns)
	if err != nil {
		runtime.UnlockOSThread()
		t.Fatalf("namespace %s: %v", ns, err)
	}
	defer target.Close()
	if err := netns.Set(target); err != nil {
		runtime.UnlockOSThread()
		t.Fatalf("enter namespace %s: %v", ns, err)
	}
	defer func() {
		if err := netns.Set(orig); err != nil {
			t.Errorf("leave namespace %s: %v", ns, err)
			return // keep the thread locked: it must not run other goroutines
		}
		runtime.UnlockOSThread()
	}()
	fn()
}

// listen opens a Conn in ns and closes it in t.Cleanup.
func listen(t *testing.T, ns string, family int, ifname string, opts ListenOptions) *Conn {
	t.Helper()
	var c *Conn
	var err error
	inNS(t, ns, func() { c, err = Listen(family, ifname, opts) })
	if err != nil {
		t.Fatalf("Listen(%d, %q) in %s: %v", family, ifname, ns, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// reader reads c in a goroutine until c is closed and hands over what it
// reads. The goroutine belongs to the test: t.Cleanup closes c (which ends
// Read) and waits for it.
func reader(t *testing.T, c *Conn) <-chan Received {
	t.Helper()
	ch := make(chan Received, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			r, err := c.Read()
			if err != nil {
				return
			}
			select {
			case ch <- r:
			default: // the test reads what it expects; drop the rest
			}
		}
	}()
	t.Cleanup(func() {
		c.Close()
		<-done
	})
	return ch
}

// rawSender opens a bare raw VRRP socket in ns, outside Conn, that sends
// payloads as given with the given TTL / hop limit from interface ifname.
func rawSender(t *testing.T, ns string, family int, ifname string, ttl int) func(b []byte, dst netip.Addr) {
	t.Helper()
	var send func(b []byte, dst netip.Addr) error
	var closeFn func() error
	var err error
	inNS(t, ns, func() {
		var ifi *net.Interface
		if ifi, err = net.InterfaceByName(ifname); err != nil {
			return
		}
		send, closeFn, err = openRawSender(family, ifi, ttl)
	})
	if err != nil {
		t.Fatalf("raw sender on %s in %s: %v", ifname, ns, err)
	}
	t.Cleanup(func() { closeFn() })
	return func(b []byte, dst netip.Addr) {
		t.Helper()
		if err := send(b, dst); err != nil {
			t.Fatalf("raw send to %v: %v", dst, err)
		}
	}
}
