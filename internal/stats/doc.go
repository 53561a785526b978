// Package stats turns a Snapshot of a halo node into what operators read:
// HAProxy 2.6's `show stat` CSV and `show stat typed` (management guide,
// section 9.1 "CSV format"), the statistics page of a `listen stats`
// section (configuration manual: `stats uri`, `stats refresh`, `stats
// auth`), the Prometheus exposition of /metrics named as HAProxy's and
// keepalived's exporters name their series, and `halo status` as text and
// JSON (docs/STATUS.md).
//
// Renderers read only the Snapshot they are given, never live objects:
// the daemon builds it, tests write it by hand. Ages are counted to
// Snapshot.Time. The package never logs; Page takes a logger for its
// listeners only.
package stats
