package daemon

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/halo-lb/halo/internal/config/haproxy"
	"github.com/halo-lb/halo/internal/proxy"
	"github.com/halo-lb/halo/internal/stats"
)

// savedServer is one line of a server state file (HAProxy's `show servers
// state` format, version 1) as far as halo restores it.
type savedServer struct {
	opState    int // 0 stopped (DOWN), 2 running
	adminState int // bits: 0x01 forced maint, 0x04 maint from the config, 0x08 forced drain
	uweight    int
}

// Admin state bits of the file, as HAProxy writes them.
const (
	admForcedMaint = 0x01
	admForcedDrain = 0x08
)

// parseServerState reads a state file: backend -> server -> saved state.
// Lines it cannot read are reported with their number and skipped.
func parseServerState(path string, data []byte) (map[string]map[string]savedServer, []error) {
	out := map[string]map[string]savedServer{}
	var errs []error
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		if n == 1 {
			if line != "1" {
				return nil, []error{fmt.Errorf("%s:1: state file version %q, want 1", path, line)}
			}
			continue
		}
		f := strings.Fields(line)
		if len(f) < 9 {
			errs = append(errs, fmt.Errorf("%s:%d: %d fields, want at least 9", path, n, len(f)))
			continue
		}
		op, err1 := strconv.Atoi(f[5])
		adm, err2 := strconv.Atoi(f[6])
		uw, err3 := strconv.Atoi(f[7])
		if err1 != nil || err2 != nil || err3 != nil {
			errs = append(errs, fmt.Errorf("%s:%d: op_state, admin_state and uweight must be numbers", path, n))
			continue
		}
		if out[f[1]] == nil {
			out[f[1]] = map[string]savedServer{}
		}
		out[f[1]][f[3]] = savedServer{opState: op, adminState: adm, uweight: uw}
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", path, err))
	}
	return out, errs
}

// stateFileOf is the file a backend loads its servers' state from, "" for none.
func stateFileOf(ha *haproxy.Config, b *haproxy.Backend) string {
	switch b.LoadServerState {
	case haproxy.StateGlobal:
		return ha.Global.StateFile()
	case haproxy.StateLocal:
		return b.StateFileName
	}
	return ""
}

// loadServerState restores admin state, weight and health saved by the
// previous run (`load-server-state-from-file`). A missing file is normal
// on a first start.
func (d *Daemon) loadServerState(ha *haproxy.Config) error {
	files := map[string]map[string]map[string]savedServer{}
	var errs []string
	for _, b := range ha.Backends {
		path := stateFileOf(ha, b)
		if path == "" {
			continue
		}
		saved, ok := files[path]
		if !ok {
			data, err := os.ReadFile(path)
			if err != nil && !os.IsNotExist(err) {
				errs = append(errs, err.Error())
			}
			var perrs []error
			if err == nil {
				saved, perrs = parseServerState(path, data)
			}
			for _, e := range perrs {
				errs = append(errs, e.Error())
			}
			files[path] = saved
		}
		for name, st := range saved[b.Name] {
			d.restoreServer(b, name, st)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

func (d *Daemon) restoreServer(b *haproxy.Backend, name string, st savedServer) {
	p := d.proxy.proxy
	if p.HasServer(b.Name, name) != nil {
		return // no longer configured
	}
	switch {
	case st.adminState&admForcedMaint != 0:
		p.SetServerAdmin(b.Name, name, proxy.Maint)
		if c := d.proxy.checker(b.Name, name); c != nil {
			c.SetPaused(true)
		}
	case st.adminState&admForcedDrain != 0:
		p.SetServerAdmin(b.Name, name, proxy.Drain)
	}
	if st.uweight >= 0 && st.uweight <= 256 {
		p.SetServerWeight(b.Name, name, st.uweight)
	}
	if st.opState == 0 && d.proxy.checker(b.Name, name) != nil {
		p.SetServerHealth(b.Name, name, false) // until its check says otherwise
	}
	d.log.Info("server state restored", "backend", b.Name, "server", name, "op_state", st.opState, "admin_state", st.adminState, "weight", st.uweight)
}

// saveServerState writes the state files the configuration loads from, so
// that the next start restores them (HAProxy users dump `show servers
// state` into the file before a reload; halo writes it when it stops).
func (d *Daemon) saveServerState() error {
	d.mu.Lock()
	ha := d.ha
	d.mu.Unlock()
	byFile := map[string][]string{}
	var order []string
	for _, b := range ha.Backends {
		if path := stateFileOf(ha, b); path != "" {
			if _, ok := byFile[path]; !ok {
				order = append(order, path)
			}
			byFile[path] = append(byFile[path], b.Name)
		}
	}
	if len(order) == 0 {
		return nil
	}
	snap := d.Snapshot()
	for _, path := range order {
		var buf bytes.Buffer
		if err := stats.WriteServersState(&buf, snap, byFile[path]); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		tmp := path + ".tmp"
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(tmp, buf.Bytes(), 0o600); err != nil {
			return err
		}
		if err := os.Rename(tmp, path); err != nil {
			return err
		}
	}
	return nil
}
