package track

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Script runs a vrrp_script command every Interval and reports when its
// verdict changes: Rise consecutive successes make it good, Fall consecutive
// failures make it bad. A run that outlives Timeout counts as a failure.
type Script struct {
	Name     string
	Argv     []string // the command split as keepalived splits it (see SplitCommand)
	User     string   // the account to run it as, as configured; "" = Exec's default
	Group    string
	Interval time.Duration // default 1s
	Timeout  time.Duration // 0 = Interval
	Rise     int           // default 1
	Fall     int           // default 1

	// Exec runs one check; nil is ExecHere (a child process, no shell, as keepalived).
	Exec Exec
}

// RunOnce runs the check once and returns its raw result (nil = success).
func (s *Script) RunOnce(ctx context.Context) error {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = s.interval()
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	run := s.Exec
	if run == nil {
		run = ExecHere
	}
	_, err := run(ctx, Command{Argv: s.Argv, User: s.User, Group: s.Group})
	return err
}

func (s *Script) interval() time.Duration {
	if s.Interval <= 0 {
		return time.Second
	}
	return s.Interval
}

// Run checks until ctx is done. initial is the verdict already known (from a
// first RunOnce); onChange gets every later change, from this goroutine.
func (s *Script) Run(ctx context.Context, initial bool, onChange func(good bool, err error)) error {
	rise, fall := max(s.Rise, 1), max(s.Fall, 1)
	good := initial
	streak := 0 // consecutive results that disagree with good
	t := time.NewTicker(s.interval())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		err := s.RunOnce(ctx)
		if err != nil && killedBySignal(err) {
			// A stop signal sent to the whole process group or cgroup (Ctrl-C,
			// kill -TERM -PGID, systemd's default KillMode) reaches the script
			// as it reaches halo, and the script often dies first. Its death
			// says nothing about the service: give our own stop a moment to
			// arrive before counting it, or a stopping node would withdraw its
			// routes or drop its priority instead of leaving gracefully.
			select {
			case <-ctx.Done():
			case <-time.After(signalSettle):
			}
		}
		if ctx.Err() != nil {
			return nil
		}
		ok := err == nil
		if ok == good {
			streak = 0
			continue
		}
		streak++
		need := fall
		if ok {
			need = rise
		}
		if streak >= need {
			good, streak = ok, 0
			if onChange != nil {
				onChange(good, err)
			}
		}
	}
}

// signalSettle is how long a script's death by a signal waits for this
// process's own stop before it counts as a failure.
var signalSettle = 500 * time.Millisecond

// killedBySignal reports whether err says the script was ended by a signal
// that halo did not send (a timeout is reported as "timed out", not as the
// SIGKILL that ended it). Errors that crossed the privileged helper arrive
// as text, so the text is matched too.
func killedBySignal(err error) bool {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok {
			return ws.Signaled()
		}
	}
	return strings.HasPrefix(err.Error(), "signal: ")
}
