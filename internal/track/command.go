package track

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"time"
)

// Command is one run of a script: a vrrp_script check or a notify script.
type Command struct {
	Argv []string // the command as written, split (keepalived.SplitCommand)
	Args []string // appended by halo: notify's TYPE NAME STATE PRIORITY
	// User and Group are the account to run it as, as configured (the
	// script's `user`, else script_user); "" = the Exec's default.
	User, Group string
}

// Exec runs one command to its end and returns its combined output; an
// exit status other than 0 is an error. Implementations decide the
// account (internal/priv: script_user, helper, enable_script_security).
type Exec func(ctx context.Context, c Command) ([]byte, error)

// ExecHere runs c as a child of this process, as this process's user,
// whatever c.User says; it is the default of a nil Exec, for tests and
// callers that run no scripts as anyone else.
func ExecHere(ctx context.Context, c Command) ([]byte, error) {
	if len(c.Argv) == 0 {
		return nil, errors.New("empty script")
	}
	argv := append(append([]string(nil), c.Argv...), c.Args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	if err != nil && ctx.Err() != nil {
		return out, fmt.Errorf("timed out: %w", ctx.Err())
	}
	return out, err
}
