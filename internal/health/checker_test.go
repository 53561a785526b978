package health

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/config/haproxy"
)

// change is one onChange call with the checker's status at that moment.
type change struct {
	up     bool
	reason string
	status Status
}

// runChecker starts c's Run and stops it at cleanup, failing the test if
// Run returns an error or does not return.
func runChecker(t *testing.T, b *haproxy.Backend, s *haproxy.Server) (*Checker, <-chan change) {
	t.Helper()
	changes := make(chan change, 16)
	var c *Checker
	c = NewChecker(b, s, func(up bool, reason string) {
		changes <- change{up, reason, c.Status()}
	}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := c.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return c, changes
}

func waitChange(t *testing.T, changes <-chan change) change {
	t.Helper()
	select {
	case ch := <-changes:
		return ch
	case <-time.After(3 * time.Second):
		t.Fatal("no state change within 3 s")
		return change{}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCheckerFollowsTheServer(t *testing.T) {
	srv := serve(t, accept)
	b, s := newBackend(haproxy.CheckTCP, srv.port)
	s.Inter, s.Rise, s.Fall = 20*time.Millisecond, 2, 3
	c, changes := runChecker(t, b, s)
	if !c.Up() {
		t.Fatal("a checked server should start UP")
	}
	waitFor(t, "full health", func() bool { return c.Status().State.Health == s.Rise+s.Fall-1 })

	srv.Close()
	down := waitChange(t, changes)
	if down.up {
		t.Fatalf("first change is UP, want DOWN")
	}
	if down.status.Failures != s.Fall {
		t.Errorf("went DOWN after %d failed probes, want exactly fall = %d", down.status.Failures, s.Fall)
	}
	if want := "Layer4 connection problem: connection refused"; down.reason != want {
		t.Errorf("DOWN reason = %q, want %q", down.reason, want)
	}
	if c.Up() || down.status.Downs != 1 {
		t.Errorf("after DOWN: Up() = %v, Downs = %d; want false, 1", c.Up(), down.status.Downs)
	}

	srv.Restart()
	up := waitChange(t, changes)
	if !up.up {
		t.Fatalf("second change is DOWN, want UP")
	}
	if up.status.Successes != s.Rise {
		t.Errorf("went UP after %d good probes, want exactly rise = %d", up.status.Successes, s.Rise)
	}
	if want := "Layer4 check passed"; up.reason != want {
		t.Errorf("UP reason = %q, want %q", up.reason, want)
	}
	if !c.Up() {
		t.Error("Up() = false after the UP change")
	}
}

func TestCheckerStartsDownWhenTheNameDoesNotResolve(t *testing.T) {
	b, s := newBackend(haproxy.CheckTCP, 80)
	s.Host = "nonexistent.invalid"
	s.Inter = 20 * time.Millisecond
	c, changes := runChecker(t, b, s)
	st := c.Status()
	if st.Up || st.State.Up {
		t.Fatalf("an unresolvable server starts UP: %+v", st)
	}
	if !strings.HasPrefix(st.Last.Reason, `Socket error: cannot resolve "nonexistent.invalid"`) {
		t.Errorf("reason = %q, want a resolution failure", st.Last.Reason)
	}
	// It is re-resolved on every probe and stays DOWN, without a change.
	waitFor(t, "two more probes", func() bool { return c.Status().Checks >= 2 })
	if st := c.Status(); st.Up || st.Last.Code != CodeSockErr {
		t.Errorf("after probes: Up = %v, last = %+v", st.Up, st.Last)
	}
	select {
	case ch := <-changes:
		t.Errorf("unexpected change %+v", ch)
	default:
	}
}

func TestCheckerResolvesNames(t *testing.T) {
	// Listen where the system resolver sends "localhost" first (127.0.0.1
	// or ::1, depending on /etc/hosts).
	addrs, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip", "localhost")
	if err != nil || len(addrs) == 0 {
		t.Skipf("localhost does not resolve: %v", err)
	}
	srv := serveAt(t, addrs[0].Unmap(), accept)
	b, s := newBackend(haproxy.CheckTCP, srv.port)
	s.Host = "localhost"
	s.Inter = 20 * time.Millisecond
	c, _ := runChecker(t, b, s)
	waitFor(t, "a probe", func() bool { return c.Status().Checks >= 1 })
	st := c.Status()
	if !st.Up || !st.Last.OK || !st.Addr.Addr().IsLoopback() {
		t.Errorf("status = %+v, want UP through a loopback address", st)
	}
}

func TestCheckerWithoutPortStartsDown(t *testing.T) {
	b, s := newBackend(haproxy.CheckTCP, 0)
	c := NewChecker(b, s, nil, nil)
	st := c.Status()
	want := "Socket error: server has no port and no check `port`: the check cannot run"
	if st.Up || st.Last.Reason != want {
		t.Errorf("Up = %v, reason %q; want DOWN with %q", st.Up, st.Last.Reason, want)
	}
}

func TestCheckerUsesCheckAddrAndPort(t *testing.T) {
	srv := serve(t, accept)
	b, s := newBackend(haproxy.CheckTCP, 0)
	s.Host, s.CheckAddr, s.CheckPort = "nonexistent.invalid", "127.0.0.1", srv.port
	c := NewChecker(b, s, nil, nil)
	if !c.Up() {
		t.Fatalf("status = %+v, want UP", c.Status())
	}
	r, addr := c.prober.probe(context.Background())
	if !r.OK || addr.Port() != uint16(srv.port) {
		t.Errorf("probe = %+v at %v, want a pass at port %d", r, addr, srv.port)
	}
}

func TestCheckerMaintenance(t *testing.T) {
	srv := serve(t, accept)
	b, s := newBackend(haproxy.CheckTCP, srv.port)
	s.Inter, s.Disabled = 20*time.Millisecond, true
	c, changes := runChecker(t, b, s)
	if c.Up() || !c.Status().Paused {
		t.Fatalf("a disabled server: %+v, want paused and not UP", c.Status())
	}
	time.Sleep(60 * time.Millisecond)
	if n := c.Status().Checks; n != 0 {
		t.Fatalf("a disabled server was probed %d times", n)
	}

	c.SetPaused(false)
	ch := waitChange(t, changes)
	if !ch.up || ch.reason != ReasonLeftMaintenance {
		t.Errorf("enable: change %v %q, want UP %q", ch.up, ch.reason, ReasonLeftMaintenance)
	}
	waitFor(t, "probes", func() bool { return c.Status().Checks >= 2 })

	c.SetPaused(true)
	ch = waitChange(t, changes)
	if ch.up || ch.reason != ReasonMaintenance {
		t.Errorf("disable: change %v %q, want DOWN %q", ch.up, ch.reason, ReasonMaintenance)
	}
	before := c.Status().Checks
	time.Sleep(60 * time.Millisecond)
	if n := c.Status().Checks; n > before+1 { // one probe may have been under way
		t.Errorf("a paused server was probed %d more times", n-before)
	}
}

func TestRunReturnsNilWhenCancelled(t *testing.T) {
	b, s := newBackend(haproxy.CheckHTTP, serve(t, silent).port)
	s.Inter = time.Hour // only the first, spread probe could run
	c := NewChecker(b, s, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestTCPCheckWithOwnPortsNeedsNoServerPort(t *testing.T) {
	srv := serve(t, replyOpen("+OK\r\n"))
	b, s := newBackend(haproxy.CheckSeq, 0)
	b.Check.Steps = []haproxy.TCPCheckStep{
		{Action: "connect", Port: srv.port},
		{Action: "expect", Data: "+OK"},
	}
	c := NewChecker(b, s, nil, nil)
	if !c.Up() {
		t.Fatalf("status = %+v, want UP", c.Status())
	}
	if r, _ := c.prober.probe(context.Background()); !r.OK {
		t.Errorf("probe = %+v, want a pass", r)
	}
}
