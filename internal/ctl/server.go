package ctl

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Level is a session's access level. A socket's level is the highest its
// sessions can have; `user` and `operator` lower a session's level.
type Level int

const (
	LevelUser Level = iota
	LevelOperator
	LevelAdmin
)

func (l Level) String() string {
	switch l {
	case LevelUser:
		return "user"
	case LevelOperator:
		return "operator"
	}
	return "admin"
}

// ParseLevel reads "user", "operator" or "admin".
func ParseLevel(s string) (Level, error) {
	switch s {
	case "user":
		return LevelUser, nil
	case "operator":
		return LevelOperator, nil
	case "admin":
		return LevelAdmin, nil
	}
	return 0, fmt.Errorf("level %q: want user, operator or admin", s)
}

// Socket says where a control socket listens and with what rights.
type Socket struct {
	Network string // "unix" or "tcp"
	Address string // a path, or ADDRESS:PORT
	Mode    os.FileMode
	Level   Level
	// Owner of a unix socket file; -1 keeps the creator's.
	UID, GID int
}

// String names the socket in logs, as the config writes it.
func (s Socket) String() string {
	if s.Network == "tcp" {
		return "ipv4@" + s.Address
	}
	return s.Address
}

// DefaultTimeout is how long a session may sit idle (HAProxy's `stats
// timeout` default).
const DefaultTimeout = 10 * time.Second

// maxLine bounds one request line: HAProxy's buffer is 16 kB; a longer
// line is answered with an error and the session closed.
const maxLine = 64 << 10

// Server answers runtime API sessions for one Node on any number of
// sockets.
type Server struct {
	node    Node
	log     *slog.Logger
	timeout atomic.Int64 // time.Duration

	// Counters, for `show info`-like reporting and for tests.
	Sessions atomic.Int64 // sessions accepted
	Commands atomic.Int64 // commands run
	Errors   atomic.Int64 // commands answered with an error (unknown, denied, bad arguments)

	wg sync.WaitGroup
}

// NewServer returns a Server for node.
func NewServer(node Node, log *slog.Logger) *Server {
	s := &Server{node: node, log: log}
	s.timeout.Store(int64(DefaultTimeout))
	return s
}

// SetTimeout sets the idle limit of sessions (`stats timeout`); 0 restores
// the default.
func (s *Server) SetTimeout(d time.Duration) {
	if d <= 0 {
		d = DefaultTimeout
	}
	s.timeout.Store(int64(d))
}

// Listen opens sock. A unix socket replaces a stale file at its path (a
// previous run that was killed), is created with sock.Mode (0600 when 0)
// and given its owner.
func Listen(sock Socket) (net.Listener, error) {
	if sock.Network == "tcp" {
		return net.Listen("tcp", sock.Address)
	}
	path := sock.Address
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("stats socket %s: a file that is not a socket is in the way", path)
		}
		if c, err := net.DialTimeout("unix", path, 200*time.Millisecond); err == nil {
			c.Close()
			return nil, fmt.Errorf("stats socket %s: another process is serving it", path)
		}
		os.Remove(path)
	}
	if dir := dirOf(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("stats socket %s: %w", path, err)
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("stats socket %s: %w", path, err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(true)
	mode := sock.Mode
	if mode == 0 {
		mode = 0o600
	}
	if err := os.Chmod(path, mode); err != nil {
		ln.Close()
		return nil, fmt.Errorf("stats socket %s: %w", path, err)
	}
	if sock.UID >= 0 || sock.GID >= 0 {
		if err := os.Lchown(path, sock.UID, sock.GID); err != nil {
			ln.Close()
			return nil, fmt.Errorf("stats socket %s: %w", path, err)
		}
	}
	return ln, nil
}

func dirOf(path string) string {
	if i := strings.LastIndexByte(path, '/'); i > 0 {
		return path[:i]
	}
	return ""
}

// LookupOwner turns user and group names into ids for Socket.UID/GID;
// empty names give -1 (keep).
func LookupOwner(userName, groupName string) (uid, gid int, err error) {
	uid, gid = -1, -1
	if userName != "" {
		u, err := user.Lookup(userName)
		if err != nil {
			return -1, -1, err
		}
		uid, _ = strconv.Atoi(u.Uid)
	}
	if groupName != "" {
		g, err := user.LookupGroup(groupName)
		if err != nil {
			return -1, -1, err
		}
		gid, _ = strconv.Atoi(g.Gid)
	}
	return uid, gid, nil
}

// Serve accepts sessions on ln at level until ctx is done or ln is
// closed; it closes ln and waits for its sessions to end.
func (s *Server) Serve(ctx context.Context, ln net.Listener, level Level) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var conns sync.Map
	defer func() {
		conns.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true })
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		s.Sessions.Add(1)
		conns.Store(c, nil)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer conns.Delete(c)
			defer c.Close()
			s.ServeConn(c, level)
		}()
	}
}

// Wait waits for every session to end.
func (s *Server) Wait() { s.wg.Wait() }

// ServeConn runs one session on rw. Without `prompt` it answers the lines
// the client sent and ends when no more is waiting (so `echo cmd | socat`
// works as with HAProxy); in prompt mode it stays until `quit`, EOF or the
// idle timeout.
func (s *Server) ServeConn(rw io.ReadWriter, level Level) {
	conn, _ := rw.(net.Conn)
	r := bufio.NewReaderSize(rw, 4096)
	w := bufio.NewWriter(rw)
	sess := &session{srv: s, level: level}
	for {
		if conn != nil {
			conn.SetReadDeadline(time.Now().Add(time.Duration(s.timeout.Load())))
		}
		line, err := readLine(r)
		if err == errLineTooLong {
			s.Errors.Add(1)
			w.WriteString("Command line too long.\n\n")
			w.Flush()
			return
		}
		if err != nil && line == "" {
			return
		}
		quit := sess.line(w, line)
		if sess.prompt && !quit {
			w.WriteString("> ")
		}
		if w.Flush() != nil || quit || err != nil {
			return
		}
		if !sess.prompt && r.Buffered() == 0 {
			return
		}
	}
}

var errLineTooLong = errors.New("line too long")

// readLine reads one line without its "\n" (and "\r"), at most maxLine
// bytes.
func readLine(r *bufio.Reader) (string, error) {
	var b []byte
	for {
		chunk, err := r.ReadSlice('\n')
		b = append(b, chunk...)
		if len(b) > maxLine {
			return "", errLineTooLong
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		line := strings.TrimRight(string(b), "\r\n")
		if err != nil && line == "" {
			return "", err
		}
		return line, err
	}
}

// session is one connection's state: its level and whether it prompts.
type session struct {
	srv    *Server
	level  Level
	prompt bool
}

// line runs every command of one request line, split on ';' (a `\;` is a
// literal semicolon), writing each answer followed by an empty line. It
// reports whether the session should end (`quit`).
func (sess *session) line(w *bufio.Writer, line string) (quit bool) {
	cmds := splitCommands(line)
	for _, words := range cmds {
		if len(words) == 1 && words[0] == "quit" {
			return true
		}
		if len(words) == 0 && sess.prompt {
			continue // an empty line in prompt mode only prompts again
		}
		out := sess.run(words)
		w.WriteString(out)
		w.WriteString("\n")
	}
	return false
}

// splitCommands splits a request line into commands and each command into
// words. Words are separated by spaces or tabs; a backslash escapes the
// next character (so `\;` and `\ ` are literal).
func splitCommands(line string) [][]string {
	var cmds [][]string
	var words []string
	var cur strings.Builder
	inWord := false
	flushWord := func() {
		if inWord {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			inWord = true
		case c == ';':
			flushWord()
			cmds = append(cmds, words)
			words = nil
		case c == ' ' || c == '\t':
			flushWord()
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	flushWord()
	if len(words) > 0 || len(cmds) == 0 {
		cmds = append(cmds, words)
	}
	return cmds
}
