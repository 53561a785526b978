package haproxy

import (
	"fmt"
	"strings"
	"time"
)

// dump prints a Config in a stable, normalized text form for golden files.
func dump(c *Config) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	g := c.Global
	w("global maxconn=%d hard-stop-after=%s pidfile=%q daemon=%t", g.MaxConn, dur(g.HardStopAfter), g.PidFile, g.Daemon)
	w("  limits strict=%t ulimit-n=%d fd-hard-limit=%d maxpipes=%d maxconnrate=%d maxsessrate=%d noreuseport=%t spread-checks=%d",
		g.StrictLimits, g.UlimitN, g.FDHardLimit, g.MaxPipes, g.MaxConnRate, g.MaxSessRate, g.NoReusePort, g.SpreadChecks)
	if g.User != "" || g.Group != "" {
		w("  account user=%q group=%q", g.User, g.Group)
	}
	if g.ServerStateFile != "" || g.ServerStateBase != "" {
		w("  server-state file=%q base=%q -> %q", g.ServerStateFile, g.ServerStateBase, g.StateFile())
	}
	for _, s := range g.StatsSockets {
		w("  stats socket %s %s mode=%o level=%s line=%d", s.Network, s.Path, s.Mode, s.Level, s.Line)
	}
	logT := func(t LogTarget) string {
		return fmt.Sprintf("log %s network=%s address=%q format=%s facility=%d level=%d..%d len=%d line=%d",
			t.Written, t.Network, t.Address, t.Format, t.Facility, t.MinLevel, t.MaxLevel, t.Len, t.Line)
	}
	for _, t := range g.Logs {
		w("  %s", logT(t))
	}
	if g.LogTag != "" || g.LogHostname != "" {
		w("  log-tag=%q log-send-hostname=%q", g.LogTag, g.LogHostname)
	}
	for _, f := range c.Frontends {
		be := "-"
		if f.DefaultBackend != nil {
			be = f.DefaultBackend.Name
		}
		w("frontend %s config-name=%s line=%d mode=%s maxconn=%d timeout-client=%s timeout-client-fin=%s backend=%s relays=%t",
			f.Name, f.ConfigName, f.Line, f.Mode, f.MaxConn, dur(f.TimeoutClient), dur(f.TimeoutClientFin), be, f.Relays())
		for _, bd := range f.Binds {
			w("  bind %q name=%q freebind=%t v6only=%t v4v6=%t reuseport=%t accept-proxy=%t line=%d",
				bd.Addr, bd.Name, bd.FreeBind, bd.V6Only, bd.V4V6, bd.ReusePort, bd.AcceptProxy, bd.Line)
		}
		if len(f.Logs) > 0 || f.TCPLog || f.DontLogNull {
			w("  tcplog=%t dontlognull=%t", f.TCPLog, f.DontLogNull)
			for _, t := range f.Logs {
				w("    %s", logT(t))
			}
		}
		if s := f.Stats; s != nil {
			w("  stats uri=%q refresh=%s auth=%q", s.URI, dur(s.Refresh), s.Auth)
		}
		if m := f.Monitor; m != nil {
			w("  monitor-uri %q line=%d", m.URI, m.Line)
			for _, r := range m.Fail {
				w("    monitor fail unless=%t line=%d: %s", r.Unless, r.Line, condText(r.Cond))
			}
		}
		if f.Prometheus != "" {
			w("  prometheus path=%q prefix=%t", f.Prometheus, f.PrometheusPrefix)
		}
	}
	for _, be := range c.Backends {
		t := be.Timeouts
		w("backend %s line=%d mode=%s balance=%s hash-type=%s retries=%d redispatch=%t allbackups=%t load-server-state=%s state-file=%q",
			be.Name, be.Line, be.Mode, be.Balance.Algorithm, be.Balance.HashType, be.Retries, be.Redispatch, be.AllBackups, be.LoadServerState, be.StateFileName)
		w("  timeouts connect=%s server=%s server-fin=%s tunnel=%s queue=%s check=%s",
			dur(t.Connect), dur(t.Server), dur(t.ServerFin), dur(t.Tunnel), dur(t.Queue), dur(t.Check))
		ck := be.Check
		switch ck.Kind {
		case CheckHTTP:
			h := ck.HTTP
			w("  check %s method=%s uri=%q version=%q headers=%v spread=%d", ck.Kind, h.Method, h.URI, h.Version, h.Headers, ck.SpreadChecks)
			for _, r := range h.Rules {
				switch {
				case r.Connect != nil:
					c := r.Connect
					w("    http-check connect port=%d addr=%q ssl=%t sni=%q alpn=%q line=%d", c.Port, c.Addr, c.SSL, c.SNI, c.ALPN, r.Line)
				case r.Send != nil:
					s := r.Send
					w("    http-check send %s %q %s headers=%v body=%q line=%d", s.Method, s.URI, s.Version, s.Headers, s.Body, r.Line)
				case r.Expect != nil:
					e := r.Expect
					w("    http-check expect negate=%t %s %q codes=%v line=%d", e.Negate, e.Match, e.Pattern, e.Codes, r.Line)
				}
			}
		default:
			w("  check %s spread=%d", ck.Kind, ck.SpreadChecks)
		}
		for _, st := range ck.Steps {
			w("    tcp-check %s port=%d addr=%q ssl=%t sni=%q alpn=%q data=%q regex=%t negate=%t line=%d",
				st.Action, st.Port, st.Addr, st.SSL, st.SNI, st.ALPN, st.Data, st.Regex, st.Negate, st.Line)
		}
		for _, s := range be.Servers {
			w("  server %s %s port=%d line=%d check=%t check-ssl=%t verify-none=%t inter=%s fastinter=%s downinter=%s rise=%d fall=%d",
				s.Name, s.Host, s.Port, s.Line, s.Check, s.CheckSSL, s.VerifyNone, dur(s.Inter), dur(s.FastInter), dur(s.DownInter), s.Rise, s.Fall)
			w("    check-port=%d check-addr=%q weight=%d backup=%t disabled=%t maxconn=%d maxqueue=%d slowstart=%s send-proxy=%d",
				s.CheckPort, s.CheckAddr, s.Weight, s.Backup, s.Disabled, s.MaxConn, s.MaxQueue, dur(s.SlowStart), s.SendProxy)
			if s.OnMarkedDown != "" || s.OnMarkedUp != "" {
				w("    on-marked-down=%q on-marked-up=%q", s.OnMarkedDown, s.OnMarkedUp)
			}
			if a := s.Agent; a != nil {
				w("    agent port=%d addr=%q send=%q inter=%s", a.Port, a.Addr, a.Send, dur(a.Inter))
			}
		}
	}
	return b.String()
}

func dur(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	return d.String()
}
