// Package stats serves HAProxy's statistics page for a `listen stats`
// section: the HTML report and the `show stat` CSV described in HAProxy's
// configuration manual (`stats uri`, `stats refresh`, `stats auth`) and its
// management guide, section 9.1 "CSV format".
package stats
