package keepalived

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halo-lb/halo/internal/config/diag"
)

const examplesDir = "../../../examples"

// TestExamplesParse parses every examples/**/keepalived*.conf: each must
// load with no error (warnings allowed).
func TestExamplesParse(t *testing.T) {
	var files []string
	err := filepath.WalkDir(examplesDir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() && strings.HasPrefix(e.Name(), "keepalived") && strings.HasSuffix(e.Name(), ".conf") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 4 {
		t.Fatalf("found only %d example keepalived configs: %q", len(files), files)
	}
	for _, f := range files {
		t.Run(strings.TrimPrefix(f, examplesDir+"/"), func(t *testing.T) {
			cfg, d := Load(f)
			if d.HasErrors() || cfg == nil {
				t.Fatalf("errors:\n%v", d)
			}
			if len(cfg.Instances) == 0 && len(cfg.Announces) == 0 {
				t.Error("neither a vrrp_instance nor a bgp_announce")
			}
		})
	}
}

// TestSeedConfigs checks the article's two files: they run, with a warning
// about the haproxy process check that cannot work under halo and one about
// the 36-character auth_pass, and mean what the article says.
func TestSeedConfigs(t *testing.T) {
	for _, tc := range []struct {
		file     string
		state    string
		priority uint8
	}{
		{"keepalived-master.conf", StateMaster, 100},
		{"keepalived-backup.conf", StateBackup, 98},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(examplesDir, "seed", tc.file)
			cfg, d := Load(path)
			want := diag.List{{
				File: path, Line: 5, Severity: diag.Warning,
				Msg: `vrrp_script haproxy_check: "killall -0 haproxy" looks for an haproxy process; with halo as the proxy none runs, so it fails (with weight 2: its +2 is never added); use track_backend { BACKEND } in the vrrp_instance to follow the backends' health instead`,
			}, {
				File: path, Line: 27, Severity: diag.Warning,
				Msg: `vrrp_instance OCP_EXT: auth_pass is 36 characters; VRRP carries 8, so only the first 8 are used: "1cee4b6e" (as keepalived does; the peer must match them)`,
			}}
			if diff := cmp.Diff(want, d); diff != "" {
				t.Fatalf("diagnostics (-want +got):\n%s", diff)
			}
			in := cfg.Instance("OCP_EXT")
			if in == nil {
				t.Fatal("no instance OCP_EXT")
			}
			s := cfg.Scripts["haproxy_check"]
			if s == nil {
				t.Fatal("no vrrp_script haproxy_check")
			}
			got := []any{in.InitialState, in.Priority, in.VRID, in.Interface, in.Version, in.AdvertInt.String(),
				in.AuthType, in.AuthPass, len(in.VIPs), in.VIPs[0].Prefix.String(), in.VIPs[0].Dev,
				in.TrackScripts[0].Script == s, in.TrackScripts[0].Weight, s.Argv(), s.Interval.String(), cfg.Global.RouterID}
			wantFields := []any{tc.state, tc.priority, uint8(51), "ens192", 2, "1s",
				"PASS", "1cee4b6e", 1, "10.19.114.231/32", "ens192",
				true, 2, []string{"killall", "-0", "haproxy"}, "2s", "ovp_vrrp"}
			if diff := cmp.Diff(wantFields, got); diff != "" {
				t.Errorf("typed config (-want +got):\n%s", diff)
			}
		})
	}
}
