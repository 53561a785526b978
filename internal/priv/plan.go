package priv

import (
	"os/user"

	"github.com/halo-lb/halo/internal/config/diag"
	"github.com/halo-lb/halo/internal/config/haproxy"
	"github.com/halo-lb/halo/internal/config/keepalived"
)

// defaultScriptUser is keepalived's account for scripts that name none,
// used when it exists and halo does not drop privileges.
const defaultScriptUser = "keepalived_script"

// Plan says who does what for one pair of configurations.
type Plan struct {
	// Serve is haproxy.cfg's user/group: the account `halo run` serves as
	// once its sockets are open; nil = stay as started.
	Serve *Account
	// Scripts is the account of scripts that name none (no vrrp_script
	// `user`, no script_user): Serve when set — the process has dropped to
	// it anyway — else keepalived_script when that user exists (as
	// keepalived), else the account halo runs as.
	Scripts Account
	// Secure is enable_script_security.
	Secure bool
}

// NewPlan decides the plan for ha and ka (either may be nil) and reports,
// at the line that names them, users and groups that do not exist and,
// under enable_script_security, every script that would be refused.
func NewPlan(ha *haproxy.Config, ka *keepalived.Config) (*Plan, diag.List) {
	var d diag.List
	p := &Plan{Scripts: Current()}
	if ha != nil && (ha.Global.User != "" || ha.Global.Group != "") {
		g := ha.Global
		line := g.UserLine
		if g.User == "" {
			line = g.GroupLine
		}
		name := g.User
		if name == "" {
			// Only a group: keep the user halo was started as, as HAProxy.
			name = Current().Name
		}
		a, err := LookupAccount(name, g.Group)
		if err != nil {
			d.Errorf(ha.File, line, "global: %v", err)
		} else {
			p.Serve = &a
			p.Scripts = a
		}
	} else if _, err := user.Lookup(defaultScriptUser); err == nil {
		if a, err := LookupAccount(defaultScriptUser, ""); err == nil {
			p.Scripts = a
		}
	}
	if ka == nil {
		return p, d
	}
	p.Secure = ka.Global.EnableScriptSecurity
	g := ka.Global
	if g.ScriptUser != "" {
		if _, err := LookupAccount(g.ScriptUser, g.ScriptGroup); err != nil {
			d.Errorf(g.ScriptUserFile, g.ScriptUserLine, "global_defs: script_user: %v", err)
		}
	}
	for _, c := range ka.Commands() {
		a, err := p.Account(c.User, c.Group)
		if err != nil {
			if c.User != g.ScriptUser || c.Group != g.ScriptGroup { // script_user is reported once, above
				d.Errorf(c.File, c.Line, "%s: %v", c.Owner, err)
			}
			continue
		}
		if !p.Secure {
			continue
		}
		argv, err := keepalived.SplitCommand(c.Command)
		if err != nil || len(argv) == 0 {
			continue // the parser reported it
		}
		if err := CheckScript(argv[0], a); err != nil {
			d.Errorf(c.File, c.Line, "%s: script refused by enable_script_security (it would run as %s): %v", c.Owner, a.Name, err)
		}
	}
	return p, d
}

// Account resolves a script's configured user and group ("" = p.Scripts).
func (p *Plan) Account(userName, group string) (Account, error) {
	if userName == "" {
		return p.Scripts, nil
	}
	return LookupAccount(userName, group)
}
