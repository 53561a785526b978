package priv

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/halo-lb/halo/internal/config/keepalived"
	"github.com/halo-lb/halo/internal/track"
)

// newPair serves a Helper for the files in dir on one end of a pipe and
// returns the client of the other.
func newPair(t *testing.T, ha, ka string) *Client {
	t.Helper()
	a, b := net.Pipe()
	h := &Helper{HAProxyFile: ha, KeepalivedFile: ka, Child: Current()}
	done := make(chan struct{})
	go func() { defer close(done); h.Serve(a) }()
	t.Cleanup(func() { b.Close(); a.Close(); <-done })
	return NewClient(b)
}

// The child parses exactly what the helper read — includes too — and
// nothing else: a path the configuration does not name is not read.
func TestHelperFiles(t *testing.T) {
	dir := t.TempDir()
	ka := filepath.Join(dir, "keepalived.conf")
	os.WriteFile(ka, []byte("include conf.d/*.conf\n"), 0o600)
	os.Mkdir(filepath.Join(dir, "conf.d"), 0o755)
	os.WriteFile(filepath.Join(dir, "conf.d", "vi.conf"), []byte("vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 7\n priority 100\n virtual_ipaddress {\n  192.0.2.7/24\n }\n}\n"), 0o600)
	ha := filepath.Join(dir, "haproxy.cfg")
	os.WriteFile(ha, []byte("global\n    maxconn 10\n"), 0o600)
	c := newPair(t, ha, ka)
	files, err := c.Files()
	if err != nil {
		t.Fatal(err)
	}
	cfg, d := keepalived.LoadFrom(ka, keepalived.Files{ReadFile: files.ReadFile, Glob: files.Glob})
	if cfg == nil || cfg.Instance("VI_1") == nil {
		t.Fatalf("keepalived.conf through the helper: %v", d)
	}
	if data, err := files.ReadFile(ha); err != nil || !strings.Contains(string(data), "maxconn 10") {
		t.Errorf("haproxy.cfg through the helper: %q %v", data, err)
	}
	if _, err := files.ReadFile("/etc/shadow"); err == nil {
		t.Error("a path the configuration does not name was read")
	}
}

// The helper runs the configuration's scripts, with notify's arguments,
// and refuses any other command.
func TestHelperExec(t *testing.T) {
	dir := t.TempDir()
	ka := filepath.Join(dir, "keepalived.conf")
	os.WriteFile(ka, []byte(`vrrp_script chk {
  script "/bin/sh -c 'exit 0'"
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 7
  priority 100
  notify "/bin/echo state"
  virtual_ipaddress {
    192.0.2.7/24
  }
}
`), 0o600)
	c := newPair(t, "", ka)
	if _, err := c.Files(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.Exec(ctx, track.Command{Argv: []string{"/bin/sh", "-c", "exit 0"}}); err != nil {
		t.Errorf("vrrp_script: %v", err)
	}
	out, err := c.Exec(ctx, track.Command{Argv: []string{"/bin/echo", "state"}, Args: []string{"INSTANCE", "VI_1", "MASTER", "100"}})
	if err != nil || strings.TrimSpace(string(out)) != "state INSTANCE VI_1 MASTER 100" {
		t.Errorf("notify: %q %v", out, err)
	}
	if _, err := c.Exec(ctx, track.Command{Argv: []string{"/bin/sh", "-c", "id"}}); err == nil || !strings.Contains(err.Error(), "not a script of the configuration") {
		t.Errorf("a command the configuration does not name: %v", err)
	}
	if _, err := c.Exec(ctx, track.Command{Argv: []string{"/bin/sh", "-c", "exit 0"}, User: "root"}); err == nil {
		t.Error("a script run as another account than configured was accepted")
	}
}
