package health

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"
)

func TestParseAgentReplyAsHAProxyDocumentsIt(t *testing.T) {
	cases := []struct {
		in      string
		pct     int
		admin   string
		oper    string
		maxconn int
	}{
		{"75%\n", 75, "", "", -1},
		{"drain\n", -1, "drain", "", -1},
		{"up 50%, ready\n", 50, "ready", "up", -1},
		{"down # disk full\n", -1, "", "down", -1},
		{"stopped\tmaint maxconn:30\n", -1, "maint", "down", 30},
		{"MAINT\n", -1, "maint", "", -1},
		{"nonsense -5% %\n", -1, "", "", -1},
		{"", -1, "", "", -1},
	}
	for _, c := range cases {
		r := ParseAgentReply(c.in)
		if r.WeightPct != c.pct || r.Admin != c.admin || r.Oper != c.oper || r.Maxconn != c.maxconn {
			t.Errorf("%q: %+v", c.in, r)
		}
	}
}

func TestAgentPollsAndReports(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 10)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 5)
			io.ReadFull(c, buf)
			got <- string(buf)
			io.WriteString(c, "drain 25%\n")
			c.Close()
		}
	}()
	reports := make(chan AgentReport, 10)
	a := &Agent{Addr: ln.Addr().String(), Send: "ping\n", Interval: 50 * time.Millisecond,
		Report: func(r AgentReport) { reports <- r }, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go a.Run(ctx)
	for i := 0; i < 2; i++ {
		select {
		case r := <-reports:
			if r.Admin != "drain" || r.WeightPct != 25 {
				t.Fatalf("report %+v", r)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("no report")
		}
	}
	if s := <-got; s != "ping\n" {
		t.Fatalf("agent-send: %q", s)
	}
}

func FuzzParseAgentReply(f *testing.F) {
	for _, s := range []string{"75%", "up, ready", "maxconn:10 drain # x", "%%%", "maxconn:-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := ParseAgentReply(s)
		if r.WeightPct < -1 || r.Maxconn < -1 {
			t.Fatalf("%q: %+v", s, r)
		}
	})
}

func TestSpreadChecksDrawsWithinTheShare(t *testing.T) {
	d := time.Second
	lo, hi := d, d
	for i := 0; i < 2000; i++ {
		v := spreadInterval(d, 20)
		if v < 800*time.Millisecond || v > 1200*time.Millisecond {
			t.Fatalf("spread 20%% of 1s gave %v", v)
		}
		lo, hi = min(lo, v), max(hi, v)
	}
	if hi-lo < 300*time.Millisecond {
		t.Fatalf("draws between %v and %v: not spread", lo, hi)
	}
	if spreadInterval(d, 0) != d {
		t.Fatal("spread 0 changed the interval")
	}
}
