package health

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestStateNext(t *testing.T) {
	ok, ko := Result{OK: true}, Result{}
	const rise, fall = 2, 3 // full health = 4
	tests := []struct {
		name    string
		from    State
		result  Result
		want    State
		changed bool
	}{
		{"a fresh server stays up on success and becomes fully up", Initial(rise, fall), ok, State{true, 4}, false},
		{"a fresh server goes down on its first failure", Initial(rise, fall), ko, State{false, 0}, true},
		{"a fully up server survives one failure", State{true, 4}, ko, State{true, 3}, false},
		{"a fully up server survives a second failure", State{true, 3}, ko, State{true, 2}, false},
		{"the third failure in a row takes it down", State{true, 2}, ko, State{false, 0}, true},
		{"a success while failing restores full health", State{true, 2}, ok, State{true, 4}, false},
		{"a fully up server stays fully up on success", State{true, 4}, ok, State{true, 4}, false},
		{"a down server counts its first success", State{false, 0}, ok, State{false, 1}, false},
		{"the second success in a row brings it up", State{false, 1}, ok, State{true, 4}, true},
		{"a failure while rising starts over", State{false, 1}, ko, State{false, 0}, false},
		{"a fully down server stays down on failure", State{false, 0}, ko, State{false, 0}, false},
		{"an out of range health is clamped", State{true, 99}, ko, State{true, 3}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, changed := tt.from.Next(tt.result, rise, fall)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Next (-want +got):\n%s", diff)
			}
			if changed != tt.changed {
				t.Errorf("changed = %v, want %v", changed, tt.changed)
			}
		})
	}
}

func TestStateNextCountsConsecutiveResults(t *testing.T) {
	for _, rf := range [][2]int{{1, 1}, {2, 3}, {5, 1}, {1, 4}, {3, 3}} {
		rise, fall := rf[0], rf[1]
		s, _ := Initial(rise, fall).Next(Result{OK: true}, rise, fall)
		for i := 1; i <= fall; i++ {
			var changed bool
			s, changed = s.Next(Result{}, rise, fall)
			if changed != (i == fall) {
				t.Fatalf("rise %d fall %d: failure %d changed = %v", rise, fall, i, changed)
			}
		}
		for i := 1; i <= rise; i++ {
			var changed bool
			s, changed = s.Next(Result{OK: true}, rise, fall)
			if changed != (i == rise) {
				t.Fatalf("rise %d fall %d: success %d changed = %v", rise, fall, i, changed)
			}
		}
	}
}

func TestStateInterval(t *testing.T) {
	const rise, fall = 2, 3
	const inter, fast, down = 2 * time.Second, 500 * time.Millisecond, 10 * time.Second
	tests := []struct {
		name              string
		s                 State
		inter, fast, down time.Duration
		want              time.Duration
	}{
		{"a fully up server uses inter", State{true, 4}, inter, fast, down, inter},
		{"a fresh server uses fastinter", Initial(rise, fall), inter, fast, down, fast},
		{"a failing up server uses fastinter", State{true, 3}, inter, fast, down, fast},
		{"a rising down server uses fastinter", State{false, 1}, inter, fast, down, fast},
		{"a fully down server uses downinter", State{false, 0}, inter, fast, down, down},
		{"unset fastinter means inter", State{true, 3}, inter, 0, down, inter},
		{"unset downinter means inter", State{false, 0}, inter, fast, 0, inter},
		{"unset inter means two seconds", State{true, 4}, 0, 0, 0, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.Interval(rise, fall, tt.inter, tt.fast, tt.down); got != tt.want {
				t.Errorf("Interval = %v, want %v", got, tt.want)
			}
		})
	}
}
