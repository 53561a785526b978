package drill

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/halo-lb/halo/internal/netlab"
)

// Kind says which software runs a load-balancer node.
type Kind string

const (
	Halo       Kind = "halo"
	Keepalived Kind = "keepalived" // keepalived for VRRP, plus haproxy when a haproxy.cfg is given
)

// Node is the software running on one load-balancer host.
type Node struct {
	Host *netlab.Host
	Kind Kind
	dir  string
	cmds []*exec.Cmd
	logs []*syncBuffer
	done []chan struct{}
}

// NodeSpec says what to start.
type NodeSpec struct {
	Kind       Kind
	HaloBinary string // for Kind Halo
	Keepalived string // keepalived.conf text; "" = none
	HAProxy    string // haproxy.cfg text; "" = none
}

// Start writes the configuration files under the site's directory and
// starts the node's processes in h. Logs are kept for Logs().
func (s *Site) Start(h *netlab.Host, spec NodeSpec) (*Node, error) {
	// A fresh directory per start: keepalived refuses to start while a pid
	// file of a previous run names a live process.
	s.starts++
	dir := filepath.Join(s.Dir, fmt.Sprintf("%s-%s-%d", h.Name, spec.Kind, s.starts))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	n := &Node{Host: h, Kind: spec.Kind, dir: dir}
	write := func(name, text string) (string, error) {
		p := filepath.Join(dir, name)
		return p, os.WriteFile(p, []byte(text), 0o644)
	}
	switch spec.Kind {
	case Halo:
		args := []string{"run", "--socket", filepath.Join(dir, "halo.sock")}
		if spec.HAProxy != "" {
			p, err := write("haproxy.cfg", spec.HAProxy)
			if err != nil {
				return nil, err
			}
			args = append(args, "-f", p)
		}
		if spec.Keepalived != "" {
			p, err := write("keepalived.conf", spec.Keepalived)
			if err != nil {
				return nil, err
			}
			args = append(args, "-k", p)
		}
		if err := n.start(spec.HaloBinary, args...); err != nil {
			return nil, err
		}
	case Keepalived:
		if spec.Keepalived != "" {
			p, err := write("keepalived.conf", spec.Keepalived)
			if err != nil {
				return nil, err
			}
			// -P: VRRP only; -n: foreground; -l -D: log to stderr in detail;
			// private pid files so nodes on one machine do not collide.
			err = n.start("keepalived", "-n", "-l", "-D", "-P", "-f", p,
				"-p", filepath.Join(dir, "keepalived.pid"), "-r", filepath.Join(dir, "vrrp.pid"),
				"-c", filepath.Join(dir, "checkers.pid"))
			if err != nil {
				return nil, err
			}
		}
		if spec.HAProxy != "" {
			p, err := write("haproxy.cfg", spec.HAProxy)
			if err != nil {
				return nil, err
			}
			if err := n.start("haproxy", "-db", "-f", p); err != nil {
				n.Signal(syscall.SIGKILL)
				return nil, err
			}
		}
	default:
		return nil, fmt.Errorf("unknown node kind %q", spec.Kind)
	}
	return n, nil
}

func (n *Node) start(bin string, args ...string) error {
	cmd := n.Host.Command(context.Background(), bin, args...)
	buf := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = buf, buf
	// Own process group: a signal to the node reaches ip-netns-exec's child.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s on %s: %w", bin, n.Host.Name, err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	n.cmds, n.logs, n.done = append(n.cmds, cmd), append(n.logs, buf), append(n.done, done)
	return nil
}

// Signal sends sig to every process of the node. keepalived's VRRP child
// runs in a session of its own, so it is signalled through its pid file:
// a SIGKILL must kill all of keepalived, not let the child shut down
// gracefully when its parent dies.
func (n *Node) Signal(sig syscall.Signal) {
	for _, c := range n.cmds {
		if c.Process != nil {
			syscall.Kill(-c.Process.Pid, sig)
		}
	}
	if n.Kind == Keepalived {
		for _, f := range []string{"vrrp.pid", "checkers.pid"} {
			b, err := os.ReadFile(filepath.Join(n.dir, f))
			if err != nil {
				continue
			}
			var pid int
			if _, err := fmt.Sscan(string(b), &pid); err == nil && pid > 1 {
				syscall.Kill(pid, sig)
			}
		}
	}
}

// Wait waits up to d for every process to exit and reports whether they did.
func (n *Node) Wait(d time.Duration) bool {
	deadline := time.After(d)
	for _, done := range n.done {
		select {
		case <-done:
		case <-deadline:
			return false
		}
	}
	return true
}

// Exited reports whether every process of the node has exited.
func (n *Node) Exited() bool {
	for _, done := range n.done {
		select {
		case <-done:
		default:
			return false
		}
	}
	return true
}

// ExitCodes returns each process's exit code (-1 if still running or killed).
func (n *Node) ExitCodes() []int {
	var out []int
	for i, c := range n.cmds {
		select {
		case <-n.done[i]:
			out = append(out, c.ProcessState.ExitCode())
		default:
			out = append(out, -1)
		}
	}
	return out
}

// Stop ends the node: SIGTERM, then SIGKILL after d.
func (n *Node) Stop(d time.Duration) {
	n.Signal(syscall.SIGTERM)
	if !n.Wait(d) {
		n.Signal(syscall.SIGKILL)
		n.Wait(5 * time.Second)
	}
}

// Logs returns what the node's processes printed so far.
func (n *Node) Logs() string {
	var b bytes.Buffer
	for i, l := range n.logs {
		fmt.Fprintf(&b, "--- %s %s ---\n%s", n.Host.Name, n.cmds[i].Args[4], l.String())
	}
	return b.String()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Pid is the process id of the node's first process (halo, or keepalived).
func (n *Node) Pid() int {
	if len(n.cmds) == 0 || n.cmds[0].Process == nil {
		return 0
	}
	return n.cmds[0].Process.Pid
}

// Dir is the node's directory: its configuration files and, for halo, its
// control socket halo.sock.
func (n *Node) Dir() string { return n.dir }
