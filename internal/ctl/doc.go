// Package ctl serves halo's control socket: HAProxy's runtime API line
// protocol (HAProxy 2.6 doc/management.txt, section 9.3 "Unix Socket
// commands") on every `stats socket` and on halo's own socket, plus halo's
// own commands (`show vrrp`). It also holds the client `halo status` uses.
package ctl
