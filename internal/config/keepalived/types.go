package keepalived

import (
	"net"
	"net/netip"
	"time"
)

// Config is a validated keepalived.conf (with its includes). Every default
// is applied (the defaults are constants in parse.go), so consumers never look at a zero value and
// guess; where a zero value is meaningful its field comment says what it
// means.
type Config struct {
	File       string // path as given to Load or Parse
	Global     GlobalDefs
	Scripts    map[string]*Script // vrrp_script blocks by name
	Instances  []*Instance        // in file order
	SyncGroups []*SyncGroup       // in file order
	// Set while halo runs, whatever the VRRP state: static_ipaddress,
	// static_routes and static_rules.
	StaticAddresses []VIP
	StaticRoutes    []Route
	StaticRules     []Rule
	// BGP is bgp_speaker (halo); nil = no BGP. Announces are the
	// bgp_announce blocks, in file order.
	BGP       *BGPSpeaker
	Announces []*BGPAnnounce
}

// Instance returns the vrrp_instance named name, or nil.
func (c *Config) Instance(name string) *Instance {
	for _, in := range c.Instances {
		if in.Name == name {
			return in
		}
	}
	return nil
}

// GlobalDefs is the global_defs block (several blocks are merged).
type GlobalDefs struct {
	RouterID                string        // informational only
	VRRPVersion             int           // vrrp_version: 2 (default) or 3; instances inherit it
	GarpMasterDelay         time.Duration // vrrp_garp_master_delay: second GARP burst after becoming master; 5s; 0 = no second burst
	GarpMasterRepeat        int           // vrrp_garp_master_repeat: GARPs (or NAs) per burst; 5
	GarpMasterRefresh       time.Duration // vrrp_garp_master_refresh: periodic GARP while master; 0 = off
	GarpMasterRefreshRepeat int           // vrrp_garp_master_refresh_repeat: GARPs per refresh; 1
	GarpInterval            time.Duration // vrrp_garp_interval: pause between GARPs of one burst; 0 = back to back
	GNAInterval             time.Duration // vrrp_gna_interval: pause between unsolicited NAs of one burst; 0 = back to back
	GarpLowerPrioDelay      time.Duration // vrrp_garp_lower_prio_delay: second burst after a lower-priority advert heard as master; vrrp_garp_master_delay
	GarpLowerPrioRepeat     int           // vrrp_garp_lower_prio_repeat: GARPs per such burst; vrrp_garp_master_repeat; 0 = no re-announce
	// HigherPrioSendAdvert is vrrp_higher_prio_send_advert: a master that
	// hears a higher priority sends one advert before it yields, so the
	// winner re-announces the VIPs. halo's default is true.
	HigherPrioSendAdvert bool
	McastGroup4          netip.Addr // vrrp_mcast_group4: 224.0.0.18
	McastGroup6          netip.Addr // vrrp_mcast_group6: ff02::12
	// V3PseudoHeader is halo's vrrp_v3_checksum_pseudo_header: whether the
	// VRRPv3-over-IPv4 checksum includes the IPv4 pseudo-header. true
	// (default) is keepalived's behaviour; false is RFC 9568's. Instances
	// inherit it (Instance.V3PseudoHeader).
	V3PseudoHeader       bool
	ScriptUser           string // script_user USER [GROUP]: "" = run scripts as the current user
	ScriptGroup          string // "" = the user's primary group
	ScriptUserFile       string // where script_user is written, for diagnostics
	ScriptUserLine       int
	EnableScriptSecurity bool // enable_script_security
}

// Script is a vrrp_script block.
type Script struct {
	Name          string
	File          string
	Line          int
	Command       string        // as written, quotes removed; run it with Argv
	Interval      time.Duration // between runs; 1s
	Timeout       time.Duration // a run taking longer has failed; default = Interval
	Weight        int           // -253..253; 0 (default) = FAULT while failed, >0 added while succeeding, <0 added while failing
	WeightReverse bool          // `weight N reverse`: the script's result is inverted before Weight applies
	Rise, Fall    int           // consecutive results needed to change state; 1, 1
	User, Group   string        // `user U [G]`; "" = GlobalDefs.ScriptUser
	InitFail      bool          // init_fail: start in the failed state instead of the OK one
}

// Argv splits Command into words at white space, keeping what is inside
// single or double quotes together (quotes removed), the way keepalived
// runs a script without a shell.
func (s *Script) Argv() []string {
	argv, _ := SplitCommand(s.Command)
	return argv
}

// States an instance can be configured to start in.
const (
	StateMaster = "MASTER"
	StateBackup = "BACKUP"
)

// Instance is a vrrp_instance block: one virtual router.
type Instance struct {
	Name         string
	File         string
	Line         int
	InitialState string // StateMaster or StateBackup (default)
	Interface    string // where adverts are sent and received
	VRID         uint8  // virtual_router_id, 1..255
	Priority     uint8  // base priority 1..255; 100; 255 = address owner (never changed by tracking)
	// AdvertInt is the advertisement interval: whole seconds for VRRPv2,
	// centiseconds (10ms..40.95s) for VRRPv3, already rounded up.
	AdvertInt time.Duration
	Version   int // 2 or 3: `version`, else GlobalDefs.VRRPVersion; IPv6 instances are always 3
	// V3PseudoHeader: VRRPv3 over IPv4 only, see GlobalDefs.V3PseudoHeader;
	// `v3_checksum_as_v2` in the instance sets it false.
	V3PseudoHeader bool
	VIPs           []VIP // virtual_ipaddress: all of Family(), sent in adverts
	ExcludedVIPs   []VIP // virtual_ipaddress_excluded: added/removed with VIPs, not advertised, any family
	NoPreempt      bool  // only when InitialState is BACKUP (forced false otherwise, with a warning)
	// PreemptDelay: a BACKUP that starts (or sees a lower-priority master)
	// waits this long before preempting; 0 = at once. Forced 0 with MASTER.
	PreemptDelay time.Duration
	AuthType     string       // "" (none), "PASS" or "AH"; always "" for VRRPv3
	AuthPass     string       // already cut to 8 bytes
	UnicastSrcIP netip.Addr   // unicast_src_ip; invalid (zero) = the interface's primary address
	UnicastPeers []netip.Addr // unicast_peer; empty = multicast
	// PeerTTLs are the unicast peers written with min_ttl and/or max_ttl:
	// their adverts are checked against the range. Other unicast adverts
	// are not TTL-checked (keepalived's rule: the peer may sit behind a
	// router); multicast ones must have TTL 255.
	PeerTTLs []PeerTTL
	// MulticastSrcIP is mcast_src_ip: the source of multicast adverts;
	// invalid (zero) = the interface's primary address. keepalived treats
	// mcast_src_ip and unicast_src_ip as one setting: SrcIP returns that.
	MulticastSrcIP  netip.Addr
	VirtualRoutes   []Route // virtual_routes: on the host while MASTER, like the VIPs
	VirtualRules    []Rule  // virtual_rules: likewise
	TrackScripts    []TrackScript
	TrackInterfaces []Track
	TrackBackends   []Track // halo: backends of the haproxy config; up = at least one server UP
	Notify          Notify
	// GARP settings, inherited from GlobalDefs unless set in the instance.
	GarpMasterDelay         time.Duration
	GarpMasterRepeat        int
	GarpMasterRefresh       time.Duration
	GarpMasterRefreshRepeat int
	GarpLowerPrioDelay      time.Duration // garp_lower_prio_delay
	GarpLowerPrioRepeat     int           // garp_lower_prio_repeat; 0 = no re-announce on a lower-priority advert
	HigherPrioSendAdvert    bool          // higher_prio_send_advert; from global_defs unless set
	SyncGroup               string        // name of the vrrp_sync_group holding it; "" = none
	// UseVMAC is use_vmac: a macvlan VMACName with the RFC virtual MAC
	// VMACAddr (00:00:5e:00:01:VRID, IPv6 00:00:5e:00:02:VRID) on
	// Interface holds the VIPs, so the MAC moves with them; adverts go out
	// of it unless VMACXmitBase (vmac_xmit_base).
	UseVMAC      bool
	VMACName     string           // default "vrrp.VRID"
	VMACAddr     net.HardwareAddr // default the RFC virtual MAC of the family
	VMACXmitBase bool
	// BGPAnnounceVIPs is halo's bgp_announce_vips: the VIPs are also
	// announced by BGP while MASTER (routed failover).
	BGPAnnounceVIPs bool
	// Lines maps each keyword written in the block (e.g. "priority",
	// "virtual_router_id") to its line in File, for diagnostics.
	Lines map[string]int
}

// Family is 4 or 6: the address family of the VIPs (0 when there are none,
// which validation does not let through).
func (in *Instance) Family() int {
	if len(in.VIPs) == 0 {
		return 0
	}
	if in.VIPs[0].Prefix.Addr().Is4() {
		return 4
	}
	return 6
}

// SrcIP is the configured source address for adverts: unicast_src_ip, else
// mcast_src_ip; invalid (zero) means the interface's primary address.
func (in *Instance) SrcIP() netip.Addr {
	if in.UnicastSrcIP.IsValid() {
		return in.UnicastSrcIP
	}
	return in.MulticastSrcIP
}

// EffectivePriority is the priority with the sum of the tracking deltas
// applied (see Track.Delta): an address owner (255) keeps 255, any other is
// clamped to 1..254, as keepalived does.
func (in *Instance) EffectivePriority(delta int) uint8 {
	if in.Priority == 255 {
		return 255
	}
	p := int(in.Priority) + delta
	return uint8(min(max(p, 1), 254))
}

// Track is one line of track_script, track_interface or track_backend:
// `NAME [weight N [reverse]]`.
type Track struct {
	Name string
	// Weight is the weight in effect: the one written on the line, or else
	// (track_script) the script's own weight, or else 0.
	Weight    int
	HasWeight bool // the weight was written on this line
	Reverse   bool // the tracked object's state is inverted before Weight applies
	File      string
	Line      int
}

// Delta is what the tracked object contributes to the priority when it is
// up (script succeeded, interface up, backend has a server UP): with weight
// 0 a down object puts the instance in FAULT; a positive weight is added
// while up; a negative weight is added (subtracted) while down.
func (t Track) Delta(up bool) (delta int, fault bool) {
	if t.Reverse {
		up = !up
	}
	switch {
	case t.Weight == 0:
		return 0, !up
	case t.Weight > 0 && up:
		return t.Weight, false
	case t.Weight < 0 && !up:
		return t.Weight, false
	}
	return 0, false
}

// TrackScript is a track_script line with its resolved vrrp_script.
type TrackScript struct {
	Track
	Script *Script
}

// Notify holds the commands run on state changes, as written (quotes
// removed); "" = none.
type Notify struct {
	Master, Backup, Fault, Stop string
	Any                         string // `notify`: run on every change with "INSTANCE|GROUP name state priority"
}

// VIP is one line of virtual_ipaddress or virtual_ipaddress_excluded:
// `ADDR[/PREFIX] [dev X] [label Y] [brd Z] [scope S]`.
type VIP struct {
	Prefix netip.Prefix // /32 or /128 when no prefix was written; host bits kept
	Dev    string       // default Instance.Interface
	Label  string       // "" = none
	Brd    netip.Addr   // IPv4 broadcast; invalid (zero) = none, as keepalived (set 0.0.0.0 for netlink)
	Scope  string       // "global" (default), "site", "link", "host", "nowhere" or a number
	File   string       // where the line is: Instance.File unless it came from an include inside the block
	Line   int
}

// SyncGroup is a vrrp_sync_group: instances that change state together.
type SyncGroup struct {
	Name   string
	File   string
	Line   int
	Group  []string // instance names, each in at most one group
	Notify Notify
}

// PeerTTL is the TTL / hop-limit range a unicast peer's adverts must
// arrive with: `unicast_peer { ADDR min_ttl N max_ttl M }`. An unwritten
// bound is 0 (min) or 255 (max).
type PeerTTL struct {
	Addr     netip.Addr
	Min, Max uint8
}

// BGPSpeaker is halo's bgp_speaker block: one BGP speaker (GoBGP,
// embedded) with its neighbors. halo announces routes; it installs none.
type BGPSpeaker struct {
	File     string
	Line     int
	RouterID netip.Addr // router_id: an IPv4 address
	LocalAS  uint32     // local_as: 1..4294967295
	// ListenPort is listen_port: where halo accepts BGP sessions; 0 =
	// it does not listen (it connects to its neighbors). Defaults to 179
	// when a neighbor is passive, else 0.
	ListenPort int
	// GracefulShutdownDelay is graceful_shutdown_delay: on a stop or a
	// handover the routes are sent again with the GRACEFUL_SHUTDOWN
	// community (RFC 8326), and withdrawn this long after; 0 = withdraw at
	// once. Default 3 s.
	GracefulShutdownDelay time.Duration
	Neighbors             []*BGPNeighbor
}

// BGPNeighbor is one `neighbor ADDR { ... }` of bgp_speaker.
type BGPNeighbor struct {
	Addr     netip.Addr
	File     string
	Line     int
	RemoteAS uint32 // remote_as; required
	// HoldTime is hold_time: 0 (no keepalives) or 3..65535 s; 90 s by
	// default (RFC 4271 section 10). Keepalives go every HoldTime / 3.
	HoldTime time.Duration
	// ConnectRetry is connect_retry: the wait between attempts to open
	// the session; 5 s by default (RFC 4271 suggests 120 s, too slow to
	// come back after a router restart).
	ConnectRetry time.Duration
	Password     string     // password: TCP MD5 signature (RFC 2385); "" = none
	Passive      bool       // passive: wait for the neighbor to connect
	EBGPMultihop int        // ebgp_multihop [TTL]: 0 = the neighbor is directly connected; default TTL 255
	LocalAddress netip.Addr // local_address: source of the session; invalid = the kernel's choice
	Port         int        // port: the neighbor's BGP port; 0 = 179
}

// BGPAnnounce is halo's bgp_announce block: prefixes every node announces
// while its trackers are all good (active-active behind an ECMP router).
type BGPAnnounce struct {
	Name     string
	File     string
	Line     int
	Prefixes []netip.Prefix // prefix lines; each is also added to lo
	// Trackers take no weight: any one bad withdraws the prefixes.
	TrackScripts    []TrackScript
	TrackInterfaces []Track
	TrackBackends   []Track
	Attrs           BGPAttrs
}

// BGPAttrs are the optional path attributes of announced routes.
type BGPAttrs struct {
	Communities   []uint32 // communities: "ASN:VALUE" or a well-known name, as 32-bit values
	MED           uint32   // med
	HasMED        bool
	ASPathPrepend int // as_path_prepend N: the local AS N more times (0..10)
}
