package haproxy

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// capSysResource is CAP_SYS_RESOURCE's bit in /proc/self/status CapEff:
// with it a process may raise its hard RLIMIT_NOFILE up to fs.nr_open.
const capSysResource = 24

// SystemFDLimits reads this process's RLIMIT_NOFILE and how far it may
// raise it.
func SystemFDLimits() (FDLimits, error) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return FDLimits{}, fmt.Errorf("getrlimit(RLIMIT_NOFILE): %w", err)
	}
	lim := FDLimits{Soft: rl.Cur, Hard: rl.Max, Ceiling: rl.Max}
	if hasCap(capSysResource) {
		if b, err := os.ReadFile("/proc/sys/fs/nr_open"); err == nil {
			if n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil && n > lim.Ceiling {
				lim.Ceiling = n
			}
		}
	}
	return lim, nil
}

// hasCap reports whether the process has capability bit in its effective
// set.
func hasCap(bit uint) bool {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && n&(1<<bit) != 0
		}
	}
	return false
}

// RaiseFDLimit sets the process's RLIMIT_NOFILE to the plan's UlimitN (the
// soft limit; the hard limit too when UlimitN is above it, which needs
// CAP_SYS_RESOURCE). HAProxy does the same at start, also lowering a
// higher limit to what it computed. The daemon calls it once, before the
// proxy opens its listeners; on error the plan cannot be had.
func RaiseFDLimit(p FDPlan) error {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return fmt.Errorf("getrlimit(RLIMIT_NOFILE): %w", err)
	}
	want := uint64(p.UlimitN)
	rl.Cur = want
	if want > rl.Max {
		rl.Max = want
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return fmt.Errorf("setrlimit(RLIMIT_NOFILE, %d): %w", want, err)
	}
	return nil
}
