package ctl

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/halo-lb/halo/internal/stats"
)

// command is one entry of the runtime API: the words that name it, its
// usage and help line, the lowest level that may run it, and its handler.
// A handler gets the whole command line's words and returns the answer
// (lines ending in "\n"; the session adds the empty line that ends it).
type command struct {
	words []string
	usage string
	help  string
	level Level
	run   func(sess *session, args []string) string
}

// Answers HAProxy gives in the same situations, word for word, so that
// scripts matching them keep working.
const (
	msgDenied      = "Permission denied\n"
	msgNeedServer  = "Require 'backend/server'.\n"
	msgNoBackend   = "No such backend.\n"
	msgNoServer    = "No such server.\n"
	msgNoProxy     = "No such proxy.\n"
	msgNoStateBack = "Can't find backend.\n"
	msgUnknown     = "Unknown command, but maybe one of the following ones is a better match:\n"
	msgUnknownAll  = "Unknown command. Please enter one of the following commands only:\n"
	msgHelpHead    = "The following commands are valid at this level:\n"
	msgNeedWeight  = "Require <weight> or <weight%>.\n"
	msgWeightRange = "Absolute weight can only be between 0 and 256 inclusive.\n"
	msgRelWeight   = "Relative weight must be positive.\n"
	msgBadWeight   = "Empty weight string empty or preceded by garbage" // sic, and no newline: HAProxy's
	msgNeedMaxconn = "Require <maxconn>.\n"
	msgBadMaxconn  = "maxconn string empty or preceded by garbage" // no newline, as HAProxy
	msgStateArg    = "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n"
	msgHealthArg   = "'set server <srv> health' expects 'up', 'stopping', or 'down'.\n"
	msgSetUsage    = "usage: set server <backend>/<server> addr | health | state | weight\n"
	msgAddrArg     = "set server <b>/<s> addr requires an address and optionally a port.\n"
	msgByCLI       = " by 'stats socket command'\n"
	msgNoVar       = "Variable not found\n"
)

var commands []command

func init() {
	commands = []command{
		{words: w("clear counters"), usage: "clear counters [all]", help: "reset max counters and rates (all: every counter)", level: LevelOperator, run: clearCounters},
		{words: w("disable health"), usage: "disable health <bk>/<srv>", help: "stop a server's health check (its last verdict stays)", level: LevelAdmin, run: setCheck(false)},
		{words: w("disable server"), usage: "disable server <bk>/<srv>", help: "put a server in maintenance (same as set server .. state maint)", level: LevelAdmin, run: adminState("maint")},
		{words: w("enable health"), usage: "enable health <bk>/<srv>", help: "resume a server's health check", level: LevelAdmin, run: setCheck(true)},
		{words: w("enable server"), usage: "enable server <bk>/<srv>", help: "take a server out of maintenance (same as set server .. state ready)", level: LevelAdmin, run: adminState("ready")},
		{words: w("get weight"), usage: "get weight <bk>/<srv>", help: "print a server's current and initial weight", level: LevelUser, run: getWeight},
		{words: w("operator"), usage: "operator", help: "lower this session's level to operator", level: LevelUser, run: lower(LevelOperator)},
		{words: w("set maxconn server"), usage: "set maxconn server <bk>/<srv> <n>", help: "change a server's maxconn (0 = no limit)", level: LevelAdmin, run: setMaxconn},
		{words: w("set server"), usage: "set server <bk>/<srv> <what> ...", help: "change a server's state, weight, health or address", level: LevelAdmin, run: setServer},
		{words: w("set weight"), usage: "set weight <bk>/<srv> <w>[%]", help: "change a server's weight (same as set server .. weight)", level: LevelAdmin, run: setWeightCmd},
		{words: w("show backend"), usage: "show backend", help: "list the backends", level: LevelUser, run: showBackend},
		{words: w("show cli level"), usage: "show cli level", help: "print this session's level", level: LevelUser, run: showLevel},
		{words: w("show env"), usage: "show env [<var>]", help: "print the process environment, or one variable", level: LevelOperator, run: showEnv},
		{words: w("show info"), usage: "show info", help: "report on the running process", level: LevelUser, run: showInfo},
		{words: w("show servers state"), usage: "show servers state [<backend>]", help: "dump servers' state in server-state-file form", level: LevelUser, run: showServersState},
		{words: w("show stat"), usage: "show stat [typed] [<px> <mask> <sid>]", help: "CSV (or typed) counters of frontends, backends and servers", level: LevelUser, run: showStat},
		{words: w("show status"), usage: "show status [json]", help: "the whole node on one screen (halo status)", level: LevelUser, run: showStatus},
		{words: w("show version"), usage: "show version", help: "print halo's version", level: LevelUser, run: showVersion},
		{words: w("show bgp"), usage: "show bgp [json]", help: "BGP speaker: neighbors' sessions, prefixes announced and why", level: LevelUser, run: showBGP},
		{words: w("show vrrp"), usage: "show vrrp [json]", help: "VRRP instances: state and why, priority, master, VIPs, counters", level: LevelUser, run: showVRRP},
		{words: w("shutdown sessions server"), usage: "shutdown sessions server <bk>/<srv>", help: "reset every connection of a server", level: LevelAdmin, run: shutdownSessions},
		{words: w("user"), usage: "user", help: "lower this session's level to user", level: LevelUser, run: lower(LevelUser)},
		{words: w("handover"), usage: "handover [<timeout>|resume]", help: "halo: move this node's VIPs to a peer and drain (default timeout 1m); resume ends maintenance", level: LevelAdmin, run: handoverCmd},
		{words: w("show handover"), usage: "show handover [json]", help: "halo: the handover running or last run", level: LevelUser, run: showHandover},
		{words: w("help"), usage: "help [<command>]", help: "list every command, or those starting with the words given", level: LevelUser, run: help},
		{words: w("prompt"), usage: "prompt", help: "toggle interactive mode, with the \"> \" prompt", level: LevelUser, run: togglePrompt},
		{words: w("quit"), usage: "quit", help: "end the session", level: LevelUser},
	}
}

func w(s string) []string { return strings.Fields(s) }

// lookup finds the command whose words start args, the longest first.
func lookup(args []string) *command {
	var best *command
	for i := range commands {
		c := &commands[i]
		if len(c.words) <= len(args) && slices.Equal(c.words, args[:len(c.words)]) {
			if best == nil || len(c.words) > len(best.words) {
				best = c
			}
		}
	}
	return best
}

// run executes one command and returns its answer.
func (sess *session) run(args []string) string {
	sess.srv.Commands.Add(1)
	c := lookup(args)
	if c == nil || c.run == nil {
		sess.srv.Errors.Add(1)
		return unknown(sess, args)
	}
	if sess.level < c.level {
		sess.srv.Errors.Add(1)
		return msgDenied
	}
	out := c.run(sess, args)
	if isError(out) {
		sess.srv.Errors.Add(1)
	}
	return out
}

// isError tells the answers that report a refusal, for the error counter.
func isError(out string) bool {
	for _, m := range []string{msgDenied, msgNeedServer, msgNoBackend, msgNoServer, msgNoProxy,
		msgNoStateBack, msgNeedWeight, msgWeightRange, msgRelWeight, msgBadWeight, msgNeedMaxconn,
		msgBadMaxconn, msgStateArg, msgHealthArg, msgSetUsage, msgAddrArg} {
		if out == m {
			return true
		}
	}
	return strings.HasPrefix(out, "halo: ")
}

func helpLine(c *command) string {
	return fmt.Sprintf("  %-40s: %s\n", c.usage, c.help)
}

// tail are the lines every unknown-command answer ends with.
func tail() string {
	var b strings.Builder
	for _, name := range []string{"help", "prompt", "quit"} {
		b.WriteString(helpLine(lookup([]string{name})))
	}
	return b.String()
}

// unknown answers a command nobody knows: with the commands sharing its
// first words (or, failing that, the closest by spelling), as HAProxy
// does, or every command for an empty line.
func unknown(sess *session, args []string) string {
	if len(args) == 0 {
		return msgUnknownAll + helpList(sess, nil)
	}
	var b strings.Builder
	b.WriteString(msgUnknown)
	var near []*command
	for i := range commands {
		c := &commands[i]
		if c.words[0] == args[0] && c.run != nil && !isTail(c) {
			near = append(near, c)
		}
	}
	if len(near) == 0 {
		type scored struct {
			c *command
			d int
		}
		var all []scored
		for i := range commands {
			if c := &commands[i]; !isTail(c) {
				all = append(all, scored{c, distance(strings.Join(args, " "), strings.Join(c.words, " "))})
			}
		}
		slices.SortStableFunc(all, func(a, b scored) int { return a.d - b.d })
		for _, s := range all[:min(5, len(all))] {
			near = append(near, s.c)
		}
	}
	for _, c := range near {
		b.WriteString(helpLine(c))
	}
	b.WriteString(tail())
	return b.String()
}

func isTail(c *command) bool {
	return len(c.words) == 1 && (c.words[0] == "help" || c.words[0] == "prompt" || c.words[0] == "quit")
}

// distance is the edit distance between a and b, for suggestions.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// helpList lists the commands this session may run that start with
// prefix, help, prompt and quit last.
func helpList(sess *session, prefix []string) string {
	var b strings.Builder
	for i := range commands {
		c := &commands[i]
		if isTail(c) || c.level > sess.level {
			continue
		}
		n := min(len(prefix), len(c.words))
		if slices.Equal(prefix[:n], c.words[:n]) {
			b.WriteString(helpLine(c))
		}
	}
	b.WriteString(tail())
	return b.String()
}

func help(sess *session, args []string) string {
	return msgHelpHead + helpList(sess, args[1:])
}

func togglePrompt(sess *session, _ []string) string {
	sess.prompt = !sess.prompt
	return ""
}

func lower(to Level) func(*session, []string) string {
	return func(sess *session, _ []string) string {
		if to > sess.level {
			return msgDenied
		}
		sess.level = to
		return ""
	}
}

func showLevel(sess *session, _ []string) string { return sess.level.String() + "\n" }

// render runs a stats renderer into a string.
func render(fn func(io.Writer) error) (string, error) {
	var b bytes.Buffer
	err := fn(&b)
	return b.String(), err
}

func showInfo(sess *session, args []string) string {
	if len(args) > 2 && args[2] != "desc" {
		return "halo: 'show info " + args[2] + "' is not supported; 'show info' and 'show status json' are\n"
	}
	out, _ := render(func(w io.Writer) error { return stats.WriteInfo(w, sess.srv.node.Snapshot()) })
	return out
}

func showVersion(sess *session, _ []string) string {
	return sess.srv.node.Snapshot().Process.Version + "\n"
}

func showBackend(sess *session, _ []string) string {
	out, _ := render(func(w io.Writer) error { return stats.WriteBackendList(w, sess.srv.node.Snapshot()) })
	return out
}

func showStat(sess *session, args []string) string {
	rest := args[2:]
	typed := false
	for len(rest) > 0 {
		switch rest[0] {
		case "typed":
			typed = true
		case "desc":
		case "json", "up", "no-maint":
			return "halo: 'show stat " + rest[0] + "' is not supported; 'show stat [typed]' and 'show status json' are\n"
		default:
			goto filter
		}
		rest = rest[1:]
	}
filter:
	f := stats.AllStats
	f.HideLegends = sess.level == LevelUser
	if len(rest) > 0 {
		f.Proxy = rest[0]
		if len(rest) > 1 {
			n, err := strconv.Atoi(rest[1])
			if err != nil {
				return "halo: show stat: the mask must be a number (1 frontends, 2 backends, 4 servers, -1 all)\n"
			}
			f.Types = n
		}
		if len(rest) > 2 {
			n, err := strconv.Atoi(rest[2])
			if err != nil {
				return "halo: show stat: the server id must be a number (-1 all)\n"
			}
			f.SID = n
		}
	}
	snap := sess.srv.node.Snapshot()
	out, err := render(func(w io.Writer) error {
		if typed {
			return stats.WriteStatTyped(w, snap, f)
		}
		return stats.WriteStatCSV(w, snap, f)
	})
	if errors.Is(err, stats.ErrNoProxy) {
		return msgNoProxy
	}
	return out
}

func showServersState(sess *session, args []string) string {
	var only []string
	if len(args) > 3 {
		only = args[3:4]
	}
	out, err := render(func(w io.Writer) error { return stats.WriteServersState(w, sess.srv.node.Snapshot(), only) })
	if errors.Is(err, stats.ErrNoBackend) {
		return msgNoStateBack
	}
	return out
}

func showStatus(sess *session, args []string) string {
	snap := sess.srv.node.Snapshot()
	out, _ := render(func(w io.Writer) error {
		if len(args) > 2 && args[2] == "json" {
			return stats.WriteStatusJSON(w, snap)
		}
		return stats.WriteStatus(w, snap)
	})
	return out
}

func showVRRP(sess *session, args []string) string {
	return showView(sess, args, stats.WriteVRRP, stats.WriteVRRPJSON)
}

func showBGP(sess *session, args []string) string {
	return showView(sess, args, stats.WriteBGP, stats.WriteBGPJSON)
}

// showView renders `show X [json]` from a fresh snapshot.
func showView(sess *session, args []string, text, js func(io.Writer, stats.Snapshot) error) string {
	snap := sess.srv.node.Snapshot()
	out, _ := render(func(w io.Writer) error {
		if len(args) > 2 && args[2] == "json" {
			return js(w, snap)
		}
		return text(w, snap)
	})
	return out
}

func showEnv(sess *session, args []string) string {
	env := sess.srv.node.Env()
	if len(args) > 2 {
		for _, kv := range env {
			if k, _, _ := strings.Cut(kv, "="); k == args[2] {
				return kv + "\n"
			}
		}
		return msgNoVar
	}
	return strings.Join(env, "\n") + "\n"
}

func clearCounters(sess *session, args []string) string {
	all := len(args) > 2 && args[2] == "all"
	if all && sess.level < LevelAdmin {
		return msgDenied
	}
	sess.srv.node.ClearCounters(all)
	return ""
}

// serverArg splits "backend/server"; ok is false when there is no slash.
func serverArg(args []string, at int) (backend, server string, ok bool) {
	if at >= len(args) {
		return "", "", false
	}
	backend, server, ok = strings.Cut(args[at], "/")
	return backend, server, ok && backend != "" && server != ""
}

// nodeErr turns a Node error into HAProxy's answer.
func nodeErr(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrNoBackend):
		return msgNoBackend
	case errors.Is(err, ErrNoServer):
		return msgNoServer
	}
	return "halo: " + oneLine(err.Error()) + "\n"
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

// findServer checks that backend/server exists in the snapshot, so that
// errors about names come before errors about values, as in HAProxy.
func findServer(sess *session, backend, server string) (*stats.Server, string) {
	snap := sess.srv.node.Snapshot()
	for i := range snap.Backends {
		be := &snap.Backends[i]
		if be.Name != backend {
			continue
		}
		for j := range be.Servers {
			if be.Servers[j].Name == server {
				return &be.Servers[j], ""
			}
		}
		return nil, msgNoServer
	}
	return nil, msgNoBackend
}

func adminState(state string) func(*session, []string) string {
	return func(sess *session, args []string) string {
		b, s, ok := serverArg(args, 2)
		if !ok {
			return msgNeedServer
		}
		return nodeErr(sess.srv.node.SetServerAdmin(b, s, state))
	}
}

func setCheck(enabled bool) func(*session, []string) string {
	return func(sess *session, args []string) string {
		b, s, ok := serverArg(args, 2)
		if !ok {
			return msgNeedServer
		}
		return nodeErr(sess.srv.node.SetServerCheck(b, s, enabled))
	}
}

func getWeight(sess *session, args []string) string {
	b, s, ok := serverArg(args, 2)
	if !ok {
		return msgNeedServer
	}
	sv, msg := findServer(sess, b, s)
	if sv == nil {
		return msg
	}
	return fmt.Sprintf("%d (initial %d)\n", sv.UWeight, sv.IWeight)
}

func setWeightCmd(sess *session, args []string) string {
	b, s, ok := serverArg(args, 2)
	if !ok {
		return msgNeedServer
	}
	return setWeight(sess, b, s, args[3:])
}

// setWeight applies "N" (absolute, 0..256) or "N%" (of the initial
// weight).
func setWeight(sess *session, b, s string, rest []string) string {
	sv, msg := findServer(sess, b, s)
	if sv == nil {
		return msg
	}
	if len(rest) == 0 {
		return msgNeedWeight
	}
	v := rest[0]
	rel := strings.HasSuffix(v, "%")
	n, err := strconv.Atoi(strings.TrimSuffix(v, "%"))
	if err != nil {
		return msgBadWeight
	}
	if rel {
		if n < 0 {
			return msgRelWeight
		}
		n = min(sv.IWeight*n/100, 256)
	} else if n < 0 || n > 256 {
		return msgWeightRange
	}
	return nodeErr(sess.srv.node.SetServerWeight(b, s, n))
}

func setMaxconn(sess *session, args []string) string {
	b, s, ok := serverArg(args, 3)
	if !ok {
		return msgNeedServer
	}
	if _, msg := findServer(sess, b, s); msg != "" {
		return msg
	}
	if len(args) < 5 {
		return msgNeedMaxconn
	}
	n, err := strconv.Atoi(args[4])
	if err != nil || n < 0 {
		return msgBadMaxconn
	}
	return nodeErr(sess.srv.node.SetServerMaxConn(b, s, n))
}

func shutdownSessions(sess *session, args []string) string {
	b, s, ok := serverArg(args, 3)
	if !ok {
		return msgNeedServer
	}
	return nodeErr(sess.srv.node.ShutdownSessions(b, s))
}

// setServer is `set server B/S state|weight|health|addr ...`.
func setServer(sess *session, args []string) string {
	b, s, ok := serverArg(args, 2)
	if !ok {
		return msgNeedServer
	}
	if _, msg := findServer(sess, b, s); msg != "" {
		return msg
	}
	if len(args) < 4 {
		return msgSetUsage
	}
	switch args[3] {
	case "state":
		if len(args) < 5 {
			return msgStateArg
		}
		switch args[4] {
		case "ready", "drain", "maint":
			return nodeErr(sess.srv.node.SetServerAdmin(b, s, args[4]))
		}
		return msgStateArg
	case "weight":
		return setWeight(sess, b, s, args[4:])
	case "health":
		if len(args) < 5 {
			return msgHealthArg
		}
		switch args[4] {
		case "up", "down":
			return nodeErr(sess.srv.node.SetServerHealth(b, s, args[4] == "up"))
		case "stopping":
			return "halo: health 'stopping' is not supported; 'set server " + b + "/" + s + " state drain' stops new connections\n"
		}
		return msgHealthArg
	case "addr":
		return setAddr(sess, b, s, args[4:])
	case "check-port", "check-addr", "agent", "agent-addr", "agent-port", "agent-send", "fqdn", "ssl":
		return "halo: 'set server .. " + args[3] + "' is not supported\n"
	}
	return msgSetUsage
}

func setAddr(sess *session, b, s string, rest []string) string {
	if len(rest) == 0 {
		return msgAddrArg
	}
	port := 0
	if len(rest) >= 2 && rest[1] == "port" {
		p := ""
		if len(rest) >= 3 {
			p = rest[2]
		}
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return "problem converting port '" + p + "' to an int" + msgByCLI
		}
		port = n
	}
	msg, err := sess.srv.node.SetServerAddr(b, s, rest[0], port)
	if errors.Is(err, ErrBadAddr) {
		return "Invalid addr '" + rest[0] + "'" + msgByCLI
	}
	if err != nil {
		return nodeErr(err)
	}
	return msg + msgByCLI
}
