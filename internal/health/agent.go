package health

import (
	"bufio"
	"context"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"
)

// AgentReport is what one answer of a server's agent says (HAProxy's
// agent-check, configuration.txt "agent-check"): any of a weight as a
// percentage of the configured weight, an administrative state (ready,
// drain, maint) and an operational one (up, or down for down, fail,
// failed, stopped). Fields the answer did not mention are unset.
type AgentReport struct {
	WeightPct int    // -1 = not said
	Admin     string // "", "ready", "drain", "maint"
	Oper      string // "", "up", "down"
	Maxconn   int    // -1 = not said
	Text      string // the answer, for the log
}

// ParseAgentReply reads one answer line. Words are separated by spaces,
// tabs or commas; what follows '#' is a description; unknown words are
// ignored, as HAProxy does.
func ParseAgentReply(line string) AgentReport {
	r := AgentReport{WeightPct: -1, Maxconn: -1, Text: strings.TrimSpace(line)}
	if i := strings.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	for _, w := range strings.FieldsFunc(line, func(c rune) bool { return c == ' ' || c == '\t' || c == ',' || c == '\r' || c == '\n' }) {
		w = strings.ToLower(w)
		switch {
		case strings.HasSuffix(w, "%"):
			if n, err := strconv.Atoi(strings.TrimSuffix(w, "%")); err == nil && n >= 0 {
				r.WeightPct = n
			}
		case strings.HasPrefix(w, "maxconn:"):
			if n, err := strconv.Atoi(strings.TrimPrefix(w, "maxconn:")); err == nil && n >= 0 {
				r.Maxconn = n
			}
		case w == "ready" || w == "drain" || w == "maint":
			r.Admin = w
		case w == "up":
			r.Oper = "up"
		case w == "down" || w == "fail" || w == "failed" || w == "stopped":
			r.Oper = "down"
		}
	}
	return r
}

// Agent polls a server's agent every interval: it connects, sends Send
// (when set), reads one line and hands the report on. An agent that
// cannot be reached changes nothing: the health check judges
// reachability (HAProxy's behaviour).
type Agent struct {
	Addr     string // host:port
	Send     string
	Interval time.Duration
	Timeout  time.Duration // per poll; 0 = the interval
	Report   func(AgentReport)
	Log      *slog.Logger
}

// Run polls until ctx is done.
func (a *Agent) Run(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		line, err := a.poll(ctx)
		switch {
		case err != nil && !failing:
			failing = true
			a.Log.Warn("agent check: no answer (the server's state is left to its health check)", "addr", a.Addr, "err", err)
		case err == nil:
			if failing {
				failing = false
				a.Log.Info("agent check answers again", "addr", a.Addr)
			}
			a.Report(ParseAgentReply(line))
		}
		t.Reset(a.Interval)
	}
}

func (a *Agent) poll(ctx context.Context) (string, error) {
	to := a.Timeout
	if to <= 0 {
		to = a.Interval
	}
	ctx, cancel := context.WithTimeout(ctx, to)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", a.Addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	dl, _ := ctx.Deadline()
	c.SetDeadline(dl)
	if a.Send != "" {
		if _, err := c.Write([]byte(a.Send)); err != nil {
			return "", err
		}
	}
	line, err := bufio.NewReaderSize(c, 1024).ReadString('\n')
	if err != nil && line == "" {
		return "", err
	}
	return line, nil
}
