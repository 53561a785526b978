package stats

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// The renderers of the runtime API's `show info`, `show servers state`,
// `show backend` and halo's `show vrrp`. Like the others they read only a
// Snapshot.

// ErrNoBackend is returned by WriteServersState when a named backend does
// not exist; the runtime API answers "Can't find backend.".
var ErrNoBackend = errors.New("no such backend")

// WriteInfo writes `show info`: "Name: value" lines in the order HAProxy
// 2.6 prints them, so that scripts reading a field by name or by position
// work unchanged. Fields halo has no counterpart for (SSL, compression,
// pools, peers) are 0.
func WriteInfo(w io.Writer, s Snapshot) error {
	bw := bufio.NewWriter(w)
	c := newClock(s)
	p := s.Process
	up := c.now.Sub(p.Start)
	if p.Start.IsZero() {
		up = 0
	}
	i := func(v int64) string { return strconv.FormatInt(v, 10) }
	b := func(v bool) string {
		if v {
			return "1"
		}
		return "0"
	}
	var memAlloc uint64
	if !p.Start.IsZero() { // a live process: report the Go heap as the pools
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		memAlloc = ms.HeapAlloc
	}
	fields := [][2]string{
		{"Name", p.Name},
		{"Version", p.Version},
		{"Release_date", p.ReleaseDate},
		{"Nbthread", i(int64(p.Nbthread))},
		{"Nbproc", "1"},
		{"Process_num", "1"},
		{"Pid", i(int64(p.Pid))},
		{"Uptime", uptime(up)},
		{"Uptime_sec", i(int64(up.Seconds()))},
		{"Memmax_MB", "0"},
		{"PoolAlloc_MB", i(int64(memAlloc >> 20))},
		{"PoolUsed_MB", i(int64(memAlloc >> 20))},
		{"PoolFailed", "0"},
		{"Ulimit-n", i(int64(p.UlimitN))},
		{"Maxsock", i(int64(p.MaxSock))},
		{"Maxconn", i(int64(p.MaxConn))},
		{"Hard_maxconn", i(int64(p.HardMaxConn))},
		{"CurrConns", i(p.CurrConns)},
		{"CumConns", i(p.CumConns)},
		{"CumReq", "0"},
		{"MaxSslConns", "0"},
		{"CurrSslConns", "0"},
		{"CumSslConns", "0"},
		{"Maxpipes", "0"},
		{"PipesUsed", "0"},
		{"PipesFree", "0"},
		{"ConnRate", i(p.ConnRate)},
		{"ConnRateLimit", i(int64(p.ConnRateLim))},
		{"MaxConnRate", i(p.MaxConnRate)},
		{"SessRate", i(p.ConnRate)},
		{"SessRateLimit", i(int64(p.ConnRateLim))},
		{"MaxSessRate", i(p.MaxConnRate)},
		{"SslRate", "0"},
		{"SslRateLimit", "0"},
		{"MaxSslRate", "0"},
		{"SslFrontendKeyRate", "0"},
		{"SslFrontendMaxKeyRate", "0"},
		{"SslFrontendSessionReuse_pct", "0"},
		{"SslBackendKeyRate", "0"},
		{"SslBackendMaxKeyRate", "0"},
		{"SslCacheLookups", "0"},
		{"SslCacheMisses", "0"},
		{"CompressBpsIn", "0"},
		{"CompressBpsOut", "0"},
		{"CompressBpsRateLim", "0"},
		{"Tasks", i(int64(p.Goroutines))},
		{"Run_queue", "0"},
		{"Idle_pct", "100"},
		{"node", p.Node},
		{"Stopping", b(p.Stopping)},
		{"Jobs", i(p.CurrConns + int64(p.Listeners))},
		{"Unstoppable Jobs", "0"},
		{"Listeners", i(int64(p.Listeners))},
		{"ActivePeers", "0"},
		{"ConnectedPeers", "0"},
		{"DroppedLogs", i(p.DroppedLogs)},
		{"BusyPolling", "0"},
		{"FailedResolutions", "0"},
		{"TotalBytesOut", i(p.BytesOut)},
		{"TotalSplicdedBytesOut", "0"}, // sic: HAProxy's spelling
		{"BytesOutRate", i(p.BytesOutRate)},
		{"DebugCommandsIssued", "0"},
		{"CumRecvLogs", "0"},
		{"Build info", p.Version},
		{"Memmax_bytes", "0"},
		{"PoolAlloc_bytes", strconv.FormatUint(memAlloc, 10)},
		{"PoolUsed_bytes", strconv.FormatUint(memAlloc, 10)},
		{"Start_time_sec", i(p.Start.Unix())},
		{"Tainted", "0"},
	}
	if p.Start.IsZero() {
		fields[len(fields)-2][1] = "0"
	}
	if p.Description != "" {
		// HAProxy prints description after node only when one is set.
		at := slices.IndexFunc(fields, func(f [2]string) bool { return f[0] == "node" }) + 1
		fields = slices.Insert(fields, at, [2]string{"description", p.Description})
	}
	for _, f := range fields {
		bw.WriteString(f[0] + ": " + oneLine(f[1]) + "\n")
	}
	return bw.Flush()
}

// ServersStateHeader is the column line of `show servers state` and of a
// server-state-file, format version 1.
const ServersStateHeader = "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port"

// Codes of `show servers state`, as HAProxy numbers them.
const (
	opStopped = 0
	opRunning = 2

	admForcedMaint  = 0x01
	admConfigMaint  = 0x04
	admForcedDrain  = 0x08
	chkConfigured   = 0x02
	chkEnabled      = 0x04
	chkPaused       = 0x08
	chkResultFailed = 2
	chkResultPassed = 3
)

// checkStatusCode numbers HAProxy's check status names as its state file
// does.
var checkStatusCode = map[string]int{
	"UNK": 0, "INI": 1, "SOCKERR": 5, "L4OK": 6, "L4TOUT": 7, "L4CON": 8,
	"L6OK": 9, "L6TOUT": 10, "L6RSP": 11, "L7TOUT": 12, "L7RSP": 13,
	"L7OK": 15, "L7OKC": 16, "L7STS": 17,
}

// WriteServersState writes `show servers state [BACKEND]`, which is also
// the format of a server-state-file: the version line "1", the header,
// then one line per server. backends limits it to those backends in the
// given order (nil = all, in iid order); a name that does not exist is
// ErrNoBackend and nothing is written.
func WriteServersState(w io.Writer, s Snapshot, backends []string) error {
	var list []*Backend
	if backends == nil {
		for i := range s.Backends {
			if !s.Backends[i].Stats {
				list = append(list, &s.Backends[i])
			}
		}
		slices.SortStableFunc(list, func(a, b *Backend) int { return a.ID - b.ID })
	} else {
		for _, name := range backends {
			i := slices.IndexFunc(s.Backends, func(b Backend) bool { return b.Name == name })
			if i < 0 {
				return fmt.Errorf("backend %q: %w", name, ErrNoBackend)
			}
			list = append(list, &s.Backends[i])
		}
	}
	c := newClock(s)
	bw := bufio.NewWriter(w)
	bw.WriteString("1\n" + ServersStateHeader + "\n")
	for _, be := range list {
		for _, sv := range be.Servers {
			writeServerState(bw, c, be, &sv)
		}
	}
	return bw.Flush()
}

func writeServerState(w *bufio.Writer, c clock, be *Backend, sv *Server) {
	op := opRunning
	if !sv.Up || sv.Admin == AdminMaint {
		op = opStopped
	}
	adm := 0
	switch {
	case sv.Admin == AdminMaint && sv.AdminFromConfig:
		adm = admForcedMaint | admConfigMaint
	case sv.Admin == AdminMaint:
		adm = admForcedMaint
	case sv.Admin == AdminDrain:
		adm = admForcedDrain
	}
	status, result, health, state := 1, 0, 2, 0 // no check: INI, unknown, rise, none
	if ck := sv.Check; ck != nil {
		status = checkStatusCode[ck.Status]
		health = ck.Health
		switch {
		case ck.Status == "INI" || ck.Status == "UNK" || ck.Status == "":
			status, result = 1, 0
		case strings.HasSuffix(ck.Status, "OK") || ck.Status == "L7OKC":
			result = chkResultPassed
		default:
			result = chkResultFailed
		}
		state = chkConfigured
		if ck.Enabled {
			state |= chkEnabled
		}
		if sv.Admin == AdminMaint {
			state |= chkPaused
		}
	}
	addr := sv.Addr
	if addr == "" {
		addr = "-"
	}
	fmt.Fprintf(w, "%d %s %d %s %s %d %d %d %d %d %d %d %d %d 0 0 0 - %d - 0 0 - - 0\n",
		be.ID, be.Name, sv.ID, sv.Name, addr, op, adm, sv.UWeight, sv.IWeight,
		c.since(sv.LastChange), status, result, health, state, sv.Port)
}

// WriteBackendList writes `show backend`: "# name", then every backend
// in iid order.
func WriteBackendList(w io.Writer, s Snapshot) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("# name\n")
	list := slices.Clone(s.Backends)
	slices.SortStableFunc(list, func(a, b Backend) int { return a.ID - b.ID })
	for _, be := range list {
		bw.WriteString(be.Name + "\n")
	}
	return bw.Flush()
}

// WriteVRRP writes halo's `show vrrp`: per instance its state and why,
// base and effective priority with each tracker's share, the master and
// the age of its last advert, the VIPs and whether each is on the host,
// then the packet counters, drops by kind.
func WriteVRRP(w io.Writer, s Snapshot) error {
	bw := bufio.NewWriter(w)
	c := newClock(s)
	if len(s.VRRP) == 0 {
		bw.WriteString("no vrrp_instance configured\n")
	}
	for _, in := range s.VRRP {
		state := in.State
		if in.Maintenance {
			state += " (handed over)"
		}
		fmt.Fprintf(bw, "%s: vrid %d, %s, VRRPv%d, IPv%d\n", in.Name, in.VRID, in.Interface, in.Version, in.Family)
		since := "never changed"
		if !in.Since.IsZero() {
			since = "for " + age(c.now.Sub(in.Since))
		}
		fmt.Fprintf(bw, "  state       %s %s (%s)\n", state, since, in.Reason)
		fmt.Fprintf(bw, "  priority    %d effective, %d configured\n", in.EffectivePriority, in.BasePriority)
		for _, t := range in.Trackers {
			fmt.Fprintf(bw, "    %-9s %-20s %s\n", t.Kind, t.Name, trackerText(t))
		}
		fmt.Fprintf(bw, "  master      %s\n", masterText(in))
		last := "none received"
		if !in.LastAdvert.IsZero() {
			last = age(c.now.Sub(in.LastAdvert)) + " ago"
		}
		fmt.Fprintf(bw, "  last advert %s (interval %s)\n", last, in.AdvertInterval)
		for _, v := range in.VIPs {
			where := "absent"
			if v.Present {
				where = "present"
			}
			if v.Excluded {
				where += ", excluded"
			}
			fmt.Fprintf(bw, "  vip         %s dev %s %s\n", v.Prefix, v.Dev, where)
		}
		k := in.Counters
		fmt.Fprintf(bw, "  adverts     %d received, %d sent; became master %d, released %d\n",
			k.AdvertsReceived, k.AdvertsSent, k.BecomeMaster, k.ReleaseMaster)
		fmt.Fprintf(bw, "  dropped     length %d, ttl %d, type %d, version %d, checksum %d, addresses %d, interval %d, auth %d/%d/%d, other interface %d\n",
			k.PacketLengthErrors, k.IPTTLErrors, k.InvalidTypeReceived, k.VersionErrors, k.ChecksumErrors,
			k.AddressListErrors, k.AdvertIntervalErrors, k.AuthInvalid, k.AuthTypeMismatch, k.AuthFailure, k.OtherInterface)
		fmt.Fprintf(bw, "  priority 0  %d received, %d sent; send errors %d\n", k.PriorityZeroReceived, k.PriorityZeroSent, k.SendErrors)
	}
	for _, sc := range s.Scripts {
		fmt.Fprintf(bw, "script %s: %s\n", sc.Name, sc.Status)
	}
	for _, g := range s.Groups {
		fmt.Fprintf(bw, "sync group %s: %s (%s)\n", g.Name, g.State, strings.Join(g.Members, ", "))
	}
	return bw.Flush()
}

// WriteVRRPJSON writes `show vrrp json`: the vrrp, scripts and sync_groups
// parts of the status JSON.
func WriteVRRPJSON(w io.Writer, s Snapshot) error {
	s = withEmptyLists(s)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		VRRP    []Instance  `json:"vrrp"`
		Scripts []Script    `json:"scripts"`
		Groups  []SyncGroup `json:"sync_groups"`
	}{s.VRRP, s.Scripts, s.Groups})
}
