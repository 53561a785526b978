package proxy

import (
	"io"
	"testing"
	"time"
)

func TestFrontendMaxconnLeavesTheThirdClientInTheBacklog(t *testing.T) {
	a := startServer(t, "a")
	cfg := config(a.server())
	cfg.Frontends[0].MaxConn = 2
	p := startProxy(t, cfg)
	c1, c2 := dial(t, p.addr), dial(t, p.addr)
	c1.mustLine(t)
	c2.mustLine(t)
	c3 := dial(t, p.addr) // completes: the kernel's backlog answers
	if s, err := c3.line(300 * time.Millisecond); err == nil || s != "" {
		t.Fatalf("third client was served at maxconn 2: %q", s)
	}
	if got := a.accepted.Load(); got != 2 {
		t.Fatalf("server saw %d connections, want 2", got)
	}
	c1.Close()
	if got := c3.mustLine(t); got != "a" {
		t.Fatalf("third client got %q after a slot freed", got)
	}
}

func TestGlobalMaxconnPausesEveryFrontend(t *testing.T) {
	a := startServer(t, "a")
	cfg := config(a.server())
	cfg.Global.MaxConn = 1
	p := startProxy(t, cfg)
	c1 := dial(t, p.addr)
	c1.mustLine(t)
	c2 := dial(t, p.addr)
	if s, err := c2.line(200 * time.Millisecond); err == nil {
		t.Fatalf("second client served at global maxconn 1: %q", s)
	}
	c1.Close()
	c2.mustLine(t)
}

func TestServerMaxconnQueuesThenTimesOut(t *testing.T) {
	a := startServer(t, "a")
	s := a.server()
	s.MaxConn = 1
	cfg := config(s)
	cfg.Backends[0].Timeouts.Queue = 300 * time.Millisecond
	p := startProxy(t, cfg)

	c1 := dial(t, p.addr)
	c1.mustLine(t)
	// The second client waits in the queue and gets the slot when c1 leaves.
	c2 := dial(t, p.addr)
	if s, err := c2.line(100 * time.Millisecond); err == nil {
		t.Fatalf("second client served beyond maxconn: %q", s)
	}
	if q := p.Snapshot().Backends[0].Qcur; q != 1 {
		t.Errorf("queue length %d, want 1", q)
	}
	c1.Close()
	if got := c2.mustLine(t); got != "a" {
		t.Fatalf("queued client got %q", got)
	}
	// A third client waits for timeout queue, then is closed.
	start := time.Now()
	c3 := dial(t, p.addr)
	expectClosed(t, c3, 2*time.Second)
	if el := time.Since(start); el < 250*time.Millisecond || el > 800*time.Millisecond {
		t.Errorf("queued client closed after %v, want about 300ms", el)
	}
	if got := a.accepted.Load(); got != 2 {
		t.Errorf("server saw %d connections, want 2", got)
	}
}

func TestMaxqueueRefusesBeyondTheQueue(t *testing.T) {
	a := startServer(t, "a")
	s := a.server()
	s.MaxConn, s.MaxQueue = 1, 1
	cfg := config(s)
	cfg.Backends[0].Timeouts.Queue = 5 * time.Second
	p := startProxy(t, cfg)
	c1 := dial(t, p.addr)
	c1.mustLine(t)
	c2 := dial(t, p.addr) // queued
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	expectClosed(t, dial(t, p.addr), 2*time.Second)
	if el := time.Since(start); el > time.Second {
		t.Errorf("refusal took %v, want immediate", el)
	}
	c1.Close()
	c2.mustLine(t)
}

func TestHalfCloseStillDeliversTheAnswer(t *testing.T) {
	for _, splice := range []bool{true, false} {
		name := "with splice"
		if !splice {
			name = "with the copy fallback"
		}
		t.Run(name+" the client's shutdown reaches the server and the answer comes back", func(t *testing.T) {
			a := startServer(t, "a")
			p := startProxyWith(t, config(a.server()), func(p *Proxy) { p.splice = splice })
			c := dial(t, p.addr)
			c.mustLine(t)
			big := make([]byte, 1<<20)
			for i := range big {
				big[i] = byte('a' + i%26)
			}
			big[len(big)-1] = '\n'
			go func() {
				c.Write(big)
				c.Conn.(interface{ CloseWrite() error }).CloseWrite()
			}()
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			echo := make([]byte, len(big))
			if _, err := io.ReadFull(c.br, echo); err != nil {
				t.Fatalf("reading the echo: %v", err)
			}
			if string(echo) != string(big) {
				t.Fatal("echo differs")
			}
			if got := c.mustLine(t); got != "EOF" {
				t.Fatalf("after the echo got %q, want the server's EOF answer", got)
			}
			expectClosed(t, c, 2*time.Second)
			st := p.Snapshot()
			if st.Frontends[0].Bin != int64(len(big)) {
				t.Errorf("bytes in = %d, want %d", st.Frontends[0].Bin, len(big))
			}
			if want := int64(len(big) + len("a\nEOF\n")); st.Backends[0].Servers[0].Bout != want {
				t.Errorf("bytes out = %d, want %d", st.Backends[0].Servers[0].Bout, want)
			}
		})
	}
}

func TestIdleConnectionIsClosedAtItsTimeout(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*testing.T, *echoServer) *running
	}{
		{"timeout client closes an idle connection", func(t *testing.T, a *echoServer) *running {
			cfg := config(a.server())
			cfg.Frontends[0].TimeoutClient = 200 * time.Millisecond
			return startProxy(t, cfg)
		}},
		{"timeout server closes an idle connection", func(t *testing.T, a *echoServer) *running {
			cfg := config(a.server())
			cfg.Backends[0].Timeouts.Server = 200 * time.Millisecond
			return startProxy(t, cfg)
		}},
		{"timeout tunnel replaces longer client and server timeouts", func(t *testing.T, a *echoServer) *running {
			cfg := config(a.server())
			cfg.Frontends[0].TimeoutClient = time.Hour
			cfg.Backends[0].Timeouts.Server = time.Hour
			cfg.Backends[0].Timeouts.Tunnel = 200 * time.Millisecond
			return startProxy(t, cfg)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.setup(t, startServer(t, "a"))
			c := dial(t, p.addr)
			c.mustLine(t)
			// Activity pushes the deadline back.
			time.Sleep(120 * time.Millisecond)
			c.Write([]byte("x\n"))
			c.mustLine(t)
			start := time.Now()
			expectClosed(t, c, 2*time.Second)
			if el := time.Since(start); el < 150*time.Millisecond || el > 350*time.Millisecond {
				t.Errorf("closed after %v of inactivity, want 200ms", el)
			}
		})
	}
}
