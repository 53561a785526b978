package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// halo check behaves like `haproxy -c` / `keepalived -t`: the seed's files
// pass with warnings, broken ones fail with path:line diagnostics.
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badHA := write("bad.cfg", "frontend fe\n    bind *:80\n    default_backend nowhere\n")
	badKA := write("bad.conf", "vrrp_instance VI {\n  interface eth0\n  virtual_router_id 300\n  virtual_ipaddress {\n    192.0.2.1\n  }\n}\n")
	tracked := write("track.conf", "vrrp_instance VI {\n  interface eth0\n  virtual_router_id 3\n  virtual_ipaddress {\n    192.0.2.1\n  }\n  track_backend {\n    nosuch\n  }\n}\n")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string // substrings of stdout
	}{
		{"the seed's haproxy.cfg passes with warnings", []string{"-f", "../../examples/seed/haproxy.cfg", "--no-resolve"}, 0,
			[]string{"haproxy.cfg:8: warning:", "main:8443", "configuration is valid"}},
		{"the seed's keepalived pair passes and warns about the tie", []string{"-k", "../../examples/seed/keepalived-master.conf", "--peer", "../../examples/seed/keepalived-backup.conf"}, 0,
			[]string{"1cee4b6e", "tie", "configuration is valid"}},
		{"the BGP example passes", []string{"-f", "../../examples/bgp/haproxy.cfg", "-k", "../../examples/bgp/keepalived-node1.conf", "--no-resolve"}, 0,
			[]string{"configuration is valid"}},
		{"a default_backend naming nothing is an error at its line", []string{"-f", badHA}, 1,
			[]string{badHA + ":3: error:", "nowhere"}},
		{"a VRID out of range is an error at its line", []string{"-k", badKA}, 1,
			[]string{badKA + ":3: error:"}},
		{"track_backend without the haproxy config is an error", []string{"-k", tracked}, 1,
			[]string{tracked + ":8: error:", "nosuch"}},
		{"a missing file is an error", []string{"-f", filepath.Join(dir, "absent.cfg")}, 1, []string{"absent.cfg"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := dispatch(append([]string{"check"}, tt.args...), &out, &errb)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out.String(), errb.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{nil, {"bogus"}, {"check"}, {"run"}, {"check", "--peer", "x"}} {
		var out, errb bytes.Buffer
		if code := dispatch(args, &out, &errb); code != 2 {
			t.Errorf("halo %v: exit %d, want 2", args, code)
		}
	}
}

// halo run refuses a broken file at once, printing check's diagnostics.
func TestRunRefusesBrokenConfig(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.cfg")
	os.WriteFile(p, []byte("frontend fe\n    bind *:99999\n"), 0o644)
	var out, errb bytes.Buffer
	if code := dispatch([]string{"run", "-f", p}, &out, &errb); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(errb.String(), p+":2: error:") {
		t.Errorf("stderr lacks the path:line error:\n%s", errb.String())
	}
}
