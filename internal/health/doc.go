// Package health runs HAProxy-compatible active health checks on backend
// servers, after HAProxy's configuration.txt (server keywords `check`,
// `inter`, `fastinter`, `downinter`, `rise`, `fall`, `port`, `addr`,
// `check-ssl`; `timeout check`; `option tcp-check`, `option httpchk`,
// `http-check expect status`).
//
// A Checker probes one server: a plain TCP connect, a `tcp-check` rule
// sequence, or an HTTP status check, each optionally over TLS. Results feed
// State.Next, a pure function implementing HAProxy's rise/fall health
// counter; the Checker reports every UP<->DOWN change to a callback.
//
// Servers without `check` need no Checker: HAProxy considers them always UP
// and so should the caller.
package health
