package haproxy

import (
	"strings"
	"testing"
)

func parseOK(t *testing.T, text string) *Config {
	t.Helper()
	cfg, diags := Parse("t.cfg", []byte(text))
	if cfg == nil {
		t.Fatalf("parse: %v", diags)
	}
	return cfg
}

// limitsCfg is a configuration with one listener and no check: its reserve
// is fdsProcess + the reactors' + 1.
func limitsCfg(global string) string {
	return "global\n" + global + `
defaults
    mode tcp
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend fe
    bind 127.0.0.1:8080
    default_backend be
backend be
    server s 192.0.2.1:80
`
}

func TestPlanFDs(t *testing.T) {
	const res = fdsProcess + maxReactors*fdsPerReactor + 1
	hard := func(n uint64) FDLimits { return FDLimits{Soft: n, Hard: n, Ceiling: n} }
	tests := []struct {
		name   string
		global string
		lim    FDLimits
		want   FDPlan
		diag   string // substring of the only diagnostic, "" = none
	}{
		{
			name:   "maxconn raises the limit to its sockets and a quarter of pipes",
			global: "    maxconn 4000",
			lim:    hard(20000),
			want:   FDPlan{UlimitN: 8000 + 2000 + res, MaxConn: 4000, MaxPipes: 1000, Reserve: res, Need: 8000 + res},
		},
		{
			name:   "pipes shrink when the hard limit leaves no room for them",
			global: "    maxconn 9000",
			lim:    hard(20000),
			want:   FDPlan{UlimitN: 20000, MaxConn: 9000, MaxPipes: (20000 - 18000 - res) / 2, Reserve: res, Need: 18000 + res},
		},
		{
			name:   "a maxconn the hard limit cannot carry is an error under strict-limits",
			global: "    maxconn 20000",
			lim:    hard(20000),
			want:   FDPlan{UlimitN: 20000, MaxConn: 20000, MaxPipes: 0, Reserve: res, Need: 40000 + res},
			diag:   "t.cfg:2: error: global: maxconn 20000 needs 40049 file descriptors",
		},
		{
			name:   "and a warning without it",
			global: "    maxconn 20000\n    no strict-limits",
			lim:    hard(20000),
			want:   FDPlan{UlimitN: 20000, MaxConn: 20000, MaxPipes: 0, Reserve: res, Need: 40000 + res},
			diag:   "t.cfg:2: warning: global: maxconn 20000 needs",
		},
		{
			name:   "CAP_SYS_RESOURCE lets the hard limit rise",
			global: "    maxconn 20000",
			lim:    FDLimits{Soft: 1024, Hard: 20000, Ceiling: 1 << 20},
			want:   FDPlan{UlimitN: 50000 + res, MaxConn: 20000, MaxPipes: 5000, Reserve: res, Need: 40000 + res},
		},
		{
			name: "without maxconn, maxconn is derived from the hard limit, pipes included",
			lim:  hard(20000),
			want: FDPlan{UlimitN: 20000, MaxConn: (20000 - res) * 4 / 10, Derived: true, MaxPipes: (20000 - res) / 10, Reserve: res, Need: 2*((20000-res)*4/10) + res},
		},
		{
			name:   "fd-hard-limit caps a derived maxconn",
			global: "    fd-hard-limit 1000",
			lim:    hard(1 << 20),
			want:   FDPlan{UlimitN: 1000, MaxConn: (1000 - res) * 4 / 10, Derived: true, MaxPipes: (1000 - res) / 10, Reserve: res, Need: 2*((1000-res)*4/10) + res},
		},
		{
			name:   "an explicit ulimit-n too low for maxconn is an error",
			global: "    maxconn 1000\n    ulimit-n 1500",
			lim:    hard(20000),
			want:   FDPlan{UlimitN: 1500, MaxConn: 1000, MaxPipes: 0, Reserve: res, Need: 2000 + res},
			diag:   "t.cfg:3: error: global: a file descriptor limit of 1500 is too low for maxconn 1000, which needs 2049",
		},
		{
			name:   "an explicit ulimit-n above the hard limit is an error",
			global: "    ulimit-n 30000",
			lim:    hard(20000),
			want:   FDPlan{UlimitN: 20000, MaxConn: (20000 - res) * 4 / 10, Derived: true, MaxPipes: (20000 - res) / 10, Reserve: res, Need: 2*((20000-res)*4/10) + res},
			diag:   "t.cfg:2: error: global: cannot raise the file descriptor limit to ulimit-n 30000: the hard limit is 20000",
		},
		{
			name:   "an explicit maxpipes counts in what maxconn needs",
			global: "    maxconn 1000\n    maxpipes 100",
			lim:    hard(20000),
			want:   FDPlan{UlimitN: 2200 + res, MaxConn: 1000, MaxPipes: 100, Reserve: res, Need: 2200 + res},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := parseOK(t, limitsCfg(tt.global))
			got, diags := PlanFDs(cfg, tt.lim)
			if got != tt.want {
				t.Errorf("PlanFDs = %+v\nwant     %+v", got, tt.want)
			}
			switch {
			case tt.diag == "" && len(diags) > 0:
				t.Errorf("unexpected diagnostics: %v", diags)
			case tt.diag != "" && (len(diags) != 1 || !strings.Contains(diags[0].String(), tt.diag)):
				t.Errorf("diagnostics %v, want one containing %q", diags, tt.diag)
			}
		})
	}
}

func TestPlanReserveCountsListenersChecksAndSockets(t *testing.T) {
	cfg := parseOK(t, `global
    stats socket /run/halo/a.sock
defaults
    mode tcp
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend fe
    bind 127.0.0.1:8080-8082
    default_backend be
backend be
    server s1 192.0.2.1:80 check
    server s2 192.0.2.2:80 check agent-check agent-port 9
    server s3 192.0.2.3:80
`)
	want := fdsProcess + maxReactors*fdsPerReactor + fdsPerStatsSock + 3 + 3
	if got := reserve(cfg); got != want {
		t.Errorf("reserve = %d, want %d (3 listeners, 2 checks, 1 agent, 1 stats socket)", got, want)
	}
}
