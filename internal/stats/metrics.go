package stats

import (
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"
)

// vrrpStates numbers keepalived_vrrp_state as keepalived and its
// exporters do.
var vrrpStates = map[string]float64{"INIT": 0, "BACKUP": 1, "MASTER": 2, "FAULT": 3}

// vrrpFams are the per-instance families, labelled iname, intf and vrid as
// the keepalived exporters label them.
var vrrpFams = []fam[Instance]{
	{name: "keepalived_vrrp_state", typ: gauge, help: "VRRP state: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT.",
		val: func(in *Instance, _ clock) float64 {
			if v, ok := vrrpStates[in.State]; ok {
				return v
			}
			return nan
		}},
	{name: "keepalived_vrrp_priority", typ: gauge, help: "Configured priority of the instance (halo).", val: func(in *Instance, _ clock) float64 { return float64(in.BasePriority) }},
	{name: "keepalived_vrrp_effective_priority", typ: gauge, help: "Priority advertised now, after tracking (halo).", val: func(in *Instance, _ clock) float64 { return float64(in.EffectivePriority) }},
	vrrpCounter("keepalived_advertisements_received_total", "Adverts received.", func(c *VRRPCounters) int64 { return c.AdvertsReceived }),
	vrrpCounter("keepalived_advertisements_sent_total", "Adverts sent.", func(c *VRRPCounters) int64 { return c.AdvertsSent }),
	vrrpCounter("keepalived_become_master_total", "Times the instance became MASTER.", func(c *VRRPCounters) int64 { return c.BecomeMaster }),
	vrrpCounter("keepalived_release_master_total", "Times the instance left MASTER.", func(c *VRRPCounters) int64 { return c.ReleaseMaster }),
	vrrpCounter("keepalived_packet_length_errors_total", "Adverts dropped for their length.", func(c *VRRPCounters) int64 { return c.PacketLengthErrors }),
	vrrpCounter("keepalived_advertisements_interval_errors_total", "Adverts dropped for an advert interval other than ours.", func(c *VRRPCounters) int64 { return c.AdvertIntervalErrors }),
	vrrpCounter("keepalived_ip_ttl_errors_total", "Adverts dropped for a TTL or hop limit other than 255.", func(c *VRRPCounters) int64 { return c.IPTTLErrors }),
	vrrpCounter("keepalived_invalid_type_received_total", "Packets dropped for a VRRP type other than advertisement.", func(c *VRRPCounters) int64 { return c.InvalidTypeReceived }),
	vrrpCounter("keepalived_address_list_errors_total", "Adverts whose address list differs from ours.", func(c *VRRPCounters) int64 { return c.AddressListErrors }),
	vrrpCounter("keepalived_authentication_invalid_total", "Adverts dropped for an unknown authentication type.", func(c *VRRPCounters) int64 { return c.AuthInvalid }),
	vrrpCounter("keepalived_authentication_mismatch_total", "Adverts dropped for an authentication type other than ours.", func(c *VRRPCounters) int64 { return c.AuthTypeMismatch }),
	vrrpCounter("keepalived_authentication_failure_total", "Adverts dropped for a wrong password.", func(c *VRRPCounters) int64 { return c.AuthFailure }),
	vrrpCounter("keepalived_priority_zero_received_total", "Priority 0 adverts received: a master leaving.", func(c *VRRPCounters) int64 { return c.PriorityZeroReceived }),
	vrrpCounter("keepalived_priority_zero_sent_total", "Priority 0 adverts sent: this master leaving.", func(c *VRRPCounters) int64 { return c.PriorityZeroSent }),
	vrrpCounter("keepalived_version_errors_total", "Packets dropped for a VRRP version other than ours (halo).", func(c *VRRPCounters) int64 { return c.VersionErrors }),
	vrrpCounter("keepalived_checksum_errors_total", "Packets dropped for a bad checksum (halo).", func(c *VRRPCounters) int64 { return c.ChecksumErrors }),
	vrrpCounter("keepalived_send_errors_total", "Adverts that could not be sent (halo).", func(c *VRRPCounters) int64 { return c.SendErrors }),
}

func vrrpCounter(name, help string, get func(*VRRPCounters) int64) fam[Instance] {
	return fam[Instance]{name: name, typ: counter, help: help,
		val: func(in *Instance, _ clock) float64 { return float64(get(&in.Counters)) }}
}

// WriteMetrics writes the Prometheus text exposition of s: the process,
// every frontend, backend and server as HAProxy's exporter names them,
// every VRRP instance as the keepalived exporters name them, and halo's
// own families. Everything comes from s, so a reload that removed a
// backend leaves no series of it behind.
func WriteMetrics(w io.Writer, s Snapshot) error {
	e := newExpo(w)
	c := newClock(s)
	for _, f := range processFams {
		e.family(f.name, f.typ, f.help)
		e.sample(f.name, "", "", f.val(s.Process, c))
	}
	e.family("haproxy_process_build_info", gauge, "Version of the running halo, as a label.")
	e.sample("haproxy_process_build_info", label("version", s.Process.Version), "", 1)

	fes := make([]obj[Frontend], len(s.Frontends))
	for i := range s.Frontends {
		fes[i] = obj[Frontend]{label("proxy", s.Frontends[i].Name), &s.Frontends[i]}
	}
	writeFams(e, c, fes, frontendFams)

	bes := make([]obj[Backend], len(s.Backends))
	var svs []obj[Server]
	for i := range s.Backends {
		be := &s.Backends[i]
		px := label("proxy", be.Name)
		bes[i] = obj[Backend]{px, be}
		for j := range be.Servers {
			svs = append(svs, obj[Server]{px + "," + label("server", be.Servers[j].Name), &be.Servers[j]})
		}
	}
	writeFams(e, c, bes, backendFams)
	writeFams(e, c, svs, serverFams)

	writeVRRP(e, c, s)
	writeBGP(e, c, s)
	writeHalo(e, c, s)
	if err := e.flush(); err != nil {
		return fmt.Errorf("write metrics: %w", err)
	}
	return nil
}

func writeVRRP(e *expo, c clock, s Snapshot) {
	if len(s.VRRP) == 0 && len(s.Scripts) == 0 {
		return
	}
	e.family("keepalived_up", gauge, "1: the VRRP part of halo runs.")
	e.sample("keepalived_up", "", "", 1)
	ins := make([]obj[Instance], len(s.VRRP))
	for i := range s.VRRP {
		in := &s.VRRP[i]
		ins[i] = obj[Instance]{labels(label("iname", in.Name), label("intf", in.Interface),
			label("vrid", strconv.Itoa(int(in.VRID)))), in}
	}
	writeFams(e, c, ins, vrrpFams)
	if len(s.Scripts) > 0 {
		e.family("keepalived_script_status", gauge, "vrrp_script verdict: 1 GOOD, 0 BAD or not yet known.")
		for _, sc := range s.Scripts {
			e.sample("keepalived_script_status", label("name", sc.Name), "", is(sc.Good))
		}
	}
	e.family("halo_vip_present", gauge, "1 while the virtual address is on the host.")
	for _, o := range ins {
		for _, v := range o.v.VIPs {
			e.sample("halo_vip_present", o.labels, label("ip_address", v.Prefix.String()), is(v.Present))
		}
	}
}

func writeHalo(e *expo, c clock, s Snapshot) {
	p := s.Process
	e.family("halo_reloads_total", counter, "Reloads applied (SIGHUP or systemctl reload).")
	e.sample("halo_reloads_total", "", "", float64(p.Reloads))
	e.family("halo_reload_errors_total", counter, "Reloads refused because a file was broken; the running config stayed.")
	e.sample("halo_reload_errors_total", "", "", float64(p.ReloadErrors))
	e.family("halo_last_reload_seconds", gauge, "Seconds since the last applied reload, -1 before the first.")
	last := float64(-1)
	if !p.LastReload.IsZero() {
		last = float64(c.since(p.LastReload))
	}
	e.sample("halo_last_reload_seconds", "", "", last)
}

// metricsHandler serves /metrics: the snapshot's families, then those of a
// private registry (Go runtime and process), never the global one.
type metricsHandler struct {
	snap func() Snapshot
	reg  *prometheus.Registry
}

// MetricsHandler returns the /metrics handler. snap is called once per
// scrape; nil serves an empty snapshot. The Go runtime and process
// families (go_*, process_*) come from a registry of the handler's own,
// so that several handlers (one per reload) never collide.
func MetricsHandler(snap func() Snapshot) http.Handler {
	if snap == nil {
		snap = func() Snapshot { return Snapshot{} }
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return &metricsHandler{snap: snap, reg: reg}
}

// contentType is the text exposition format 0.0.4, which every Prometheus
// reads whatever it asks for.
const contentType = "text/plain; version=0.0.4; charset=utf-8"

func (h *metricsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "405 Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", contentType)
	if r.Method == http.MethodHead {
		return
	}
	var out io.Writer = w
	if acceptsGzip(r) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Add("Vary", "Accept-Encoding")
		zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
		defer zw.Close()
		out = zw
	}
	// Write errors mean the scraper went away; nothing is left to tell.
	if err := WriteMetrics(out, h.snap()); err != nil {
		return
	}
	mfs, err := h.reg.Gather()
	if err != nil {
		return
	}
	enc := expfmt.NewEncoder(out, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if enc.Encode(mf) != nil {
			return
		}
	}
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(enc) == "gzip" && strings.TrimSpace(q) != "q=0" {
			return true
		}
	}
	return false
}
