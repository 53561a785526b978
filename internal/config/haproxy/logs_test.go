package haproxy

import (
	"strings"
	"testing"
)

func TestLogTargetsAsPublishedConfigsWriteThem(t *testing.T) {
	cases := []struct {
		line, network, address, format string
		facility, max                  int
	}{
		{"log /dev/log local0", "unixgram", "/dev/log", "rfc3164", 16, 7},
		{"log /dev/log local1 notice", "unixgram", "/dev/log", "rfc3164", 17, 5},
		{"log 127.0.0.1 local2", "udp", "127.0.0.1:514", "rfc3164", 18, 7},
		{"log 127.0.0.1:1514 local0 info", "udp", "127.0.0.1:1514", "rfc3164", 16, 6},
		{"log udp@[2001:db8::1]:514 len 2048 format rfc5424 daemon", "udp", "[2001:db8::1]:514", "rfc5424", 3, 7},
		{"log stdout format raw local0", "stdout", "", "raw", 16, 7},
		{"log unix@/run/log.sock user warning", "unixgram", "/run/log.sock", "rfc3164", 1, 4},
		{"log syslog.example:514 local7 debug", "udp", "syslog.example:514", "rfc3164", 23, 7},
	}
	for _, c := range cases {
		cfg, diags := Parse("t.cfg", []byte("global\n    "+c.line+"\n"))
		if diags.HasErrors() || len(cfg.Global.Logs) != 1 {
			t.Errorf("%q: %v", c.line, diags)
			continue
		}
		g := cfg.Global.Logs[0]
		if g.Network != c.network || g.Address != c.address || g.Format != c.format || g.Facility != c.facility || g.MaxLevel != c.max || g.Line != 2 {
			t.Errorf("%q: %+v", c.line, g)
		}
	}
}

func TestLogErrorsNameTheLineAndTheThing(t *testing.T) {
	for _, c := range []struct{ line, want string }{
		{"log /dev/log", "t.cfg:2: error: global: 'log' needs a target and a facility"},
		{"log /dev/log local9", "t.cfg:2: error: global: log facility 'local9'"},
		{"log /dev/log local0 loud", "t.cfg:2: error: global: log level 'loud'"},
		{"log /dev/log format json local0", "t.cfg:2: error: global: log format 'json'"},
		{"log tcp@192.0.2.1:514 local0", "t.cfg:2: error: global: log target 'tcp@192.0.2.1:514': unknown address family"},
		{"log 192.0.2.1:99999 local0", "t.cfg:2: error: global: log target '192.0.2.1:99999': bad port"},
		{"log global", "t.cfg:2: error: global: 'log global' belongs in a defaults, frontend or listen section"},
	} {
		_, diags := Parse("t.cfg", []byte("global\n    "+c.line+"\n"))
		if !strings.Contains(diags.Error(), c.want) {
			t.Errorf("%q: got %q, want %q", c.line, diags.Error(), c.want)
		}
	}
}

func TestFrontendLogsInheritAndNoLogForgets(t *testing.T) {
	cfg, diags := Parse("t.cfg", []byte(`global
    log /dev/log local0
defaults
    mode tcp
    log global
    option tcplog
    option dontlognull
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend a
    bind 127.0.0.1:1
    default_backend b
frontend c
    bind 127.0.0.1:2
    no log
    no option tcplog
    default_backend b
backend b
    server s 192.0.2.1:80
`))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	a, c := cfg.Frontends[0], cfg.Frontends[1]
	if len(a.Logs) != 1 || !a.TCPLog || !a.DontLogNull {
		t.Errorf("frontend a: %+v tcplog=%t", a.Logs, a.TCPLog)
	}
	if len(c.Logs) != 0 || c.TCPLog {
		t.Errorf("frontend c: %+v tcplog=%t", c.Logs, c.TCPLog)
	}
}

func TestStatsSocketPathMayHoldAnAt(t *testing.T) {
	cfg, diags := Parse("t.cfg", []byte("global\n    stats socket /run/halo@a/admin.sock level admin\n"))
	if len(diags) != 0 || len(cfg.Global.StatsSockets) != 1 || cfg.Global.StatsSockets[0].Path != "/run/halo@a/admin.sock" {
		t.Fatalf("%v %+v", diags, cfg.Global.StatsSockets)
	}
}
