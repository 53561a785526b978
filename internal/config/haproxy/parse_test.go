package haproxy

import (
	"context"
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSplitWords(t *testing.T) {
	env := func(name string) (string, bool) {
		v, ok := map[string]string{"PORT": "8443", "EMPTY": "", "SP": "a b"}[name]
		return v, ok
	}
	tests := []struct {
		name string
		in   string
		want []string
		err  bool
	}{
		{"blanks separate words", "  server a\t192.0.2.1:80  ", []string{"server", "a", "192.0.2.1:80"}, false},
		{"a hash starts a comment", "bind :80 # the web", []string{"bind", ":80"}, false},
		{"a hash inside a word is still a comment", "bind :80#x", []string{"bind", ":80"}, false},
		{"an escaped hash is kept", `a\#b`, []string{"a#b"}, false},
		{"an escaped blank joins words", `a\ b c`, []string{"a b", "c"}, false},
		{"double quotes group and decode escapes", `"a b\r\n\x41"`, []string{"a b\r\nA"}, false},
		{"double quotes expand variables", `"$PORT" "${PORT}x" "${NOPE-def}" "${NOPE}"`, []string{"8443", "8443x", "def", ""}, false},
		{"variables are not expanded outside double quotes", `$PORT '${PORT}'`, []string{"$PORT", "${PORT}"}, false},
		{"a lone dollar is kept", `"cost $5 $"`, []string{"cost $5 $"}, false},
		{"single quotes are literal", `'a\n "b"'`, []string{`a\n "b"`}, false},
		{"quotes join within a word", `a"b c"'d'`, []string{"ab cd"}, false},
		{"an empty quoted string is a word", `x "" ''`, []string{"x", "", ""}, false},
		{"unknown escapes are kept for regexes", `^\d+\s`, []string{`^\d+\s`}, false},
		{"an expanded value with blanks stays one word", `"$SP"`, []string{"a b"}, false},
		{"an unterminated double quote is an error", `"abc`, nil, true},
		{"an unterminated single quote is an error", `'abc`, nil, true},
		{"a trailing backslash is an error", `abc\`, nil, true},
		{"a bad hex escape is an error", `"\xZZ"`, nil, true},
		{"an unterminated variable is an error", `"${PORT"`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := splitWords(tt.in, env)
			if (err != nil) != tt.err {
				t.Fatalf("splitWords(%q) error = %v, want error %t", tt.in, err, tt.err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" && !tt.err {
				t.Errorf("splitWords(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"500", 500 * time.Millisecond, false},
		{"250us", 250 * time.Microsecond, false},
		{"10ms", 10 * time.Millisecond, false},
		{"10s", 10 * time.Second, false},
		{"2m", 2 * time.Minute, false},
		{"1h", time.Hour, false},
		{"1d", 24 * time.Hour, false},
		{"0", 0, false},
		{"24d", 24 * 24 * time.Hour, false},
		{"25d", 0, true},
		{"1.5s", 0, true},
		{"s", 0, true},
		{"-1s", 0, true},
		{"10 s", 0, true},
		{"10S", 0, true},
		{"", 0, true},
	}
	for _, tt := range tests {
		got, err := parseTime(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("parseTime(%q) = %v, %v; want %v, error %t", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestParseServerAddr(t *testing.T) {
	tests := []struct {
		in   string
		host string
		port int
		err  bool
	}{
		{"192.0.2.1:80", "192.0.2.1", 80, false},
		{"192.0.2.1", "192.0.2.1", 0, false},
		{"192.0.2.1:0", "192.0.2.1", 0, false},
		{"192.0.2.1:", "192.0.2.1", 0, false},
		{"master-0.example.com:8443", "master-0.example.com", 8443, false},
		{"[2001:db8::1]:443", "2001:db8::1", 443, false},
		{"[2001:db8::1]", "2001:db8::1", 0, false},
		{"2001:db8::1:443", "2001:db8::1", 443, false},
		{"::1", "::1", 0, false},
		{"ipv6@[::1]:22", "::1", 22, false},
		{"ipv4@192.0.2.1:22", "192.0.2.1", 22, false},
		{"192.0.2.1:+1000", "", 0, true},
		{"192.0.2.1:70000", "", 0, true},
		{"/run/app.sock", "", 0, true},
		{"unix@/run/app.sock", "", 0, true},
		{"bad_host!:80", "", 0, true},
		{"*:80", "", 0, true},
	}
	for _, tt := range tests {
		host, port, err := parseServerAddr(tt.in)
		if (err != nil) != tt.err || host != tt.host || port != tt.port {
			t.Errorf("parseServerAddr(%q) = %q, %d, %v; want %q, %d, error %t", tt.in, host, port, err, tt.host, tt.port, tt.err)
		}
	}
}

func TestParseBindAddr(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  bool
	}{
		{"*:8443", []string{"0.0.0.0:8443"}, false},
		{":80", []string{"0.0.0.0:80"}, false},
		{"0.0.0.0:80", []string{"0.0.0.0:80"}, false},
		{"[::]:443", []string{"[::]:443"}, false},
		{":::443", []string{"[::]:443"}, false},
		{"192.0.2.1:80", []string{"192.0.2.1:80"}, false},
		{"[::ffff:192.0.2.1]:80", []string{"192.0.2.1:80"}, false},
		{"[2001:db8::1]:80", []string{"[2001:db8::1]:80"}, false},
		{"lb.example.com:6443", []string{"lb.example.com:6443"}, false},
		{"ipv4@*:80", []string{"0.0.0.0:80"}, false},
		{"ipv4@:::80", []string{"0.0.0.0:80"}, false},
		{"ipv6@:80", []string{"[::]:80"}, false},
		{"ipv4@[2001:db8::1]:80", nil, true},
		{"127.0.0.1:80-82", []string{"127.0.0.1:80", "127.0.0.1:81", "127.0.0.1:82"}, false},
		{"127.0.0.1:82-80", nil, true},
		{"*:0", nil, true},
		{"192.0.2.1", nil, true},
		{"224.0.0.1:80", nil, true},
		{"255.255.255.255:80", nil, true},
		{"[fe80::1%eth0]:80", nil, true},
		{"/run/haproxy.sock", nil, true},
		{"fd@3", nil, true},
	}
	for _, tt := range tests {
		got, err := parseBindAddr(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("parseBindAddr(%q) error = %v, want error %t", tt.in, err, tt.err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("parseBindAddr(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

// roomyHost is a host where every name resolves to 192.0.2.99 and the
// file descriptor limit is high: tests of what the file says, not of the
// machine they run on.
var roomyHost = Env{
	Lookup: func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("192.0.2.99")}, nil
	},
	Limits: func() (FDLimits, error) { return FDLimits{Soft: 1 << 20, Hard: 1 << 20, Ceiling: 1 << 20}, nil },
}

// TestExamples loads every haproxy.cfg under examples/ on a roomy host:
// each must run. (e2e runs them on this machine, with its real limits.)
func TestExamples(t *testing.T) {
	root := filepath.Join("..", "..", "..", "examples")
	var found int
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "haproxy.cfg" {
			return err
		}
		found++
		t.Run(path, func(t *testing.T) {
			cfg, diags := LoadWith(path, roomyHost)
			if errs := diags.Errors(); len(errs) > 0 || cfg == nil {
				t.Errorf("%s does not load:\n%v", path, errs)
			}
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 2 {
		t.Errorf("found %d haproxy.cfg files under %s, want at least the seed and openshift examples", found, root)
	}
}

func TestLoadReportsAMissingFile(t *testing.T) {
	cfg, diags := Load(filepath.Join(t.TempDir(), "nope.cfg"))
	if cfg != nil || !diags.HasErrors() || !strings.Contains(diags.Error(), "cannot read") {
		t.Errorf("Load(missing) = %v, %v; want nil and a read error", cfg, diags)
	}
}

func TestSeedExampleMatchesTestdata(t *testing.T) {
	a, err1 := os.ReadFile("../../../examples/seed/haproxy.cfg")
	b, err2 := os.ReadFile("testdata/seed.cfg")
	if err1 != nil || err2 != nil || string(a) != string(b) {
		t.Errorf("testdata/seed.cfg must be a copy of examples/seed/haproxy.cfg (%v, %v)", err1, err2)
	}
}

func TestCheckResolvable(t *testing.T) {
	cfg, diags := LoadWith("testdata/seed.cfg", roomyHost)
	if cfg == nil {
		t.Fatal(diags)
	}
	var asked []string
	lookup := func(_ context.Context, host string) ([]netip.Addr, error) {
		asked = append(asked, host)
		if host == "master-0.example.com" {
			return []netip.Addr{netip.MustParseAddr("192.0.2.1")}, nil
		}
		return nil, errors.New("no such host")
	}
	got := CheckResolvable(context.Background(), cfg, lookup)
	var lines []string
	for _, d := range got {
		lines = append(lines, d.String())
	}
	want := []string{
		"testdata/seed.cfg:23: warning: backend 'router80' server 'infra-0.example.com': address 'infra-0.example.com' does not resolve (no such host): the server starts DOWN and halo keeps resolving it",
		"testdata/seed.cfg:31: warning: backend 'router443' server 'infra-0.example.com': address 'infra-0.example.com' does not resolve (no such host): the server starts DOWN and halo keeps resolving it",
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("CheckResolvable (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"master-0.example.com", "infra-0.example.com"}, asked); diff != "" {
		t.Errorf("each name must be looked up once (-want +got):\n%s", diff)
	}
}

func TestCheckResolvableSkipsIPLiterals(t *testing.T) {
	cfg, diags := LoadWith("testdata/openshift.cfg", roomyHost)
	if cfg == nil {
		t.Fatal(diags)
	}
	lookup := func(context.Context, string) ([]netip.Addr, error) {
		t.Error("lookup called for an IP literal")
		return nil, nil
	}
	if got := CheckResolvable(context.Background(), cfg, lookup); len(got) != 0 {
		t.Errorf("CheckResolvable = %v, want nothing", got)
	}
}
