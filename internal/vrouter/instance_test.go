package vrouter

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// recorder is a Sender and an onTransition hook that remembers everything.
type recorder struct {
	mu          sync.Mutex
	sent        []uint8
	transitions []string
	fail        error
}

func (r *recorder) SendAdvert(p uint8) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.sent = append(r.sent, p)
	return nil
}

func (r *recorder) onTransition(t Transition) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.transitions = append(r.transitions, t.From.String()+">"+t.To.String()+" "+t.Reason.String())
}

func (r *recorder) got() (sent []uint8, transitions []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]uint8(nil), r.sent...), append([]string(nil), r.transitions...)
}

// runInstance starts inst.Run in the bubble and returns a stop function that
// cancels it and waits for Run to return nil.
func runInstance(t *testing.T, inst *Instance) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- inst.Run(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run returned %v, want nil", err)
		}
	}
	t.Cleanup(stop)
	synctest.Wait()
	return stop
}

func wantRecorded(t *testing.T, r *recorder, sent []uint8, transitions []string) {
	t.Helper()
	gotSent, gotTr := r.got()
	if diff := cmp.Diff(sent, gotSent); diff != "" {
		t.Errorf("adverts sent (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(transitions, gotTr); diff != "" {
		t.Errorf("transitions (-want +got):\n%s", diff)
	}
}

func TestInstanceBackupTakesOverAtTheExactDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{}
		inst := NewInstance("OCP_EXT", v2(98), r, nil, nil, r.onTransition)
		runInstance(t, inst)
		time.Sleep(v2Prio98Down - time.Nanosecond)
		synctest.Wait()
		if got := inst.Status().State; got != Backup {
			t.Fatalf("1 ns before the deadline: state %v, want BACKUP", got)
		}
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		wantRecorded(t, r, []uint8{98}, []string{"INIT>BACKUP startup", "BACKUP>MASTER master-down"})
		time.Sleep(2 * time.Second)
		synctest.Wait()
		st := inst.Status()
		if st.State != Master || st.AdvertsSent != 3 || st.Transitions != 2 || st.LastReason != ReasonMasterDown {
			t.Errorf("status = %+v, want MASTER, 3 adverts sent, 2 transitions, last master-down", st)
		}
	})
}

func TestInstanceStaysBackupWhileTheMasterAdvertises(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{}
		inst := NewInstance("vi", v2(98), r, nil, nil, r.onTransition)
		runInstance(t, inst)
		for range 10 {
			time.Sleep(time.Second)
			inst.Deliver(Advert{Src: ipHigh, Priority: 100, MaxAdvertInterval: time.Second})
		}
		synctest.Wait()
		st := inst.Status()
		if st.State != Backup || st.Master != ipHigh || st.MasterPriority != 100 || st.AdvertsReceived != 10 {
			t.Errorf("status = %+v, want BACKUP to %v priority 100 after 10 adverts", st, ipHigh)
		}
		wantRecorded(t, r, nil, []string{"INIT>BACKUP startup"})
	})
}

func TestInstanceShutdownResignsWithPriorityZero(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{}
		inst := NewInstance("vi", v2(255), r, nil, nil, r.onTransition)
		stop := runInstance(t, inst)
		time.Sleep(1500 * time.Millisecond)
		stop()
		wantRecorded(t, r, []uint8{255, 255, 0},
			[]string{"INIT>MASTER address-owner", "MASTER>INIT shutdown"})
		if got := inst.Status().State; got != Init {
			t.Errorf("state after Run = %v, want INIT", got)
		}
	})
}

func TestInstanceFollowsTrackers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{}
		inst := NewInstance("vi", with(v2(100), stateMaster), r, nil, nil, r.onTransition)
		runInstance(t, inst)
		inst.SetPriority(80)
		synctest.Wait()
		inst.SetFault(true, "interface eth0 is down")
		synctest.Wait()
		st := inst.Status()
		if st.State != Fault || !st.Fault || st.FaultReason != "interface eth0 is down" || st.Priority != 80 {
			t.Errorf("status = %+v, want FAULT at priority 80 for the interface", st)
		}
		time.Sleep(10 * time.Second) // no adverts, no elections in Fault
		inst.SetFault(false, "")
		synctest.Wait()
		time.Sleep(3*time.Second + 176*time.Second/256)
		synctest.Wait()
		wantRecorded(t, r, []uint8{100, 80, 0, 80}, []string{
			"INIT>MASTER initial-state-master",
			"MASTER>FAULT fault-entered",
			"FAULT>BACKUP fault-cleared",
			"BACKUP>MASTER master-down",
		})
	})
}

func TestInstanceStartsInFaultWhenTrackersSaySoBeforeRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{}
		inst := NewInstance("vi", with(v2(100), stateMaster), r, nil, nil, r.onTransition)
		inst.SetFault(true, "backend app is down")
		runInstance(t, inst)
		wantRecorded(t, r, nil, []string{"INIT>FAULT fault-entered"})
	})
}

// A sibling that started first may force an instance before its loop
// runs: the request waits for the start instead of being lost.
func TestInstanceForcedBeforeRunFollowsOnceStarted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{}
		inst := NewInstance("vi", v2(100), r, nil, nil, r.onTransition)
		inst.Force(Master, "sync group G: VI_2 MASTER")
		runInstance(t, inst)
		wantRecorded(t, r, []uint8{100}, []string{"INIT>BACKUP startup", "BACKUP>MASTER sync-group"})
	})
}

func TestInstanceCountsSendErrorsAndKeepsRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{fail: errors.New("network is unreachable")}
		inst := NewInstance("vi", v2(255), r, nil, nil, r.onTransition)
		runInstance(t, inst)
		time.Sleep(2500 * time.Millisecond)
		synctest.Wait()
		if st := inst.Status(); st.SendErrors != 3 || st.AdvertsSent != 0 || st.State != Master {
			t.Errorf("status = %+v, want MASTER with 3 send errors", st)
		}
	})
}

func TestInstanceRunsOnlyOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inst := NewInstance("vi", v2(100), nil, nil, nil, nil)
		runInstance(t, inst)
		if err := inst.Run(t.Context()); err == nil {
			t.Error("second Run returned nil, want an error")
		}
	})
}

func TestInstanceDropsAdvertsWhenTheQueueIsFull(t *testing.T) {
	inst := NewInstance("vi", v2(100), nil, nil, nil, nil)
	for range advertQueue + 5 {
		inst.Deliver(Advert{Src: ipHigh, Priority: 100})
	}
	if got := inst.Status().AdvertsDropped; got != 5 {
		t.Errorf("dropped %d adverts, want 5", got)
	}
}

func TestInstanceWithFakeClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := NewFakeClock(t0)
		r := &recorder{}
		inst := NewInstance("vi", v3(100, ms(100)), r, clk, nil, r.onTransition)
		runInstance(t, inst)
		clk.Advance(v3Prio100Down - 1)
		synctest.Wait()
		wantRecorded(t, r, nil, []string{"INIT>BACKUP startup"})
		clk.Advance(1)
		synctest.Wait()
		clk.Advance(ms(100))
		synctest.Wait()
		wantRecorded(t, r, []uint8{100, 100}, []string{"INIT>BACKUP startup", "BACKUP>MASTER master-down"})
		if got, want := inst.Status().LastTransition, t0.Add(v3Prio100Down); !got.Equal(want) {
			t.Errorf("last transition at %v, want %v", got, want)
		}
	})
}
