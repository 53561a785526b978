package priv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/halo-lb/halo/internal/track"
)

// Run runs c as a: with a's uid, gid and no supplementary groups when a is
// not this process's account (which needs root or CAP_SETUID/CAP_SETGID),
// and, when secure, only after CheckScript accepted the program now.
func Run(ctx context.Context, c track.Command, a Account, secure bool) ([]byte, error) {
	if len(c.Argv) == 0 {
		return nil, errors.New("empty script")
	}
	if secure {
		if err := CheckScript(c.Argv[0], a); err != nil {
			return nil, fmt.Errorf("refused by enable_script_security: %w", err)
		}
	}
	argv := append(append([]string(nil), c.Argv...), c.Args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.WaitDelay = time.Second
	if a.UID != os.Geteuid() || a.GID != os.Getegid() {
		cmd.SysProcAttr = &syscall.SysProcAttr{
			Credential: &syscall.Credential{Uid: uint32(a.UID), Gid: uint32(a.GID), Groups: []uint32{}},
		}
	}
	out, err := cmd.CombinedOutput()
	if err != nil && ctx.Err() != nil {
		return out, fmt.Errorf("timed out: %w", ctx.Err())
	}
	return out, err
}

// LocalExec runs scripts in this process as plan() says; plan is asked at
// each run so that a reload's script_user applies to the next one. It is
// the Exec of a halo that does not drop privileges (or runs no helper).
func LocalExec(plan func() *Plan) track.Exec {
	return func(ctx context.Context, c track.Command) ([]byte, error) {
		p := plan()
		if p == nil {
			p = &Plan{Scripts: Current()}
		}
		a, err := p.Account(c.User, c.Group)
		if err != nil {
			return nil, err
		}
		return Run(ctx, c, a, p.Secure)
	}
}
