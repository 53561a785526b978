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
	for _, s := range g.StatsSockets {
		w("  stats socket %s mode=%o level=%s line=%d", s.Path, s.Mode, s.Level, s.Line)
	}
	for _, f := range c.Frontends {
		be := "-"
		if f.DefaultBackend != nil {
			be = f.DefaultBackend.Name
		}
		w("frontend %s config-name=%s line=%d mode=%s maxconn=%d timeout-client=%s timeout-client-fin=%s backend=%s",
			f.Name, f.ConfigName, f.Line, f.Mode, f.MaxConn, dur(f.TimeoutClient), dur(f.TimeoutClientFin), be)
		for _, bd := range f.Binds {
			w("  bind %q freebind=%t v6only=%t accept-proxy=%t line=%d", bd.Addr, bd.FreeBind, bd.V6Only, bd.AcceptProxy, bd.Line)
		}
		if s := f.Stats; s != nil {
			w("  stats uri=%q refresh=%s auth=%q", s.URI, dur(s.Refresh), s.Auth)
		}
	}
	for _, be := range c.Backends {
		t := be.Timeouts
		w("backend %s line=%d mode=%s balance=%s hash-type=%s retries=%d redispatch=%t allbackups=%t",
			be.Name, be.Line, be.Mode, be.Balance.Algorithm, be.Balance.HashType, be.Retries, be.Redispatch, be.AllBackups)
		w("  timeouts connect=%s server=%s server-fin=%s tunnel=%s queue=%s check=%s",
			dur(t.Connect), dur(t.Server), dur(t.ServerFin), dur(t.Tunnel), dur(t.Queue), dur(t.Check))
		ck := be.Check
		switch ck.Kind {
		case CheckHTTP:
			h := ck.HTTP
			w("  check %s method=%s uri=%q version=%q host=%q expect-status=%d", ck.Kind, h.Method, h.URI, h.Version, h.Host, h.ExpectStatus)
		default:
			w("  check %s", ck.Kind)
		}
		for _, st := range ck.Steps {
			w("    tcp-check %s port=%d ssl=%t data=%q regex=%t negate=%t line=%d", st.Action, st.Port, st.SSL, st.Data, st.Regex, st.Negate, st.Line)
		}
		for _, s := range be.Servers {
			w("  server %s %s port=%d line=%d check=%t check-ssl=%t verify-none=%t inter=%s fastinter=%s downinter=%s rise=%d fall=%d",
				s.Name, s.Host, s.Port, s.Line, s.Check, s.CheckSSL, s.VerifyNone, dur(s.Inter), dur(s.FastInter), dur(s.DownInter), s.Rise, s.Fall)
			w("    check-port=%d check-addr=%q weight=%d backup=%t disabled=%t maxconn=%d maxqueue=%d slowstart=%s send-proxy=%d",
				s.CheckPort, s.CheckAddr, s.Weight, s.Backup, s.Disabled, s.MaxConn, s.MaxQueue, dur(s.SlowStart), s.SendProxy)
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
