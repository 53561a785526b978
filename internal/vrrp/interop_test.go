package vrrp

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/testutil"
)

// TestKeepalivedAdvertisementsAreRead runs Debian's keepalived as master in
// namespace A and reads its advertisements with a Conn in B: the proof that
// the codec and the checksum variants match keepalived's on the wire.
func TestKeepalivedAdvertisementsAreRead(t *testing.T) {
	if testing.Short() {
		t.Skip("keepalived needs a few seconds to become master")
	}
	bin := testutil.RequireTool(t, "keepalived")
	h := newTwoHosts(t)
	const pass = "1cee4b6e-2cdc-48bf-83b2-01a96d1593e4"
	tests := []struct {
		name    string
		family  int
		version uint8
		extra   string // keepalived instance lines
		vip     string
	}{
		{"VRRPv2 with PASS authentication", 4, 2,
			"authentication {\n auth_type PASS\n auth_pass " + pass + "\n}", "192.0.2.100/32"},
		{"VRRPv3 over IPv4 with the pseudo-header", 4, 3, "", "192.0.2.100/32"},
		{"VRRPv3 over IPv6", 6, 3, "", "2001:db8::100/128"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recv := listen(t, h.b, tt.family, "vb", ListenOptions{Multicast: true})
			got := reader(t, recv)
			startKeepalived(t, bin, h.a, fmt.Sprintf(`vrrp_instance T {
  state MASTER
  interface va
  virtual_router_id 51
  priority 150
  advert_int 1
  version %d
  %s
  virtual_ipaddress {
    %s
  }
}
`, tt.version, tt.extra, tt.vip))
			select {
			case r := <-got:
				p := r.Packet
				if p.Version != tt.version || p.VRID != 51 || p.Priority != 150 || r.TTL != TTL || len(p.Addresses) != 1 {
					t.Errorf("read %+v from %v, want version %d, VRID 51, priority 150, one address, TTL 255", p, r.Src, tt.version)
				}
				if tt.version == 2 && !p.CheckAuth(AuthPass, PassKey(pass)) {
					t.Errorf("keepalived's PASS data %q fails CheckAuth", p.AuthData)
				}
				if tt.version == 3 && p.MaxAdvertInt != 100 {
					t.Errorf("MaxAdvertInt = %d, want 100", p.MaxAdvertInt)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("no advertisement from keepalived; counters %+v", recv.Counters())
			}
		})
	}
}

// startKeepalived runs keepalived (VRRP only, in the foreground) in ns with
// the given instance and stops it in t.Cleanup.
func startKeepalived(t *testing.T, bin, ns, instance string) {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(conf, []byte("global_defs {\n  router_id halo_test\n}\n"+instance), 0o600); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	cmd := exec.Command("ip", "netns", "exec", ns, bin, "--vrrp", "--dont-fork", "--log-console",
		"--use-file", conf, "--pid", filepath.Join(dir, "k.pid"), "--vrrp_pid", filepath.Join(dir, "v.pid"),
		"--checkers_pid", filepath.Join(dir, "c.pid"))
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start keepalived: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("keepalived output:\n%s", out.String())
		}
	})
}
