package ctl

import (
	"errors"

	"github.com/halo-lb/halo/internal/stats"
)

// Node is what the control socket reads and changes: the running halo.
// The daemon implements it; tests use a fake. Every method is safe for
// concurrent use. Methods that name a server return an error wrapping
// ErrNoBackend or ErrNoServer when the name is unknown, which the socket
// answers with HAProxy's texts ("No such backend.", "No such server.").
type Node interface {
	// Snapshot is the node's state now.
	Snapshot() stats.Snapshot
	// Env is the process environment, for `show env`.
	Env() []string

	// SetServerAdmin sets a server's admin state: stats.AdminReady,
	// stats.AdminDrain or stats.AdminMaint (`set server B/S state`,
	// `disable|enable server`). Drain: live connections finish, no new
	// ones. Maint: no new ones; live ones are not cut.
	SetServerAdmin(backend, server, state string) error
	// SetServerWeight sets the user weight, 0..256 (`set weight`,
	// `set server B/S weight`); the caller has turned N% into a number.
	SetServerWeight(backend, server string, weight int) error
	// SetServerMaxConn sets a server's maxconn; 0 = unlimited.
	SetServerMaxConn(backend, server string, maxconn int) error
	// SetServerCheck enables or disables a server's health check
	// (`enable|disable health`). A disabled check keeps the last verdict.
	SetServerCheck(backend, server string, enabled bool) error
	// SetServerHealth forces the health verdict (`set server B/S health
	// up|stopping|down`) until the next check result changes it.
	SetServerHealth(backend, server string, up bool) error
	// SetServerAddr changes where new connections (and checks) go; port 0
	// keeps the port. It returns HAProxy's report of what changed ("IP
	// changed from '192.0.2.1' to '192.0.2.2'", "no need to change the
	// addr, port changed from '80' to '8080'"), or an error wrapping
	// ErrBadAddr when addr is not an IP address.
	SetServerAddr(backend, server, addr string, port int) (string, error)
	// ShutdownSessions resets every live connection of a server.
	ShutdownSessions(backend, server string) error
	// ClearCounters resets the max and rate counters, or with all every
	// counter (`clear counters [all]`).
	ClearCounters(all bool)
}

// Errors a Node wraps when a name is unknown.
var (
	ErrNoBackend = errors.New("no such backend")
	ErrNoServer  = errors.New("no such server")
	ErrBadAddr   = errors.New("invalid address")
)
