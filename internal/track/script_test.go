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
