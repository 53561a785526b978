package keepalived

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halo-lb/halo/internal/config/diag"
)

func mustParse(t *testing.T, file, text string) *Config {
	t.Helper()
	cfg, d := parseWith(memSource(nil), file, []byte(text))
	if cfg == nil {
		t.Fatalf("%s does not parse:\n%v", file, d)
	}
	return cfg
}

// TestCheckPairSeed is the seed's trap: priorities 100/98 and a script of
// weight 2 tracked on both nodes. A failed check on the master gives it
// 100, the healthy backup 98+2 = 100: a tie that the IP addresses decide.
func TestCheckPairSeed(t *testing.T) {
	master := filepath.Join(examplesDir, "seed", "keepalived-master.conf")
	backup := filepath.Join(examplesDir, "seed", "keepalived-backup.conf")
	m, _ := Load(master)
	b, _ := Load(backup)
	if m == nil || b == nil {
		t.Fatal("seed configs do not load")
	}
	t.Run("from the master", func(t *testing.T) {
		want := diag.List{{File: master, Line: 16, Severity: diag.Warning,
			Msg: "vrrp_instance OCP_EXT: when vrrp_script haproxy_check fails here and every check passes on the peer, both have priority 100 (100 here, 98+2 on the peer): a tie, the winner is decided by IP address (the higher primary IP wins); a failed check should cost more than the gap between the priorities (a larger weight, or a negative one) (peer: " + backup + ":16)"}}
		if diff := cmp.Diff(want, CheckPair(m, b)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("from the backup", func(t *testing.T) {
		got := CheckPair(b, m)
		if len(got) != 1 || got[0].File != backup || got[0].Line != 16 ||
			!strings.Contains(got[0].Msg, "when every check passes here and vrrp_script haproxy_check fails on the peer, both have priority 100") {
			t.Errorf("want one tie warning at %s:16, got:\n%v", backup, got)
		}
	})
}

const pairBase = `
vrrp_script chk {
    script "/bin/true"
    weight @WEIGHT@
}
vrrp_instance VI {
    state @STATE@
    interface eth0
    virtual_router_id @VRID@
    priority @PRIO@
    advert_int @ADVERT@
    authentication {
        auth_type PASS
        auth_pass @PW@
    }
    virtual_ipaddress {
        @VIP@
    }
    track_script {
        chk
    }
}
`

func pairConf(t *testing.T, name string, kv ...string) *Config {
	t.Helper()
	defaults := map[string]string{"@WEIGHT@": "-60", "@STATE@": "BACKUP", "@VRID@": "51", "@PRIO@": "100", "@ADVERT@": "1", "@PW@": "secret", "@VIP@": "192.0.2.10"}
	for i := 0; i < len(kv); i += 2 {
		defaults["@"+kv[i]+"@"] = kv[i+1]
	}
	text := pairBase
	for k, v := range defaults {
		text = strings.ReplaceAll(text, k, v)
	}
	return mustParse(t, name, text)
}

func TestCheckPair(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b []string
		want []string // substrings, one per diagnostic, in order
	}{
		{
			name: "a well-built pair gives no diagnostic",
			a:    []string{"STATE", "MASTER", "PRIO", "150"},
			b:    []string{"PRIO", "100"},
		},
		{
			name: "different VRIDs are an error",
			a:    []string{"PRIO", "150"},
			b:    []string{"VRID", "52"},
			want: []string{"a.conf:9: error: vrrp_instance VI: virtual_router_id 51 here, 52 on the peer"},
		},
		{
			name: "different passwords are an error that does not print them",
			a:    []string{"PRIO", "150"},
			b:    []string{"PW", "other"},
			want: []string{"a.conf:14: error: vrrp_instance VI: auth_pass differs from the peer's"},
		},
		{
			name: "passwords equal in their first 8 characters match",
			a:    []string{"PRIO", "150", "PW", "12345678-a"},
			b:    []string{"PW", "12345678-b"},
		},
		{
			name: "different VRRPv2 advert intervals are an error",
			a:    []string{"PRIO", "150"},
			b:    []string{"ADVERT", "2"},
			want: []string{"a.conf:11: error: vrrp_instance VI: advert_int 1s here, 2s on the peer"},
		},
		{
			name: "different VIPs are a warning",
			a:    []string{"PRIO", "150"},
			b:    []string{"VIP", "192.0.2.11"},
			want: []string{"a.conf:16: warning: vrrp_instance VI: virtual_ipaddress differs: 192.0.2.10/32 here, 192.0.2.11/32 on the peer"},
		},
		{
			name: "both MASTER with equal priorities gives two warnings",
			a:    []string{"STATE", "MASTER"},
			b:    []string{"STATE", "MASTER"},
			want: []string{
				"a.conf:7: warning: vrrp_instance VI: state MASTER on both nodes",
				"a.conf:10: warning: vrrp_instance VI: priority 100 on both nodes: the election is decided by IP address",
			},
		},
		{
			name: "a failed master that still beats a healthy backup is reported",
			a:    []string{"PRIO", "150", "WEIGHT", "-20"},
			b:    []string{"PRIO", "100", "WEIGHT", "-20"},
			want: []string{"a.conf:10: warning: vrrp_instance VI: when vrrp_script chk fails here and every check passes on the peer, this node still wins with priority 130 (150-20) against 100 (100)"},
		},
		{
			name: "a positive weight smaller than the gap never fails over",
			a:    []string{"PRIO", "110", "WEIGHT", "5"},
			b:    []string{"PRIO", "100", "WEIGHT", "5"},
			want: []string{"this node still wins with priority 110 (110) against 105 (100+5)"},
		},
		{
			name: "weight 0 means FAULT and cannot tie",
			a:    []string{"PRIO", "100", "WEIGHT", "0"},
			b:    []string{"PRIO", "99", "WEIGHT", "0"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := CheckPair(pairConf(t, "a.conf", tc.a...), pairConf(t, "b.conf", tc.b...))
			if len(got) != len(tc.want) {
				t.Fatalf("want %d diagnostics, got:\n%v", len(tc.want), got)
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i].String(), w) {
					t.Errorf("diagnostic %d:\n got %s\nwant it to contain %q", i, got[i], w)
				}
			}
		})
	}
}

func TestCheckPairUnmatchedInstances(t *testing.T) {
	a := mustParse(t, "a.conf", "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n 192.0.2.1\n }\n}\n")
	b := mustParse(t, "b.conf", "vrrp_instance RENAMED {\n interface eth0\n virtual_router_id 1\n priority 90\n virtual_ipaddress {\n 192.0.2.1\n }\n}\nvrrp_instance EXTRA {\n interface eth0\n virtual_router_id 2\n virtual_ipaddress {\n 192.0.2.2\n }\n}\n")
	got := CheckPair(a, b)
	want := []string{
		"a.conf: warning: vrrp_instance EXTRA of the peer (b.conf:9) has no counterpart here",
	}
	if len(got) != len(want) {
		t.Fatalf("want %d diagnostics (A pairs with RENAMED by VRID), got:\n%v", len(want), got)
	}
	for i, w := range want {
		if !strings.Contains(got[i].String(), w) {
			t.Errorf("got %s, want it to contain %q", got[i], w)
		}
	}
}
