package daemon

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/ctl"
)

// withSockets gives the site halo's own socket and a user-level `stats
// socket` in the haproxy file.
func withSocket(dir string, o *Options) { o.Socket = filepath.Join(dir, "halo.sock") }

func socketsCfg(dir, ha string) string {
	return strings.Replace(ha, "global\n", "global\n    stats socket "+filepath.Join(dir, "user.sock")+" mode 660 level user\n    stats timeout 5s\n", 1)
}

func (s *testSite) query(sock, cmd string) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := ctl.Query(ctx, filepath.Join(s.dir, sock), cmd)
	if err != nil {
		s.t.Fatalf("%s: %q: %v", sock, cmd, err)
	}
	return out
}

// held is a connection through the proxy kept open.
type held struct {
	c    net.Conn
	r    *bufio.Reader
	name string
}

func hold(t *testing.T, addr string) *held {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	h := &held{c: c, r: bufio.NewReader(c)}
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	line, err := h.r.ReadString('\n')
	if err != nil {
		t.Fatalf("greeting: %v", err)
	}
	h.name = strings.TrimSpace(line)
	return h
}

// alive reports whether the connection still echoes.
func (h *held) alive() bool {
	h.c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(h.c, "ping\n"); err != nil {
		return false
	}
	line, err := h.r.ReadString('\n')
	return err == nil && line == "ping\n"
}

func TestRuntimeAPIDrainMaintAndShutdown(t *testing.T) {
	a, b := startEcho(t, "a"), startEcho(t, "b")
	front, statsAt := freePort(t), freePort(t)
	dir := t.TempDir()
	s := newSiteIn(t, dir, socketsCfg(dir, haproxyCfg(front, statsAt, a.addr(), b.addr())), keepalivedConf(100), withSocket)
	waitServing(t, front)
	if fi, err := os.Stat(filepath.Join(dir, "halo.sock")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("halo's socket: %v %v, want mode 0600", fi, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "user.sock")); err != nil || fi.Mode().Perm() != 0o660 {
		t.Fatalf("the stats socket: %v %v, want mode 0660", fi, err)
	}

	// Find a connection on s1 (server a).
	var onA *held
	for i := 0; i < 4 && onA == nil; i++ {
		if h := hold(t, front); h.name == "a" {
			onA = h
		}
	}
	if onA == nil {
		t.Fatal("round robin never picked server a")
	}

	// Drain: the live connection goes on, new ones avoid s1.
	if out := s.query("halo.sock", "set server web/s1 state drain"); out != "" {
		t.Fatalf("drain answered %q", out)
	}
	for i := 0; i < 6; i++ {
		if g := greeting(t, front); g != "b" {
			t.Fatalf("connection %d after drain reached %q", i, g)
		}
	}
	if !onA.alive() {
		t.Fatal("drain cut a live connection")
	}
	st := s.query("user.sock", "show servers state web")
	if !strings.Contains(st, " web 1 s1 127.0.0.1 2 8 1 1 ") {
		t.Fatalf("show servers state after drain:\n%s", st)
	}
	csv := s.query("user.sock", "show stat web 4 1")
	if !strings.Contains(csv, "web,s1,") || !strings.Contains(csv, ",DRAIN,") {
		t.Fatalf("show stat after drain:\n%s", csv)
	}

	// Maint: still not cut; shutdown sessions cuts it.
	s.query("halo.sock", "set server web/s1 state maint")
	if !onA.alive() {
		t.Fatal("maint cut a live connection")
	}
	if out := s.query("user.sock", "set server web/s1 state ready"); out != "Permission denied\n" {
		t.Fatalf("user level: %q", out)
	}
	s.query("halo.sock", "shutdown sessions server web/s1")
	if onA.alive() {
		t.Fatal("shutdown sessions left the connection open")
	}

	// Address change: s1 now points at server c.
	c := startEcho(t, "c")
	_, port, _ := net.SplitHostPort(c.addr())
	out := s.query("halo.sock", "set server web/s1 addr 127.0.0.1 port "+port+"; set server web/s1 state ready")
	if !strings.HasPrefix(out, "no need to change the addr, port changed from '") {
		t.Fatalf("set server addr answered %q", out)
	}
	seen := map[string]bool{}
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) && !seen["c"] {
		seen[greeting(t, front)] = true
	}
	if !seen["c"] || seen["a"] {
		t.Fatalf("after the address change connections reached %v, want c and never a", seen)
	}

	// Weights and errors with HAProxy's texts.
	if out := s.query("halo.sock", "set weight web/s2 50%; get weight web/s2"); out != "\n0 (initial 1)\n\n" {
		t.Fatalf("weight 50%% of 1: %q", out)
	}
	if out := s.query("halo.sock", "get weight web/nope"); out != "No such server.\n" {
		t.Fatalf("unknown server: %q", out)
	}
	if out := s.query("halo.sock", "get weight nope/s1"); out != "No such backend.\n" {
		t.Fatalf("unknown backend: %q", out)
	}
	info := s.query("user.sock", "show info")
	if !strings.HasPrefix(info, "Name: halo\nVersion: ") || !strings.Contains(info, "\nCurrConns: ") {
		t.Fatalf("show info:\n%s", info)
	}
	if out := s.query("halo.sock", "show vrrp"); !strings.Contains(out, "VI_1: vrid 51") {
		t.Fatalf("show vrrp:\n%s", out)
	}

	// The sockets survive a reload; a session open across it goes on.
	sess, err := net.Dial("unix", filepath.Join(dir, "halo.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	r := bufio.NewReader(sess)
	io.WriteString(sess, "prompt\n")
	sess.SetReadDeadline(time.Now().Add(3 * time.Second))
	r.ReadString('>')
	if err := s.d.Reload(); err != nil {
		t.Fatal(err)
	}
	io.WriteString(sess, "show cli level\n")
	if line, err := r.ReadString('\n'); err != nil || line != " admin\n" {
		t.Fatalf("session across the reload: %q %v", line, err)
	}
	if out := s.query("user.sock", "show cli level"); out != "user\n" {
		t.Fatalf("user socket after reload: %q", out)
	}
}

func TestServerStateFileSurvivesARestart(t *testing.T) {
	a, b := startEcho(t, "a"), startEcho(t, "b")
	front, statsAt := freePort(t), freePort(t)
	dir := t.TempDir()
	state := filepath.Join(dir, "state", "servers")
	ha := strings.Replace(haproxyCfg(front, statsAt, a.addr(), b.addr()), "global\n", "global\n    server-state-file "+state+"\n", 1)
	ha = strings.Replace(ha, "defaults\n", "defaults\n    load-server-state-from-file global\n", 1)

	s := newSiteIn(t, dir, ha, keepalivedConf(100), withSocket)
	waitServing(t, front)
	s.query("halo.sock", "set server web/s1 state maint; set server web/s2 weight 7")
	s.stop()
	data, err := os.ReadFile(state)
	if err != nil {
		t.Fatalf("no state file written at stop: %v", err)
	}
	if !strings.HasPrefix(string(data), "1\n# be_id be_name srv_id srv_name ") || !strings.Contains(string(data), " web 1 s1 127.0.0.1 0 1 ") {
		t.Fatalf("state file:\n%s", data)
	}

	s2 := newSiteIn(t, dir, ha, keepalivedConf(100), withSocket)
	waitServing(t, front)
	for i := 0; i < 4; i++ {
		if g := greeting(t, front); g != "b" {
			t.Fatalf("after the restart a connection reached %q; s1 should still be in maint", g)
		}
	}
	if out := s2.query("halo.sock", "get weight web/s2"); out != "7 (initial 1)\n" {
		t.Fatalf("weight after restart: %q", out)
	}
}

func TestStatusCommandOfTheSocket(t *testing.T) {
	a := startEcho(t, "a")
	front, statsAt := freePort(t), freePort(t)
	dir := t.TempDir()
	s := newSiteIn(t, dir, haproxyCfg(front, statsAt, a.addr()), keepalivedConf(100), withSocket)
	s.waitState("MASTER", 3*time.Second)
	out := s.query("halo.sock", "show status")
	for _, want := range []string{"VI_1", "MASTER", "main", "web", "s1"} {
		if !strings.Contains(out, want) {
			t.Errorf("show status lacks %q:\n%s", want, out)
		}
	}
}
