package track

import (
	"context"
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
