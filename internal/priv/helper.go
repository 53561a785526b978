package priv

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/halo-lb/halo/internal/config/keepalived"
	"github.com/halo-lb/halo/internal/track"
)

// HelperEnv is the environment variable that tells a re-executed `halo
// run` it is the serving child and which descriptor reaches its helper.
const HelperEnv = "HALO_PRIV_HELPER_FD"

// helperFD is where the child finds the helper's socket (ExtraFiles[0]).
const helperFD = 3

// maxScriptTimeout bounds a script run the helper starts whatever the
// child asks.
const maxScriptTimeout = 24 * time.Hour

// The protocol: one JSON object per line each way over a Unix stream
// socketpair; requests carry an ID, answers come back with it, in any order.
type request struct {
	ID      uint64        `json:"id"`
	Op      string        `json:"op"` // "files" or "exec"
	Command track.Command `json:"command"`
	Timeout time.Duration `json:"timeout,omitempty"`
}

type response struct {
	ID     uint64  `json:"id"`
	Files  *Bundle `json:"files,omitempty"`
	Output []byte  `json:"output,omitempty"`
	Err    string  `json:"err,omitempty"`
}

// Helper is the root process `halo run` leaves behind when it drops
// privileges: it reads the two configuration files (and keepalived's
// includes) when the serving child asks, and starts the scripts those files
// name, as their accounts. It does nothing else: a command that no
// configuration it read names is refused, and it reads no path the child
// chooses, so a compromised child gains no more than it has.
type Helper struct {
	HAProxyFile, KeepalivedFile string
	Child                       Account      // the child's account, the default of scripts
	Log                         *slog.Logger // nil = discard

	mu      sync.Mutex
	allowed map[string]bool // commandKey of every script of every load
	secure  bool            // enable_script_security of the last load
}

// commandKey identifies a script the helper may run: account as
// configured, argv, and whether halo appends notify's arguments.
func commandKey(user, group string, argv []string, notify bool) string {
	return fmt.Sprintf("%s\x00%s\x00%t\x00%s", user, group, notify, strings.Join(argv, "\x00"))
}

// load reads the configuration as the child will parse it and learns its
// scripts. Scripts stay allowed after a later load: the child may have
// refused that reload and still run them.
func (h *Helper) load() *Bundle {
	rec := newRecorder(OSFiles{})
	if h.HAProxyFile != "" {
		rec.ReadFile(h.HAProxyFile)
	}
	if h.KeepalivedFile != "" {
		cfg, _ := keepalived.LoadFrom(h.KeepalivedFile, keepalived.Files{ReadFile: rec.ReadFile, Glob: rec.Glob})
		if cfg != nil {
			h.mu.Lock()
			if h.allowed == nil {
				h.allowed = map[string]bool{}
			}
			for _, c := range cfg.Commands() {
				if argv, err := keepalived.SplitCommand(c.Command); err == nil {
					h.allowed[commandKey(c.User, c.Group, argv, c.Notify)] = true
				}
			}
			h.secure = cfg.Global.EnableScriptSecurity
			h.mu.Unlock()
		}
	}
	return &rec.b
}

func (h *Helper) exec(ctx context.Context, c track.Command, timeout time.Duration) ([]byte, error) {
	h.mu.Lock()
	ok := h.allowed[commandKey(c.User, c.Group, c.Argv, len(c.Args) > 0)]
	secure := h.secure
	h.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("privileged helper: %q is not a script of the configuration", c.Argv)
	}
	a := h.Child
	if c.User != "" {
		var err error
		if a, err = LookupAccount(c.User, c.Group); err != nil {
			return nil, err
		}
	}
	if timeout <= 0 || timeout > maxScriptTimeout {
		timeout = maxScriptTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return Run(ctx, c, a, secure)
}

// Serve answers the child on conn until it closes.
func (h *Helper) Serve(conn net.Conn) error {
	log := h.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var wmu sync.Mutex
	enc := json.NewEncoder(conn)
	var wg sync.WaitGroup
	defer wg.Wait()
	sc := bufio.NewScanner(conn)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var req request
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			return fmt.Errorf("privileged helper: bad request: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := response{ID: req.ID}
			switch req.Op {
			case "files":
				resp.Files = h.load()
			case "exec":
				out, err := h.exec(context.Background(), req.Command, req.Timeout)
				resp.Output = out
				if err != nil {
					resp.Err = err.Error()
				}
			default:
				resp.Err = fmt.Sprintf("unknown operation %q", req.Op)
			}
			wmu.Lock()
			defer wmu.Unlock()
			if err := enc.Encode(resp); err != nil {
				log.Warn("privileged helper: answer lost", "err", err)
			}
		}()
	}
	return sc.Err()
}

// RunChild starts this program again with args as the serving child — its
// helper socket at descriptor 3, HelperEnv set, stdio shared, SIGTERM when
// this process dies — serves it, passes SIGHUP, SIGTERM and SIGINT on, and
// returns its exit status once it exits.
func (h *Helper) RunChild(args []string) (int, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 1, fmt.Errorf("socketpair: %w", err)
	}
	mine, theirs := os.NewFile(uintptr(fds[0]), "helper"), os.NewFile(uintptr(fds[1]), "child")
	defer mine.Close()
	conn, err := net.FileConn(mine)
	if err != nil {
		theirs.Close()
		return 1, err
	}
	defer conn.Close()
	// /proc/self/exe is this very binary even if the file was replaced;
	// argv[0] stays what the operator typed, for ps.
	cmd := exec.Command("/proc/self/exe", args...)
	cmd.Args[0] = os.Args[0]
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d", HelperEnv, helperFD))
	cmd.ExtraFiles = []*os.File{theirs}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	// Pdeathsig fires when the thread that started the child ends, not the
	// process: keep this goroutine on its thread for good.
	runtime.LockOSThread()
	err = cmd.Start()
	theirs.Close()
	if err != nil {
		return 1, fmt.Errorf("start the serving process: %w", err)
	}
	go h.Serve(conn)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case s := <-sigs:
			cmd.Process.Signal(s)
		case err := <-done:
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				if code := ee.ExitCode(); code > 0 {
					return code, nil
				}
				return 1, fmt.Errorf("serving process: %w", err)
			}
			if err != nil {
				return 1, err
			}
			return 0, nil
		}
	}
}
