package stats

import (
	"errors"
	"io"
)

// StatFilter selects the lines of `show stat PX TYPES SID` (HAProxy's
// management guide): Proxy is a proxy name or numeric iid ("" or "-1" =
// all); Types is a bitmask, 1 frontends, 2 backends, 4 servers (-1 = all);
// SID is a server id (-1 = all).
type StatFilter struct {
	Proxy string
	Types int
	SID   int
}

// AllStats selects every line.
var AllStats = StatFilter{Types: -1, SID: -1}

// WriteStatCSV writes `show stat`: HAProxy 2.6's CSV header and one line
// per selected frontend, server and backend.
// Stub until the renderers land; the signature is the contract.
func WriteStatCSV(w io.Writer, s Snapshot, f StatFilter) error { return errors.ErrUnsupported }

// WriteStatTyped writes `show stat typed`.
// Stub until the renderers land; the signature is the contract.
func WriteStatTyped(w io.Writer, s Snapshot, f StatFilter) error { return errors.ErrUnsupported }
