package daemon

import (
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/stats"
)

// An agent-check's answers reach the server: weight, admin state, and a
// "down" that holds the server DOWN although its health check passes.
func TestAgentCheckDrivesTheServer(t *testing.T) {
	a, b := startEcho(t, "a"), startEcho(t, "b")
	agent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer agent.Close()
	var say atomic.Value
	say.Store("50%\n")
	go func() {
		for {
			c, err := agent.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, say.Load().(string))
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(agent.Addr().String())
	front, statsAt := freePort(t), freePort(t)
	ha := haproxyCfg(front, statsAt, a.addr(), b.addr())
	ha = strings.Replace(ha, "server s1 "+a.addr()+" check inter 100ms fall 1 rise 1", "server s1 "+a.addr()+" check inter 100ms fall 1 rise 1 weight 10 agent-check agent-port "+port+" agent-inter 50ms", 1)
	s := newSite(t, ha, keepalivedConf(100))
	waitServing(t, front)
	s1 := func() stats.Server {
		for _, be := range s.d.Snapshot().Backends {
			if be.Name == "web" {
				return be.Servers[0]
			}
		}
		t.Fatal("no backend web")
		return stats.Server{}
	}
	wait := func(what string, ok func(stats.Server) bool) {
		t.Helper()
		deadline := time.Now().Add(3 * time.Second)
		for time.Now().Before(deadline) {
			if ok(s1()) {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("%s: s1 is %+v", what, s1())
	}
	wait("50% of weight 10", func(sv stats.Server) bool { return sv.UWeight == 5 })
	say.Store("drain\n")
	wait("drain", func(sv stats.Server) bool { return sv.Admin == stats.AdminDrain })
	say.Store("down # maintenance window\n")
	wait("down", func(sv stats.Server) bool { return !sv.Up })
	time.Sleep(300 * time.Millisecond) // several health checks pass meanwhile
	if sv := s1(); sv.Up {
		t.Fatalf("the health check overrode the agent's down: %+v", sv)
	}
	say.Store("up ready 100%\n")
	wait("up again", func(sv stats.Server) bool { return sv.Up && sv.Admin == stats.AdminReady && sv.UWeight == 10 })
}
