package vrrpd

import (
	"sync"

	"github.com/halo-lb/halo/internal/config/keepalived"
	"github.com/halo-lb/halo/internal/vrouter"
)

// syncGroup keeps the members of a vrrp_sync_group together, as keepalived
// does, so the VIPs of the group move as one: when one member is in FAULT
// (its own tracking failed), every member goes to FAULT; when one becomes
// MASTER, the others take over with it; when one steps down to BACKUP (it
// heard a better master), the others step down too; and a BACKUP member
// does not take over on its own while another member still follows a live
// master. A member forced to MASTER settles for one master-down interval
// before it yields to a better master (vrouter.Machine.Force): a peer whose
// group just lost the election keeps advertising on that VRID until its own
// group forces it down. It also runs the group's notify scripts once all
// members agree on a state.
type syncGroup struct {
	r       *Router
	cfg     *keepalived.SyncGroup
	members []*instance

	mu        sync.Mutex
	lastState string
}

// newGroups builds the sync groups of cfg over the registered instances.
// Called with r.mu held or before the router is shared.
func (r *Router) newGroups(cfg *keepalived.Config) []*syncGroup {
	var out []*syncGroup
	for _, g := range cfg.SyncGroups {
		sg := &syncGroup{r: r, cfg: g}
		for _, name := range g.Group {
			if in := r.byName[name]; in != nil {
				sg.members = append(sg.members, in)
			}
		}
		out = append(out, sg)
	}
	// Every instance's gate follows the new groups: members ask theirs,
	// the others take over freely.
	for _, in := range r.instances {
		in.router.SetGate(nil)
	}
	for _, sg := range out {
		for _, m := range sg.members {
			m.router.SetGate(func() bool { return sg.mayTakeOver(m) })
		}
	}
	return out
}

// syncListener moves the other members of a group when one moves on its
// own (moves the group caused carry ReasonSyncGroup and are not followed).
func (r *Router) syncListener(e Event) {
	if e.Reason == vrouter.ReasonSyncGroup {
		return
	}
	var to vrouter.State
	switch {
	case e.To == vrouter.Master && (e.From == vrouter.Backup || e.From == vrouter.Init):
		to = vrouter.Master
	case e.From == vrouter.Master && e.To == vrouter.Backup:
		to = vrouter.Backup
	default:
		return // FAULT goes through the group fault; INIT is a stop
	}
	r.mu.RLock()
	gs := r.groups
	r.mu.RUnlock()
	for _, sg := range gs {
		if !sg.has(e.Instance) {
			continue
		}
		detail := "sync group " + sg.cfg.Name + ": " + e.Instance + " " + e.To.String()
		for _, m := range sg.members {
			if m.name != e.Instance {
				m.router.Force(to, detail)
			}
		}
	}
}

func (sg *syncGroup) has(name string) bool {
	for _, m := range sg.members {
		if m.name == name {
			return true
		}
	}
	return false
}

// mayTakeOver is in's gate: a member may leave BACKUP on its own timer
// unless another member is BACKUP to a master it still hears — the group
// would otherwise take over from half a live peer. When that master dies,
// its follower's timer runs out too and the group moves.
func (sg *syncGroup) mayTakeOver(in *instance) bool {
	for _, m := range sg.members {
		if m == in {
			continue
		}
		if st := m.router.Status(); st.State == vrouter.Backup && st.Master.IsValid() {
			return false
		}
	}
	return true
}

func (r *Router) groupsChanged() {
	r.mu.RLock()
	gs := r.groups
	r.mu.RUnlock()
	for _, g := range gs {
		g.update()
	}
}

// groupOf names the sync group holding an instance, "" = none.
func (r *Router) groupOf(in *instance) string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, g := range r.groups {
		for _, m := range g.members {
			if m == in {
				return g.cfg.Name
			}
		}
	}
	return ""
}

// update recomputes the group fault and the group state after a member
// changed.
func (sg *syncGroup) update() {
	var culprit string
	states := map[vrouter.State]int{}
	for _, m := range sg.members {
		f, st := m.faulted()
		if f != "" && culprit == "" {
			culprit = "sync group " + sg.cfg.Name + ": " + m.name + ": " + f
		}
		states[st]++
	}
	for _, m := range sg.members {
		if own, _ := m.faulted(); own == "" {
			m.setGroupFault(culprit)
		}
	}
	if len(states) != 1 {
		return
	}
	var st vrouter.State
	for s := range states {
		st = s
	}
	name := stateWord(st)
	sg.mu.Lock()
	same := name == sg.lastState
	sg.lastState = name
	sg.mu.Unlock()
	if same {
		return
	}
	n := sg.cfg.Notify
	specific := map[string]string{"MASTER": n.Master, "BACKUP": n.Backup, "FAULT": n.Fault, "STOP": n.Stop}[name]
	sg.r.notify.transition("GROUP", sg.cfg.Name, name, 0, specific, n.Any)
}

func (sg *syncGroup) state() string {
	sg.mu.Lock()
	defer sg.mu.Unlock()
	return sg.lastState
}

// stateWord is keepalived's word for a state in notify arguments.
func stateWord(s vrouter.State) string {
	if s == vrouter.Init {
		return "STOP"
	}
	return s.String()
}
