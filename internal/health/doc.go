// Package health runs HAProxy-compatible active health checks on backend
// servers, after HAProxy's configuration.txt (server keywords `check`,
// `inter`, `fastinter`, `downinter`, `rise`, `fall`, `port`, `addr`,
// `check-ssl`; `timeout check`; `option tcp-check`, `option httpchk`,
// `http-check expect status`).
//
// A Checker keeps one server's check: a plain TCP connect, a `tcp-check`
// rule sequence, or an HTTP status check, each optionally over TLS. Results
// feed State.Next, a pure function implementing HAProxy's rise/fall health
// counter; the Checker reports every UP<->DOWN change to a callback. A
// Scheduler runs the probes of many Checkers on one event loop, with
// non-blocking sockets, as HAProxy runs its checks (docs/ARCHITECTURE.md,
// "Health checks: one event loop").
//
// Servers without `check` need no Checker: HAProxy considers them always UP
// and so should the caller.
package health
