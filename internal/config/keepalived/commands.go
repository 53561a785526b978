package keepalived

import "slices"

// Command is one program the configuration makes halo run: a vrrp_script
// check or a notify script, with the account keepalived would run it as.
type Command struct {
	Owner   string // what runs it, for diagnostics: `vrrp_script chk`, `vrrp_instance VI_1 notify_master`
	Command string // as written; SplitCommand gives the argv
	// User and Group are the script's own `user U [G]`, else global_defs'
	// script_user; "" = the default account (internal/priv decides it).
	User, Group string
	// Notify is set for the generic `notify` script, to which halo appends
	// TYPE NAME STATE PRIORITY.
	Notify bool
	File   string
	Line   int
}

// Commands lists every script the configuration runs: vrrp_scripts by
// name, then each instance's and sync group's notify scripts in file order.
func (c *Config) Commands() []Command {
	var out []Command
	names := make([]string, 0, len(c.Scripts))
	for name := range c.Scripts {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		s := c.Scripts[name]
		u, g := c.ScriptAccount(s)
		out = append(out, Command{Owner: "vrrp_script " + name, Command: s.Command, User: u, Group: g, File: s.File, Line: s.Line})
	}
	notify := func(owner, file string, line int, n Notify) {
		for _, x := range []struct{ kw, cmd string }{
			{"notify_master", n.Master}, {"notify_backup", n.Backup}, {"notify_fault", n.Fault},
			{"notify_stop", n.Stop}, {"notify", n.Any},
		} {
			if x.cmd != "" {
				out = append(out, Command{Owner: owner + " " + x.kw, Command: x.cmd, User: c.Global.ScriptUser,
					Group: c.Global.ScriptGroup, Notify: x.kw == "notify", File: file, Line: line})
			}
		}
	}
	for _, in := range c.Instances {
		notify("vrrp_instance "+in.Name, in.File, in.Line, in.Notify)
	}
	for _, g := range c.SyncGroups {
		notify("vrrp_sync_group "+g.Name, g.File, g.Line, g.Notify)
	}
	return out
}

// ScriptAccount is who runs vrrp_script s: its own `user`, else
// script_user; "" = the default account.
func (c *Config) ScriptAccount(s *Script) (user, group string) {
	if s.User != "" {
		return s.User, s.Group
	}
	return c.Global.ScriptUser, c.Global.ScriptGroup
}
