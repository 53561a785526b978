// Package haproxy reads haproxy.cfg as HAProxy's configuration manual
// (doc/configuration.txt, sections 2 to 5) describes it — quoting, environment
// variables, .if blocks, time units, global/defaults/frontend/backend/listen —
// and turns it into a validated Config for halo's layer-4 proxy and health
// checks. Every diagnostic carries path:line and names the section and
// keyword; what halo cannot do is an error, what it ignores is a warning.
package haproxy
