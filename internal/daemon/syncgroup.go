package daemon

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
	v       *vrrpPart
	cfg     *keepalived.SyncGroup
	members []*instance

	mu        sync.Mutex
	lastState string
}

func newSyncGroup(v *vrrpPart, g *keepalived.SyncGroup) *syncGroup {
	sg := &syncGroup{v: v, cfg: g}
	for _, name := range g.Group {
		for _, in := range v.instances {
			if in.cfg.Name == name {
				in.group = sg
				sg.members = append(sg.members, in)
			}
		}
	}
	return sg
}

// update recomputes the group fault and the group state after a member
// changed.
func (sg *syncGroup) update() {
	var culprit string
	states := map[vrouter.State]int{}
	for _, m := range sg.members {
		f, st := m.faulted()
		if f != "" && culprit == "" {
			culprit = "sync group " + sg.cfg.Name + ": " + m.cfg.Name + " tracks " + f + " down"
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
	name := map[vrouter.State]string{vrouter.Master: "MASTER", vrouter.Backup: "BACKUP", vrouter.Fault: "FAULT", vrouter.Init: "STOP"}[st]
	sg.mu.Lock()
	same := name == sg.lastState
	sg.lastState = name
	sg.mu.Unlock()
	if same || name == "" {
		return
	}
	n := sg.cfg.Notify
	specific := map[string]string{"MASTER": n.Master, "BACKUP": n.Backup, "FAULT": n.Fault, "STOP": n.Stop}[name]
	sg.v.notify.transition("GROUP", sg.cfg.Name, name, 0, specific, n.Any)
}
