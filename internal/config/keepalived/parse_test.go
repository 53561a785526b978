package keepalived

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// okInstance is a minimal valid instance; tests append lines to it.
const okInstance = "vrrp_instance VI {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n  192.0.2.1\n }\n"

func diagStrings(t *testing.T, text string) []string {
	t.Helper()
	cfg, d := parseWith(memSource(nil), "k.conf", []byte(text))
	if (cfg == nil) != d.HasErrors() {
		t.Fatalf("cfg nil = %t but HasErrors = %t", cfg == nil, d.HasErrors())
	}
	var out []string
	for _, x := range d {
		out = append(out, x.String())
	}
	return out
}

// TestDiagnostics checks that problems are reported at the right line with
// the right severity.
func TestDiagnostics(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		want []string
	}{
		{
			name: "a minimal instance has no diagnostic",
			text: okInstance + "}\n",
		},
		{
			name: "a brace on the next line opens the block",
			text: "vrrp_instance VI\n{\n interface eth0\n virtual_router_id 1\n virtual_ipaddress\n {\n  192.0.2.1 }\n}\n",
		},
		{
			name: "comments may follow values, but not inside quotes",
			text: "vrrp_script s { # c\n script \"/bin/echo a#b !c\" ! c\n}\n" + okInstance + " track_script {\n  s # c\n }\n}\n",
		},
		{
			name: "a missing closing brace points at the block",
			text: okInstance,
			want: []string{`k.conf:1: error: block "vrrp_instance" opened here is never closed with '}'`},
		},
		{
			name: "an unclosed inner block is named, not the outer one",
			text: "vrrp_instance VI {\n    interface eth0\n    virtual_router_id 1\n    virtual_ipaddress {\n        192.0.2.1\n}\n",
			want: []string{`k.conf:4: error: block "virtual_ipaddress" opened here is never closed with '}' (the '}' on line 6 lines up with the block around it)`},
		},
		{
			name: "accept is keepalived's default and halo's behaviour",
			text: okInstance + " accept\n}\n",
		},
		{
			name: "no_accept is accepted with a warning",
			text: okInstance + " no_accept\n}\n",
			want: []string{`k.conf:7: warning: vrrp_instance VI: no_accept is ignored: halo accepts traffic to the VIPs on the master (its own listeners serve them)`},
		},
		{
			name: "the killall warning uses the track_script weight override",
			text: "vrrp_script chk {\n script \"killall -0 haproxy\"\n}\n" + okInstance + " track_script {\n  chk weight 2\n }\n}\n",
			want: []string{`k.conf:1: warning: vrrp_script chk: "killall -0 haproxy" looks for an haproxy process; with halo as the proxy none runs, so it fails (in vrrp_instance VI with weight 2: its +2 is never added); use track_backend { BACKEND } in the vrrp_instance to follow the backends' health instead`},
		},
		{
			name: "an unknown keyword is an error at its line",
			text: okInstance + " frobnicate 3\n}\n",
			want: []string{`k.conf:7: error: vrrp_instance VI: unknown keyword "frobnicate" in vrrp_instance`},
		},
		{
			name: "a brace without a keyword is an error",
			text: "{\n}\n",
			want: []string{`k.conf:1: error: '{' without a keyword before it`},
		},
		{
			name: "real_server at the top level points at the haproxy config",
			text: "real_server 192.0.2.5 80 {\n}\n",
			want: []string{"k.conf:1: error: real_server: LVS services are not supported; this service belongs in the haproxy config (a frontend and a backend), halo would leave it unbalanced"},
		},
		{
			name: "a long auth_pass is cut to 8 with a warning",
			text: okInstance + " authentication {\n  auth_type PASS\n  auth_pass 0123456789\n }\n}\n",
			want: []string{`k.conf:9: warning: vrrp_instance VI: auth_pass is 10 characters; VRRP carries 8, so only the first 8 are used: "01234567" (as keepalived does; the peer must match them)`},
		},
		{
			name: "nopreempt with state MASTER is a warning",
			text: okInstance + " state MASTER\n nopreempt\n}\n",
			want: []string{"k.conf:8: warning: vrrp_instance VI: nopreempt is only honoured with state BACKUP; ignored with state MASTER (as keepalived does)"},
		},
		{
			name: "a lower-case state is accepted with a warning",
			text: okInstance + " state master\n}\n",
			want: []string{`k.conf:7: warning: vrrp_instance VI: state: "master" taken as MASTER (keepalived writes it in capitals)`},
		},
		{
			name: "a track_script naming no vrrp_script is an error at the track line",
			text: okInstance + " track_script {\n  nope weight 3\n }\n}\n",
			want: []string{"k.conf:8: error: vrrp_instance VI: track_script nope: no vrrp_script of that name"},
		},
		{
			name: "a bad track weight line is an error",
			text: "vrrp_script s {\n script x\n}\n" + okInstance + " track_script {\n  s wieght 3\n }\n}\n",
			want: []string{"k.conf:11: error: vrrp_instance VI: track_script: usage: NAME [weight <-253..253> [reverse]]"},
		},
		{
			name: "the same VRID on the same interface but another family is fine",
			text: okInstance + "}\nvrrp_instance V6 {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n  2001:db8::1\n }\n}\n",
		},
		{
			name: "the same VRID on another interface is fine",
			text: okInstance + "}\nvrrp_instance B {\n interface eth1\n virtual_router_id 1\n virtual_ipaddress {\n  192.0.2.2\n }\n}\n",
		},
		{
			name: "the same VIP in two instances is a warning",
			text: okInstance + "}\nvrrp_instance B {\n interface eth1\n virtual_router_id 2\n virtual_ipaddress {\n  192.0.2.1/24\n }\n}\n",
			want: []string{"k.conf:12: warning: vrrp_instance B: VIP 192.0.2.1 is also managed by vrrp_instance VI; they will fight over it"},
		},
		{
			name: "brd on an IPv6 VIP is an error",
			text: "vrrp_instance VI {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n  2001:db8::1/64 brd 192.0.2.255\n }\n}\n",
			want: []string{`k.conf:5: error: vrrp_instance VI: 2001:db8::1/64: brd "192.0.2.255" is not an IPv4 address for an IPv4 VIP`},
		},
		{
			name: "a bad boolean is an error",
			text: "global_defs {\n vrrp_v3_checksum_pseudo_header maybe\n}\n",
			want: []string{`k.conf:2: error: global_defs: vrrp_v3_checksum_pseudo_header: "maybe" is not one of on, off, true, false, yes, no`},
		},
		{
			name: "a notify user after the quoted command is a warning",
			text: okInstance + " notify_master \"/bin/x.sh\" root\n}\n",
			want: []string{`k.conf:7: warning: vrrp_instance VI: notify_master: "root" after the quoted command accepted, not applicable: scripts run as script_user`},
		},
		{
			name: "an empty notify is an error",
			text: okInstance + " notify_fault\n}\n",
			want: []string{"k.conf:7: error: vrrp_instance VI: usage: notify_fault <COMMAND> (quote it when it has arguments)"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, diagStrings(t, tc.text)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestIncludeFromDisk loads a file whose includes use a glob relative to
// the including file, from another working directory.
func TestIncludeFromDisk(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("keepalived.conf", "include conf.d/*.conf\n")
	write("conf.d/b.conf", "vrrp_instance B {\n interface eth0\n virtual_router_id 2\n virtual_ipaddress {\n  include ../vips/b.txt\n }\n}\n")
	write("conf.d/a.conf", "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n  192.0.2.1\n }\n}\n")
	write("conf.d/ignored.txt", "garbage {\n")
	write("vips/b.txt", "192.0.2.2\n")

	cfg, d := Load(filepath.Join(dir, "keepalived.conf"))
	if cfg == nil || len(d) != 0 {
		t.Fatalf("diagnostics:\n%v", d)
	}
	var got []string
	for _, in := range cfg.Instances {
		got = append(got, in.Name+" "+in.VIPs[0].Prefix.String()+" "+strings.TrimPrefix(in.VIPs[0].File, dir))
	}
	want := []string{"A 192.0.2.1/32 /conf.d/a.conf", "B 192.0.2.2/32 /vips/b.txt"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("instances (-want +got):\n%s", diff)
	}
}

func TestIncludeLoopInMemory(t *testing.T) {
	src := memSource(map[string]string{"/etc/k/a.conf": "include b.conf\n", "/etc/k/b.conf": "include a.conf\n"})
	cfg, d := parseWith(src, "/etc/k/a.conf", []byte("include b.conf\n"))
	if cfg != nil || len(d) != 1 || !strings.Contains(d[0].String(), "/etc/k/b.conf:1: error: include a.conf: /etc/k/a.conf includes itself") {
		t.Errorf("want one include-loop error, got:\n%v", d)
	}
}

func TestLoadMissingFile(t *testing.T) {
	cfg, d := Load(filepath.Join(t.TempDir(), "nope.conf"))
	if cfg != nil || len(d) != 1 || !strings.HasSuffix(d[0].String(), "nope.conf: error: reading keepalived config: no such file or directory") {
		t.Errorf("got %v", d)
	}
}

func TestTrackDelta(t *testing.T) {
	for _, tc := range []struct {
		name      string
		track     Track
		up        bool
		wantDelta int
		wantFault bool
	}{
		{"weight 0 and up adds nothing", Track{}, true, 0, false},
		{"weight 0 and down is a fault", Track{}, false, 0, true},
		{"a positive weight is added while up", Track{Weight: 2}, true, 2, false},
		{"a positive weight adds nothing while down", Track{Weight: 2}, false, 0, false},
		{"a negative weight adds nothing while up", Track{Weight: -20}, true, 0, false},
		{"a negative weight is subtracted while down", Track{Weight: -20}, false, -20, false},
		{"reverse turns up into down", Track{Weight: 2, Reverse: true}, true, 0, false},
		{"reverse with weight 0 faults while up", Track{Reverse: true}, true, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, f := tc.track.Delta(tc.up)
			if d != tc.wantDelta || f != tc.wantFault {
				t.Errorf("Delta(%t) = %d, %t; want %d, %t", tc.up, d, f, tc.wantDelta, tc.wantFault)
			}
		})
	}
}

func TestEffectivePriority(t *testing.T) {
	for _, tc := range []struct {
		base  uint8
		delta int
		want  uint8
	}{{100, 2, 102}, {100, -200, 1}, {250, 10, 254}, {255, -100, 255}} {
		in := &Instance{Priority: tc.base}
		if got := in.EffectivePriority(tc.delta); got != tc.want {
			t.Errorf("EffectivePriority(%d%+d) = %d, want %d", tc.base, tc.delta, got, tc.want)
		}
	}
}

func TestScriptArgv(t *testing.T) {
	for cmd, want := range map[string][]string{
		"killall -0 haproxy":              {"killall", "-0", "haproxy"},
		`/bin/sh -c 'test -e "/run/x y"'`: {"/bin/sh", "-c", `test -e "/run/x y"`},
		`  a   "b c"d  `:                  {"a", "b cd"},
		"":                                nil,
	} {
		if diff := cmp.Diff(want, (&Script{Command: cmd}).Argv()); diff != "" {
			t.Errorf("Argv(%q) (-want +got):\n%s", cmd, diff)
		}
	}
}

func TestV3ExamplePairIsClean(t *testing.T) {
	a, da := Load(filepath.Join(examplesDir, "v3", "keepalived-a.conf"))
	b, db := Load(filepath.Join(examplesDir, "v3", "keepalived-b.conf"))
	if a == nil || b == nil || len(da)+len(db) != 0 {
		t.Fatalf("examples/v3 diagnostics:\n%v\n%v", da, db)
	}
	if d := CheckPair(a, b); len(d) != 0 {
		t.Errorf("CheckPair(a, b):\n%v", d)
	}
	if d := CheckPair(b, a); len(d) != 0 {
		t.Errorf("CheckPair(b, a):\n%v", d)
	}
	v6 := a.Instance("VI_6")
	if v6.Family() != 6 || v6.Version != 3 || v6.AdvertInt.String() != "500ms" || !a.Instance("VI_4").V3PseudoHeader {
		t.Errorf("VI_6 family %d version %d advert %s", v6.Family(), v6.Version, v6.AdvertInt)
	}
}

func TestOnHostWarnsAboutMissingInterfaces(t *testing.T) {
	cfg, d := Parse("k.conf", []byte(okInstance+" track_interface {\n  eth9\n }\n}\n"))
	if d.HasErrors() {
		t.Fatal(d)
	}
	got := OnHost(cfg, func(name string) bool { return name == "eth0" })
	if len(got) != 1 || got.HasErrors() || !strings.Contains(got[0].String(), `tracked interface "eth9" does not exist`) {
		t.Fatalf("OnHost: %v", got)
	}
	if got := OnHost(cfg, func(string) bool { return false }); len(got) != 2 || got[0].Line != 1 {
		t.Fatalf("OnHost without interfaces: %v", got)
	}
}
