package stats

import (
	"net/netip"
	"time"
)

// DemoSnapshot is a node of the seed's two-node site in a busy moment,
// with every state the renderers draw: a VRRP master whose tracking lowers
// its priority, a backup that hears a peer, an IPv6 instance in FAULT;
// servers UP, DOWN, going down, in maintenance, draining, ramping up after
// slowstart, unchecked backups; a stats page. The screenshot script, the
// golden tests and the documentation render it. now is the snapshot's
// time; everything else is placed relative to it.
func DemoSnapshot(now time.Time) Snapshot {
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	start := ago(76*time.Hour + 12*time.Minute + 9*time.Second)
	ck := func(status string, code int, ms int, desc, detail string, health int, failed, downs int64) *Check {
		return &Check{Enabled: true, Status: status, Code: code, Duration: time.Duration(ms) * time.Millisecond,
			Desc: desc, Detail: detail, Rise: 2, Fall: 3, Health: health, Failed: failed, Downs: downs,
			LastCheck: ago(700 * time.Millisecond), Kind: "tcp"}
	}
	l4ok := func() *Check { return ck("L4OK", 0, 1, "Layer4 check passed", "", 4, 0, 0) }
	masters := Backend{
		Name: "masters", ID: 3, Mode: "tcp", Algo: "source", Status: "UP", FullConn: 400,
		LastChange: start, ChkDown: 0,
		Counters: Counters{Scur: 41, Smax: 120, Stot: 184220, Bin: 9_812_443_012, Bout: 61_220_981_330,
			Econ: 14, Wretr: 14, Wredis: 2, LbTot: 184220, CliAbrt: 31, SrvAbrt: 5, Rate: 12, RateMax: 310,
			LastSess: ago(time.Second)},
		Servers: []Server{
			{Name: "master-0", ID: 1, Addr: "192.0.2.21", Port: 6443, Status: "UP", Admin: AdminReady, Up: true,
				Weight: 1, UWeight: 1, IWeight: 1, LastChange: ago(51*time.Hour + 3*time.Minute),
				Downtime: 42 * time.Second, Check: ck("L4OK", 0, 1, "Layer4 check passed", "", 4, 3, 1),
				Counters: Counters{Scur: 21, Smax: 64, Stot: 92110, Bin: 4_906_221_506, Bout: 30_610_490_665,
					LbTot: 92110, Rate: 6, RateMax: 160, LastSess: ago(time.Second)}},
			{Name: "master-1", ID: 2, Addr: "192.0.2.22", Port: 6443, Status: "DOWN", Admin: AdminReady,
				Weight: 1, UWeight: 1, IWeight: 1, LastChange: ago(2*time.Minute + 7*time.Second),
				Downtime: 2*time.Minute + 7*time.Second,
				Check:    ck("L4CON", 0, 0, "Layer4 connection problem", "Connection refused", 0, 12, 2),
				Counters: Counters{Stot: 46030, Bin: 2_453_110_250, Bout: 15_305_245_332, Econ: 14, Wretr: 14,
					Wredis: 2, LbTot: 46030, LastSess: ago(2 * time.Minute)}},
			{Name: "master-2", ID: 3, Addr: "192.0.2.23", Port: 6443, Status: "UP", Admin: AdminReady, Up: true,
				Weight: 1, UWeight: 1, IWeight: 1, LastChange: start, Check: l4ok(),
				Counters: Counters{Scur: 20, Smax: 61, Stot: 46080, Bin: 2_453_111_256, Bout: 15_305_245_333,
					LbTot: 46080, Rate: 6, RateMax: 150, LastSess: ago(time.Second)}},
			{Name: "bootstrap", ID: 4, Addr: "192.0.2.29", Port: 6443, Status: "MAINT", Admin: AdminMaint,
				AdminFromConfig: true, Weight: 1, UWeight: 1, IWeight: 1, LastChange: start,
				Downtime: 76*time.Hour + 12*time.Minute + 9*time.Second, Check: l4ok()},
		},
	}
	routers := Backend{
		Name: "routers", ID: 5, Mode: "tcp", Algo: "roundrobin", Status: "UP", FullConn: 400,
		LastChange: start,
		Counters: Counters{Scur: 310, Smax: 902, Stot: 4_021_887, Bin: 88_021_331_010, Bout: 702_331_920_114,
			Econ: 3, Wretr: 3, LbTot: 4_021_887, Qcur: 0, Qmax: 17, CliAbrt: 911, SrvAbrt: 40, Rate: 210, RateMax: 1840,
			LastSess: now},
		Servers: []Server{
			{Name: "router-0", ID: 1, Addr: "192.0.2.31", Port: 443, Status: "UP", Admin: AdminReady, Up: true,
				Weight: 10, UWeight: 10, IWeight: 10, MaxConn: 2000, MaxQueue: 100, LastChange: start,
				Check: ck("L7OK", 200, 3, "Layer7 check passed", "OK", 4, 0, 0),
				Counters: Counters{Scur: 155, Smax: 460, Stot: 2_010_001, Bin: 44_010_665_505, Bout: 351_165_960_057,
					LbTot: 2_010_001, Qmax: 9, Rate: 105, RateMax: 930, LastSess: now}},
			{Name: "router-1", ID: 2, Addr: "192.0.2.32", Port: 443, Status: "UP 2/3", Admin: AdminReady, Up: true,
				Weight: 10, UWeight: 10, IWeight: 10, MaxConn: 2000, MaxQueue: 100, LastChange: ago(5*time.Hour + 2*time.Minute),
				Check: ck("L7STS", 503, 2, "Layer7 wrong status", "Service Unavailable", 3, 1, 0),
				Counters: Counters{Scur: 150, Smax: 450, Stot: 2_008_886, Bin: 44_010_665_505, Bout: 351_165_960_057,
					LbTot: 2_008_886, Qmax: 8, Econ: 3, Wretr: 3, Rate: 105, RateMax: 910, LastSess: now}},
			{Name: "router-2", ID: 3, Addr: "192.0.2.33", Port: 443, Status: "DRAIN", Admin: AdminDrain, Up: true,
				Weight: 0, UWeight: 10, IWeight: 10, LastChange: ago(9 * time.Minute),
				Check:    ck("L7OK", 200, 4, "Layer7 check passed", "OK", 4, 0, 0),
				Counters: Counters{Scur: 5, Smax: 400, Stot: 3000, LbTot: 3000, LastSess: ago(9 * time.Minute)}},
			{Name: "router-3", ID: 4, Addr: "192.0.2.34", Port: 443, Status: "UP", Admin: AdminReady, Up: true,
				Weight: 3, UWeight: 10, IWeight: 10, Throttle: 30, LastChange: ago(18 * time.Second),
				Downtime: 4 * time.Minute, Check: ck("L7OK", 200, 2, "Layer7 check passed", "OK", 4, 20, 1)},
			{Name: "spare", ID: 5, Addr: "router-spare.example", Port: 443, Status: "no check", Admin: AdminReady,
				Up: true, Backup: true, Weight: 1, UWeight: 1, IWeight: 1, LastChange: start},
		},
	}
	ingress := Frontend{
		Name: "routers", ID: 5, Mode: "tcp", Status: "OPEN", MaxConn: 20000, Kind: "proxy",
		Listeners: []string{"192.0.2.10:443", "192.0.2.10:80"},
		Counters: Counters{Scur: 310, Smax: 902, Stot: 4_021_890, Bin: 88_021_331_010, Bout: 702_331_920_114,
			Denied: 3, Rate: 210, RateMax: 1840},
	}
	return Snapshot{
		Time: now,
		Process: Process{
			Name: "halo", Version: "0.9.0", ReleaseDate: "2026/11/30", Pid: 4242, Start: start, Nbthread: 2,
			Node: "lb1", UlimitN: 20000, MaxSock: 20000, MaxConn: 20000, HardMaxConn: 20000,
			CurrConns: 351, CumConns: 4_206_110, ConnRate: 222, MaxConnRate: 1902, Listeners: 4,
			BytesOut: 763_552_901_444, BytesOutRate: 31_000_112, Goroutines: 1408,
			LastReload: ago(3*time.Hour + 40*time.Minute), Reloads: 2, ReloadErrors: 1,
		},
		Frontends: []Frontend{
			{Name: "api", ID: 2, Mode: "tcp", Status: "OPEN", MaxConn: 20000, Kind: "proxy",
				Listeners: []string{"192.0.2.10:6443"},
				Counters: Counters{Scur: 41, Smax: 120, Stot: 184220, Bin: 9_812_443_012, Bout: 61_220_981_330,
					Rate: 12, RateMax: 310}},
			ingress,
			{Name: "stats", ID: 6, Mode: "http", Status: "OPEN", MaxConn: 20000, Kind: "stats",
				Listeners: []string{"0.0.0.0:9000"},
				Counters:  Counters{Scur: 1, Smax: 2, Stot: 88, Bin: 30_112, Bout: 2_301_887, Rate: 1, RateMax: 2}},
		},
		Backends: []Backend{
			masters, routers,
			{Name: "stats", ID: 6, Mode: "http", Algo: "roundrobin", Status: "UP", Stats: true, FullConn: 2000,
				LastChange: start, Counters: Counters{Bin: 30_112, Bout: 2_301_887}},
		},
		VRRP: []Instance{
			{Name: "VI_1", VRID: 51, Interface: "eth0", Version: 2, Family: 4, State: "MASTER",
				Reason: "master-down timer expired", Since: ago(2*time.Minute + 5*time.Second),
				BasePriority: 100, EffectivePriority: 110,
				Trackers: []Tracker{
					{Kind: "backend", Name: "masters", Up: true, Weight: 10, Delta: 10},
					{Kind: "script", Name: "chk_haproxy", Up: true, Weight: -20, Delta: 0},
					{Kind: "interface", Name: "eth2", Up: true, Weight: 0, Delta: 0},
				},
				Master: netip.MustParseAddr("192.0.2.2"), MasterPriority: 110, AdvertInterval: time.Second,
				VIPs: []VIP{
					{Prefix: netip.MustParsePrefix("192.0.2.10/24"), Dev: "eth0", Present: true},
					{Prefix: netip.MustParsePrefix("192.0.2.11/24"), Dev: "eth0", Present: true},
				},
				Counters: VRRPCounters{AdvertsReceived: 270_001, AdvertsSent: 125, BecomeMaster: 2, ReleaseMaster: 1,
					AuthFailure: 3, PriorityZeroReceived: 1}},
			{Name: "VI_2", VRID: 52, Interface: "eth0", Version: 2, Family: 4, State: "BACKUP",
				Reason: "higher priority master 192.0.2.3 (150)", Since: start,
				BasePriority: 90, EffectivePriority: 80,
				Trackers: []Tracker{
					{Kind: "script", Name: "chk_haproxy", Up: true, Weight: -20, Delta: 0},
					{Kind: "backend", Name: "routers", Up: false, Weight: 10, Reverse: false, Delta: -10},
				},
				Master: netip.MustParseAddr("192.0.2.3"), MasterPriority: 150, AdvertInterval: time.Second,
				LastAdvert: ago(300 * time.Millisecond),
				VIPs:       []VIP{{Prefix: netip.MustParsePrefix("192.0.2.12/24"), Dev: "eth0"}},
				Counters:   VRRPCounters{AdvertsReceived: 274_321}},
			{Name: "VI_6", VRID: 61, Interface: "eth1", Version: 3, Family: 6, State: "FAULT",
				Reason: "interface eth1 is down", Since: ago(40 * time.Second),
				BasePriority: 100, EffectivePriority: 100,
				Trackers:       []Tracker{{Kind: "interface", Name: "eth1", Up: false, Fault: true}},
				AdvertInterval: time.Second,
				VIPs:           []VIP{{Prefix: netip.MustParsePrefix("2001:db8::10/64"), Dev: "eth1"}},
				Counters:       VRRPCounters{AdvertsSent: 40, PacketLengthErrors: 2, IPTTLErrors: 1}},
		},
		Scripts: []Script{{Name: "chk_haproxy", Good: true, Status: "GOOD"}},
		BGP: &BGP{RouterID: "198.51.100.11", LocalAS: 64512, Announced: []string{"192.0.2.100/32"}, Announces: 3, Withdrawals: 2,
			Neighbors: []BGPNeighbor{{Address: "198.51.100.1", RemoteAS: 64500, State: "established", Since: ago(3 * time.Hour), Advertised: 1, Flaps: 1,
				LastError: "hold timer expired", LastErrorAt: ago(3*time.Hour + time.Minute)}},
			Owners: []BGPOwner{{Name: "bgp_announce WEB", Prefixes: []string{"192.0.2.100/32"}, Announce: true}}},
	}
}
