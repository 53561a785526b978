package haproxy

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeCfg(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "h.cfg")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// fakeHost resolves the names of names and nothing else.
func fakeHost(names map[string]string) Env {
	env := roomyHost
	env.Lookup = func(_ context.Context, host string) ([]netip.Addr, error) {
		if a, ok := names[host]; ok {
			return []netip.Addr{netip.MustParseAddr(a)}, nil
		}
		return nil, errors.New("no such host")
	}
	return env
}

func TestLoadResolvesBindNames(t *testing.T) {
	text := issueHeader + `frontend fe
    bind some-name.example.com:6443
    bind localhost:9000
    default_backend be
backend be
    server s 192.0.2.1:6443
`
	path := writeCfg(t, text)
	t.Run("a name that does not resolve is an error at its bind line", func(t *testing.T) {
		cfg, diags := LoadWith(path, fakeHost(map[string]string{"localhost": "::ffff:127.0.0.1"}))
		if cfg != nil || len(diags.Errors()) != 1 {
			t.Fatalf("LoadWith = %v, %v; want one error", cfg, diags)
		}
		if got := diags.Errors()[0].String(); !strings.Contains(got, ":7: error: frontend 'fe': bind some-name.example.com:6443: the name does not resolve (no such host)") {
			t.Errorf("error = %q", got)
		}
	})
	t.Run("a name that resolves binds its first address", func(t *testing.T) {
		cfg, diags := LoadWith(path, fakeHost(map[string]string{"localhost": "::ffff:127.0.0.1", "some-name.example.com": "192.0.2.10"}))
		if cfg == nil {
			t.Fatal(diags)
		}
		b := cfg.Frontends[0].Binds
		if b[0].Addr != "192.0.2.10:6443" || b[0].Name != "some-name.example.com" || b[1].Addr != "127.0.0.1:9000" || b[1].Name != "localhost" {
			t.Errorf("binds = %+v", b)
		}
	})
}

func TestLoadFindsConflictsOfResolvedNames(t *testing.T) {
	text := "global\n    noreuseport\n" + issueHeader + `frontend fe
    bind *:9000
    bind lb.example.com:9000
    default_backend be
frontend other
    bind 192.0.2.10:9001
    default_backend be
frontend another
    bind lb.example.com:9001
    default_backend be
backend be
    server s 192.0.2.1:80
`
	_, diags := LoadWith(writeCfg(t, text), fakeHost(map[string]string{"lb.example.com": "192.0.2.10"}))
	var got []string
	for _, d := range diags.Errors() {
		got = append(got, d.String())
	}
	if len(got) != 2 || !strings.Contains(got[0], ":10: error: frontend 'fe': bind 192.0.2.10:9000 overlaps 0.0.0.0:9000 (IPv4 only) (line 9)") ||
		!strings.Contains(got[1], ":16: error: frontend 'another': address 192.0.2.10:9001 is already bound by frontend 'other' (line 13)") {
		t.Errorf("errors:\n%s", strings.Join(got, "\n"))
	}
}

func TestLoadChecksTheFDLimit(t *testing.T) {
	path := writeCfg(t, "global\n    maxconn 30000\n"+issueHeader+"backend be\n    server s 192.0.2.1:80\n")
	env := roomyHost
	env.Limits = func() (FDLimits, error) { return FDLimits{Soft: 20000, Hard: 20000, Ceiling: 20000}, nil }
	cfg, diags := LoadWith(path, env)
	if cfg != nil || !strings.Contains(diags.Error(), ":2: error: global: maxconn 30000 needs") {
		t.Errorf("LoadWith = %v, %v; want the maxconn line refused", cfg, diags)
	}
}
