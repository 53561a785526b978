package ctl

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Handoverer is the part of a Node that moves its VIPs to a peer before a
// reboot (`halo handover`). A Node without it answers that it cannot.
type Handoverer interface {
	// StartHandover begins a handover bounded by timeout; it fails when
	// one runs already or the node has nothing to hand over.
	StartHandover(timeout time.Duration) error
	// HandoverStatus reports the handover running or last run.
	HandoverStatus() HandoverStatus
	// ResumeFromHandover ends maintenance.
	ResumeFromHandover() error
}

// HandoverStatus is `show handover json`.
type HandoverStatus struct {
	// Phase: "none" (never started), "running", "done" (idle, safe to
	// reboot) or "failed" (Error says why).
	Phase       string    `json:"phase"`
	Detail      string    `json:"detail,omitempty"` // the step running now
	Error       string    `json:"error,omitempty"`
	Moved       []string  `json:"moved,omitempty"` // "INSTANCE to PEER"
	Open        int       `json:"open_connections"`
	Maintenance bool      `json:"maintenance"`
	Started     time.Time `json:"started,omitzero"`
	Ended       time.Time `json:"ended,omitzero"`
}

// Phases of a handover.
const (
	HandoverNone    = "none"
	HandoverRunning = "running"
	HandoverDone    = "done"
	HandoverFailed  = "failed"
)

const msgNoHandover = "halo: this node cannot hand over (no VRRP)\n"

func handoverNode(sess *session) (Handoverer, bool) {
	h, ok := sess.srv.node.(Handoverer)
	return h, ok
}

// handover [<timeout>] | handover resume
func handoverCmd(sess *session, args []string) string {
	h, ok := handoverNode(sess)
	if !ok {
		return msgNoHandover
	}
	if len(args) > 1 && args[1] == "resume" {
		if err := h.ResumeFromHandover(); err != nil {
			return errText(err)
		}
		return "Maintenance ended: the node advertises its own priority again.\n"
	}
	timeout := time.Minute
	if len(args) > 1 {
		d, err := time.ParseDuration(args[1])
		if err != nil || d <= 0 {
			return "halo: 'handover' expects a timeout such as 60s or 5m, or 'resume'\n"
		}
		timeout = d
	}
	if err := h.StartHandover(timeout); err != nil {
		return errText(err)
	}
	return "Handover started.\n"
}

// show handover [json]
func showHandover(sess *session, args []string) string {
	h, ok := handoverNode(sess)
	if !ok {
		return msgNoHandover
	}
	st := h.HandoverStatus()
	if len(args) > 2 && args[2] == "json" {
		b, _ := json.Marshal(st)
		return string(b) + "\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "phase: %s\n", st.Phase)
	if st.Detail != "" {
		fmt.Fprintf(&b, "step: %s\n", st.Detail)
	}
	if st.Error != "" {
		fmt.Fprintf(&b, "error: %s\n", st.Error)
	}
	for _, m := range st.Moved {
		fmt.Fprintf(&b, "moved: %s\n", m)
	}
	fmt.Fprintf(&b, "open connections: %d\nmaintenance: %v\n", st.Open, st.Maintenance)
	return b.String()
}

// errText is a refusal in halo's form ("halo: ..."), counted as an error.
func errText(err error) string { return "halo: " + err.Error() + "\n" }

// ErrHandoverRunning: a second handover while one runs.
var ErrHandoverRunning = errors.New("a handover is already running")
