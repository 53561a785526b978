package stats

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func bgpSnapshot(now time.Time) Snapshot {
	return Snapshot{Time: now, Process: Process{Start: now.Add(-time.Hour)}, BGP: &BGP{
		RouterID: "198.51.100.11", LocalAS: 64512, Announced: []string{"192.0.2.100/32"}, Announces: 3, Withdrawals: 2,
		Neighbors: []BGPNeighbor{
			{Address: "198.51.100.1", RemoteAS: 64500, State: "established", Since: now.Add(-90 * time.Second), Advertised: 1},
			{Address: "198.51.100.2", RemoteAS: 64501, State: "active", Flaps: 4, LastError: "hold timer expired", LastErrorAt: now.Add(-time.Minute)},
		},
		Owners: []BGPOwner{
			{Name: "bgp_announce WEB", Prefixes: []string{"192.0.2.100/32"}, Announce: true},
			{Name: "vrrp_instance VI_1", Prefixes: []string{"192.0.2.200/32"}, Reason: "not MASTER"},
		},
	}}
}

func TestBGPInEveryView(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	s := bgpSnapshot(now)
	mfs := parseMetrics(t, metricsText(t, s))
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"halo_bgp_neighbor_up", map[string]string{"neighbor": "198.51.100.1", "remote_as": "64500"}, 1},
		{"halo_bgp_neighbor_up", map[string]string{"neighbor": "198.51.100.2"}, 0},
		{"halo_bgp_neighbor_state", map[string]string{"neighbor": "198.51.100.2", "state": "active"}, 1},
		{"halo_bgp_neighbor_state", map[string]string{"neighbor": "198.51.100.2", "state": "established"}, 0},
		{"halo_bgp_neighbor_uptime_seconds", map[string]string{"neighbor": "198.51.100.1"}, 90},
		{"halo_bgp_neighbor_flaps_total", map[string]string{"neighbor": "198.51.100.2"}, 4},
		{"halo_bgp_announced_prefixes", nil, 1},
		{"halo_bgp_withdrawals_total", nil, 2},
		{"halo_bgp_route_announce", map[string]string{"owner": "vrrp_instance VI_1"}, 0},
	}
	for _, c := range checks {
		if got, ok := value(mfs, c.name, c.labels); !ok || got != c.want {
			t.Errorf("%s%v = %v (present %t), want %v", c.name, c.labels, got, ok, c.want)
		}
	}

	var text bytes.Buffer
	if err := WriteBGP(&text, s); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"router-id 198.51.100.11, AS 64512", "announcing 192.0.2.100/32", "198.51.100.2", "hold timer expired", "not MASTER"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("show bgp lacks %q:\n%s", want, text.String())
		}
	}
	var status bytes.Buffer
	if err := WriteStatus(&status, s); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(status.String(), "\nBGP\n") || !strings.Contains(status.String(), "established") {
		t.Errorf("halo status lacks the BGP section:\n%s", status.String())
	}
	var js bytes.Buffer
	if err := WriteBGPJSON(&js, Snapshot{}); err != nil {
		t.Fatal(err)
	}
	var v struct{ BGP BGP }
	if err := json.Unmarshal(js.Bytes(), &v); err != nil || v.BGP.Neighbors == nil {
		t.Errorf("show bgp json without a speaker: %v %s", err, js.String())
	}
}
