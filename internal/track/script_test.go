package track

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// A scripted sequence of results drives rise/fall; the verdict changes only
// after the configured number of consecutive disagreeing results.
func TestScriptRiseFall(t *testing.T) {
	results := []bool{false, false, false, true, true, false, true, true}
	var mu sync.Mutex
	i := 0
	s := &Script{
		Name: "chk", Interval: 5 * time.Millisecond, Rise: 2, Fall: 3,
		Exec: func(context.Context, Command) ([]byte, error) {
			mu.Lock()
			defer mu.Unlock()
			if i >= len(results) {
				return nil, nil
			}
			ok := results[i]
			i++
			if ok {
				return nil, nil
			}
			return nil, errors.New("exit status 1")
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	var changes []bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Run(ctx, true, func(good bool, _ error) {
			changes = append(changes, good)
			if len(changes) == 2 {
				cancel()
			}
		})
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		cancel()
		<-done
		t.Fatal("script never reported two changes")
	}
	// fail,fail,fail -> bad (fall 3); ok,ok -> good (rise 2).
	if want := []bool{false, true}; !slices.Equal(changes, want) {
		t.Errorf("changes = %v, want %v", changes, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if i != 5 {
		t.Errorf("good again after %d runs, want 5", i)
	}
}

func TestScriptTimeoutIsFailure(t *testing.T) {
	s := &Script{Argv: []string{"sleep", "5"}, Timeout: 50 * time.Millisecond}
	start := time.Now()
	if err := s.RunOnce(context.Background()); err == nil {
		t.Fatal("a script that outlived its timeout succeeded")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("timeout took %v", d)
	}
	ok := &Script{Argv: []string{"true"}}
	if err := ok.RunOnce(context.Background()); err != nil {
		t.Errorf("true failed: %v", err)
	}
}

// A script killed by the stop signal that also reached halo (a signal to the
// process group, systemd's control-group stop) must not turn the verdict
// bad: the stop arrives within the settle window and no change is reported.
// Killed by a signal while nothing stops, it still counts as a failure.
func TestScriptKilledBySignalAtStop(t *testing.T) {
	old := signalSettle
	signalSettle = 300 * time.Millisecond
	defer func() { signalSettle = old }()
	s := &Script{Name: "chk", Argv: []string{"sh", "-c", "kill -TERM $$"}, Interval: 10 * time.Millisecond}

	ctx, cancel := context.WithCancel(context.Background())
	changes := make(chan bool, 8)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Run(ctx, true, func(good bool, _ error) { changes <- good })
	}()
	time.Sleep(100 * time.Millisecond) // the first run died; the window is open
	cancel()
	<-done
	if len(changes) != 0 {
		t.Errorf("a script killed as the daemon stopped changed the verdict to %v", <-changes)
	}

	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	go s.Run(ctx, true, func(good bool, _ error) { changes <- good })
	select {
	case good := <-changes:
		if good {
			t.Error("a script killed by a signal made the verdict good")
		}
		if d := time.Since(start); d < signalSettle {
			t.Errorf("verdict after %v, before the %v settle window", d, signalSettle)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a script killed by a signal, nothing stopping, never counted as a failure")
	}
}

func TestKilledBySignal(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{errors.New("signal: terminated"), true}, // through the privileged helper
		{errors.New("exit status 1"), false},
		{errors.New("timed out: context deadline exceeded"), false},
	} {
		if got := killedBySignal(c.err); got != c.want {
			t.Errorf("killedBySignal(%q) = %v, want %v", c.err, got, c.want)
		}
	}
}
