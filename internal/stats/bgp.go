package stats

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// WriteBGP writes `show bgp`: the speaker, each neighbor's session, and
// each owner of routes with whether it announces them and why not.
func WriteBGP(w io.Writer, s Snapshot) error {
	bw := bufio.NewWriter(w)
	if s.BGP == nil {
		bw.WriteString("no bgp_speaker configured\n")
		return bw.Flush()
	}
	statusBGP(bw, s, newClock(s))
	return bw.Flush()
}

// WriteBGPJSON writes `show bgp json`.
func WriteBGPJSON(w io.Writer, s Snapshot) error {
	b := s.BGP
	if b == nil {
		b = &BGP{}
	}
	out := *b
	out.Announced, out.Neighbors, out.Owners = nonNil(out.Announced), nonNil(out.Neighbors), nonNil(out.Owners)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		BGP BGP `json:"bgp"`
	}{out})
}

func statusBGP(w *bufio.Writer, s Snapshot, c clock) {
	b := s.BGP
	state := ""
	switch {
	case b.Maintenance && b.GracefulShutdown:
		state = ", handing over: routes carry GRACEFUL_SHUTDOWN"
	case b.Maintenance:
		state = ", handed over: nothing announced"
	case b.GracefulShutdown:
		state = ", stopping: routes carry GRACEFUL_SHUTDOWN"
	}
	announced := "nothing"
	if len(b.Announced) > 0 {
		announced = strings.Join(b.Announced, ", ")
	}
	fmt.Fprintf(w, "  router-id %s, AS %d%s\n", b.RouterID, b.LocalAS, state)
	fmt.Fprintf(w, "  announcing %s (%d announced, %d withdrawn since start)\n", announced, b.Announces, b.Withdrawals)
	if b.LastError != "" {
		fmt.Fprintf(w, "  last error %s ago: %s\n", age(c.now.Sub(b.LastErrorAt)), b.LastError)
	}
	t := &textTable{indent: "  "}
	t.row("NEIGHBOR", "AS", "STATE", "UP", "PREFIXES", "FLAPS", "LAST ERROR")
	for _, n := range b.Neighbors {
		up := "-"
		if !n.Since.IsZero() {
			up = age(c.now.Sub(n.Since))
		}
		last := "-"
		if n.LastError != "" {
			last = n.LastError + " (" + age(c.now.Sub(n.LastErrorAt)) + " ago)"
		}
		t.row(n.Address, strconv.FormatUint(uint64(n.RemoteAS), 10), n.State, up,
			strconv.FormatUint(n.Advertised, 10), strconv.FormatUint(n.Flaps, 10), last)
	}
	t.write(w)
	if len(b.Owners) > 0 {
		t := &textTable{indent: "  "}
		t.row("ANNOUNCED BY", "PREFIXES", "ANNOUNCE", "REASON")
		for _, o := range b.Owners {
			yes := "yes"
			if !o.Announce {
				yes = "no"
			}
			reason := o.Reason
			if reason == "" {
				reason = "-"
			}
			t.row(o.Name, strings.Join(o.Prefixes, ","), yes, reason)
		}
		t.write(w)
	}
}

var bgpStates = []string{"idle", "connect", "active", "opensent", "openconfirm", "established"}

func writeBGP(e *expo, c clock, s Snapshot) {
	b := s.BGP
	if b == nil {
		return
	}
	e.family("halo_bgp_announced_prefixes", gauge, "Prefixes the BGP speaker announces now.")
	e.sample("halo_bgp_announced_prefixes", "", "", float64(len(b.Announced)))
	e.family("halo_bgp_announces_total", counter, "Prefixes announced since start.")
	e.sample("halo_bgp_announces_total", "", "", float64(b.Announces))
	e.family("halo_bgp_withdrawals_total", counter, "Prefixes withdrawn since start.")
	e.sample("halo_bgp_withdrawals_total", "", "", float64(b.Withdrawals))
	e.family("halo_bgp_maintenance", gauge, "1 while a handover keeps the routes withdrawn.")
	e.sample("halo_bgp_maintenance", "", "", is(b.Maintenance))
	e.family("halo_bgp_graceful_shutdown", gauge, "1 while the routes carry GRACEFUL_SHUTDOWN.")
	e.sample("halo_bgp_graceful_shutdown", "", "", is(b.GracefulShutdown))
	e.family("halo_bgp_neighbor_up", gauge, "1 while the session with the neighbor is established.")
	for _, n := range b.Neighbors {
		e.sample("halo_bgp_neighbor_up", bgpLabels(n), "", is(n.State == "established"))
	}
	e.family("halo_bgp_neighbor_state", gauge, "The neighbor's session state (RFC 4271 section 8), one series per state.")
	for _, n := range b.Neighbors {
		for _, st := range bgpStates {
			e.sample("halo_bgp_neighbor_state", bgpLabels(n), label("state", st), is(n.State == st))
		}
	}
	e.family("halo_bgp_neighbor_uptime_seconds", gauge, "Seconds since the session was established; 0 while down.")
	for _, n := range b.Neighbors {
		up := 0.0
		if !n.Since.IsZero() {
			up = float64(c.since(n.Since))
		}
		e.sample("halo_bgp_neighbor_uptime_seconds", bgpLabels(n), "", up)
	}
	e.family("halo_bgp_neighbor_advertised_prefixes", gauge, "Prefixes sent to the neighbor now.")
	for _, n := range b.Neighbors {
		e.sample("halo_bgp_neighbor_advertised_prefixes", bgpLabels(n), "", float64(n.Advertised))
	}
	e.family("halo_bgp_neighbor_flaps_total", counter, "Established sessions with the neighbor that ended.")
	for _, n := range b.Neighbors {
		e.sample("halo_bgp_neighbor_flaps_total", bgpLabels(n), "", float64(n.Flaps))
	}
	e.family("halo_bgp_route_announce", gauge, "1 while the owner (bgp_announce block or vrrp_instance) wants its prefixes announced.")
	for _, o := range b.Owners {
		e.sample("halo_bgp_route_announce", label("owner", o.Name), "", is(o.Announce))
	}
}

func bgpLabels(n BGPNeighbor) string {
	return labels(label("neighbor", n.Address), label("remote_as", strconv.FormatUint(uint64(n.RemoteAS), 10)))
}
