package vrrpd

import (
	"sync"

	"github.com/halo-lb/halo/internal/config/keepalived"
	"github.com/halo-lb/halo/internal/vrouter"
)

// syncGroup keeps the members of a vrrp_sync_group together the way
// keepalived users rely on most: when one member is in FAULT (its own
// tracking failed), every member goes to FAULT, so the VIPs of the group
// move as one. It also runs the group's notify scripts once all members
// agree on a state.
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
	return out
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
