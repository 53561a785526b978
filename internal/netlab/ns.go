package netlab

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// netnsDir is where ip-netns(8) keeps the bind mounts that name namespaces.
const netnsDir = "/run/netns"

// enter runs fn on the calling goroutine, locked to its OS thread, with the
// thread switched into ns. The thread's original namespace is restored
// before the thread is unlocked; if that fails the thread stays locked (and
// so is never reused for other goroutines) and the error says so.
func enter(ns netns.NsHandle, fn func() error) (err error) {
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("get current netns: %w", err)
	}
	defer orig.Close()
	if err := netns.Set(ns); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("enter netns: %w", err)
	}
	defer func() {
		if rerr := netns.Set(orig); rerr != nil {
			// Leave the thread locked: the runtime destroys it when the
			// goroutine exits instead of handing it to someone else.
			err = errors.Join(err, fmt.Errorf("restore netns (thread left locked): %w", rerr))
			return
		}
		runtime.UnlockOSThread()
	}()
	return fn()
}

// ipCmd runs ip(8) with args and folds its output into the error.
func ipCmd(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// addNamespace creates the named namespace with ip-netns(8), which also
// makes /run/netns a shared mount so that later deletions reach the mount
// namespaces `ip netns exec` creates, and opens a handle to it.
func addNamespace(name string) (netns.NsHandle, error) {
	if err := ipCmd("netns", "add", name); err != nil {
		return netns.None(), err
	}
	h, err := netns.GetFromName(name)
	if err != nil {
		_ = ipCmd("netns", "delete", name)
		return netns.None(), fmt.Errorf("open netns %q: %w", name, err)
	}
	return h, nil
}

// deleteNamespace kills every process living in the named namespace and
// removes its name. A name that does not exist is not an error.
func deleteNamespace(name string) error {
	path := filepath.Join(netnsDir, name)
	if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	killErr := killProcessesIn(path)
	if err := ipCmd("netns", "delete", name); err != nil {
		if _, serr := os.Lstat(path); errors.Is(serr, os.ErrNotExist) {
			return killErr
		}
		return errors.Join(killErr, err)
	}
	return killErr
}

// killProcessesIn sends SIGKILL to every process (other than this one)
// whose network namespace is the one bound at nsPath, and waits briefly for
// them to disappear. The namespace is identified by its nsfs inode, so no
// process outside it can match.
func killProcessesIn(nsPath string) error {
	var fs unix.Statfs_t
	if err := unix.Statfs(nsPath, &fs); err != nil {
		return fmt.Errorf("statfs %s: %w", nsPath, err)
	}
	if fs.Type != unix.NSFS_MAGIC {
		return nil // not a live namespace binding: nothing can be inside
	}
	var want unix.Stat_t
	if err := unix.Stat(nsPath, &want); err != nil {
		return fmt.Errorf("stat %s: %w", nsPath, err)
	}
	self := os.Getpid()
	var killed []int
	for _, pid := range listPids() {
		if pid == self {
			continue
		}
		var st unix.Stat_t
		if unix.Stat(fmt.Sprintf("/proc/%d/ns/net", pid), &st) != nil {
			continue // gone, or a kernel thread
		}
		if st.Ino == want.Ino && st.Dev == want.Dev {
			if unix.Kill(pid, syscall.SIGKILL) == nil {
				killed = append(killed, pid)
			}
		}
	}
	// A killed process leaves its namespaces as it exits, even before it is
	// reaped; give the kernel a moment so the veths go with the namespace.
	deadline := time.Now().Add(2 * time.Second)
	for _, pid := range killed {
		for time.Now().Before(deadline) && inNamespace(pid, want) {
			time.Sleep(10 * time.Millisecond)
		}
	}
	return nil
}

func inNamespace(pid int, ns unix.Stat_t) bool {
	var st unix.Stat_t
	if unix.Stat(fmt.Sprintf("/proc/%d/ns/net", pid), &st) != nil {
		return false
	}
	return st.Ino == ns.Ino && st.Dev == ns.Dev
}

func listPids() []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// CleanupStale removes the namespaces "<prefix>-<pid>-*" whose pid no
// longer exists: the leftovers of an earlier run that crashed before
// Lab.Close. Processes still running inside them are killed. Namespaces of
// live processes (including this one) are left alone.
func CleanupStale(prefix string) error {
	if err := checkPrefix(prefix); err != nil {
		return err
	}
	ents, err := os.ReadDir(netnsDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list namespaces: %w", err)
	}
	var errs []error
	for _, e := range ents {
		pid, ok := ownerPid(prefix, e.Name())
		if !ok || processExists(pid) {
			continue
		}
		if err := deleteNamespace(e.Name()); err != nil {
			errs = append(errs, fmt.Errorf("remove stale namespace %q: %w", e.Name(), err))
		}
	}
	return errors.Join(errs...)
}

// ownerPid parses "<prefix>-<pid>-<host>".
func ownerPid(prefix, name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, prefix+"-")
	if !ok {
		return 0, false
	}
	p, host, ok := strings.Cut(rest, "-")
	if !ok || host == "" {
		return 0, false
	}
	pid, err := strconv.Atoi(p)
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, true
}

func processExists(pid int) bool {
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, unix.EPERM)
}

func checkPrefix(prefix string) error {
	if prefix == "" || strings.ContainsAny(prefix, "/ \t\n") || prefix == "." || prefix == ".." {
		return fmt.Errorf("invalid lab prefix %q", prefix)
	}
	return nil
}
