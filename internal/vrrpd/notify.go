package vrrpd

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/halo-lb/halo/internal/config/keepalived"
	"github.com/halo-lb/halo/internal/track"
	"github.com/halo-lb/halo/internal/vrouter"
)

// notifier runs keepalived notify scripts one at a time, in the order the
// transitions happened, off the VRRP loop so a slow script never delays an
// advertisement.
type notifier struct {
	log     *slog.Logger
	exec    track.Exec
	account func() (user, group string) // script_user now
	jobs    chan track.Command
	done    chan struct{}
}

// notifyTimeout bounds one notify script, as a hung script must not stall
// every later notification.
const notifyTimeout = 30 * time.Second

// newNotifier runs scripts with exec (nil = track.ExecHere) as account's
// answer at the time the script is queued.
func newNotifier(log *slog.Logger, exec track.Exec, account func() (user, group string)) *notifier {
	if exec == nil {
		exec = track.ExecHere
	}
	return &notifier{log: log, exec: exec, account: account, jobs: make(chan track.Command, 256), done: make(chan struct{})}
}

// run executes queued scripts until the queue is closed and drained.
func (n *notifier) run() {
	defer close(n.done)
	for c := range n.jobs {
		ctx, cancel := context.WithTimeout(context.Background(), notifyTimeout)
		out, err := n.exec(ctx, c)
		cancel()
		argv := append(append([]string(nil), c.Argv...), c.Args...)
		if err != nil {
			n.log.Warn("notify script failed", "script", argv, "user", c.User, "err", err, "output", string(out))
		} else {
			n.log.Debug("notify script ran", "script", argv, "user", c.User)
		}
	}
}

// close stops accepting scripts and waits for the queued ones.
func (n *notifier) close() {
	close(n.jobs)
	<-n.done
}

// transition queues the scripts keepalived runs for an instance or group
// entering state: the state's own script (notify_master, ...), then the
// generic `notify` script with arguments TYPE NAME STATE PRIORITY.
func (n *notifier) transition(kind, name, state string, priority int, specific, generic string) {
	if specific != "" {
		n.queue(specific)
	}
	if generic != "" {
		n.queue(generic, kind, name, state, strconv.Itoa(priority))
	}
}

func (n *notifier) queue(command string, extra ...string) {
	argv, err := keepalived.SplitCommand(command)
	if err != nil {
		n.log.Warn("notify script not run", "script", command, "err", err)
		return
	}
	c := track.Command{Argv: argv, Args: extra}
	if n.account != nil {
		c.User, c.Group = n.account()
	}
	select {
	case n.jobs <- c:
	default:
		n.log.Warn("notify queue full, script dropped", "script", command)
	}
}

// notifyListener runs keepalived's notify scripts for an instance's
// transition: notify_master/backup/fault/stop, then `notify` with
// INSTANCE NAME STATE PRIORITY.
func (r *Router) notifyListener(e Event) {
	r.mu.RLock()
	in := r.byName[e.Instance]
	r.mu.RUnlock()
	if in == nil {
		return
	}
	ic, _, _ := in.config()
	n, prio := ic.Notify, int(e.Priority)
	switch e.To {
	case vrouter.Master:
		r.notify.transition("INSTANCE", ic.Name, "MASTER", prio, n.Master, n.Any)
	case vrouter.Backup:
		r.notify.transition("INSTANCE", ic.Name, "BACKUP", prio, n.Backup, n.Any)
	case vrouter.Fault:
		r.notify.transition("INSTANCE", ic.Name, "FAULT", prio, n.Fault, n.Any)
	case vrouter.Init:
		r.notify.transition("INSTANCE", ic.Name, "STOP", prio, n.Stop, n.Any)
	}
}

// scriptUser is script_user of the running configuration: the account of
// notify scripts.
func (r *Router) scriptUser() (user, group string) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.cfg.Global.ScriptUser, r.cfg.Global.ScriptGroup
}
