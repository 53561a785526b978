package priv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/halo-lb/halo/internal/config/haproxy"
	"github.com/halo-lb/halo/internal/config/keepalived"
)

func parseHA(t *testing.T, text string) *haproxy.Config {
	t.Helper()
	cfg, d := haproxy.Parse("haproxy.cfg", []byte(text))
	if cfg == nil {
		t.Fatalf("haproxy.cfg: %v", d)
	}
	return cfg
}

func parseKA(t *testing.T, text string) *keepalived.Config {
	t.Helper()
	cfg, d := keepalived.Parse("keepalived.conf", []byte(text))
	if cfg == nil {
		t.Fatalf("keepalived.conf: %v", d)
	}
	return cfg
}

func TestPlanAccounts(t *testing.T) {
	t.Run("user and group in haproxy.cfg are whom halo serves as and scripts' default", func(t *testing.T) {
		p, d := NewPlan(parseHA(t, "global\n    user nobody\n    group nogroup\n"), nil)
		if d.HasErrors() {
			t.Fatal(d)
		}
		if p.Serve == nil || p.Serve.UID != 65534 || p.Serve.GID != 65534 || p.Scripts != *p.Serve {
			t.Errorf("plan %+v, want nobody:nogroup for serving and scripts", p)
		}
	})
	t.Run("uid and gid numbers need no passwd entry", func(t *testing.T) {
		p, d := NewPlan(parseHA(t, "global\n    uid 4242\n    gid 4343\n"), nil)
		if d.HasErrors() || p.Serve == nil || p.Serve.UID != 4242 || p.Serve.GID != 4343 {
			t.Errorf("plan %+v %v", p.Serve, d)
		}
	})
	t.Run("an unknown user is an error at its line", func(t *testing.T) {
		_, d := NewPlan(parseHA(t, "global\n    maxconn 10\n    user no-such-user-here\n"), nil)
		if !d.HasErrors() || !strings.Contains(d.Error(), "haproxy.cfg:3: error: global: user \"no-such-user-here\": no such user") {
			t.Errorf("diagnostics:\n%s", d)
		}
	})
	t.Run("an unknown script_user is an error at its line", func(t *testing.T) {
		_, d := NewPlan(nil, parseKA(t, "global_defs {\n  script_user no-such-user-here\n}\n"))
		if !strings.Contains(d.Error(), "keepalived.conf:2: error: global_defs: script_user: user \"no-such-user-here\": no such user") {
			t.Errorf("diagnostics:\n%s", d)
		}
	})
}

// A world-writable script refused by enable_script_security is reported at
// the vrrp_script's line, as `halo check` and `halo run` print it.
func TestPlanScriptSecurity(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	script := filepath.Join(dir, "chk.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nexit 0\n"), 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(script, 0o777)
	conf := "global_defs {\n  script_user root\n  enable_script_security\n}\nvrrp_script chk {\n  script " + script + "\n}\n"
	_, d := NewPlan(nil, parseKA(t, conf))
	want := "keepalived.conf:5: error: vrrp_script chk: script refused by enable_script_security (it would run as root): " + script + " is writable by every user (mode 0777)"
	if !strings.Contains(d.Error(), want) {
		t.Errorf("diagnostics:\n%s\nwant %s", d, want)
	}
	// Without enable_script_security the same script is accepted.
	_, d = NewPlan(nil, parseKA(t, strings.Replace(conf, "  enable_script_security\n", "", 1)))
	if d.HasErrors() {
		t.Errorf("without enable_script_security: %s", d)
	}
}
