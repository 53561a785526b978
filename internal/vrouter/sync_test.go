package vrouter

import (
	"testing"
	"time"
)

func force(to State) func(*Machine, time.Time) []Action {
	return func(m *Machine, now time.Time) []Action { return m.Force(now, to, "sync group G") }
}

func deferTick() func(*Machine, time.Time) []Action { return (*Machine).Defer }

func TestMachineSyncGroup(t *testing.T) {
	master100 := with(v2(100), stateMaster)
	begin := step{0, start(), []Action{send(100), move(Init, Master, ReasonInitialMaster)}, Master, sec(1)}
	backup := step{0, start(), []Action{move(Init, Backup, ReasonStartup)}, Backup, v2Prio100Down}
	tests := []struct {
		name  string
		cfg   Config
		steps []step
	}{
		{"a backup forced to master advertises and takes over", v2(100), []step{
			backup,
			{ms(200), force(Master), []Action{send(100), move(Backup, Master, ReasonSyncGroup)}, Master, ms(1200)},
		}},
		{"a master forced to backup steps down silently and arms its down timer", master100, []step{
			begin,
			{ms(500), force(Backup), []Action{move(Master, Backup, ReasonSyncGroup)}, Backup, ms(500) + v2Prio100Down},
		}},
		{"forcing the state it is in does nothing", master100, []step{
			begin,
			{ms(500), force(Master), nil, Master, sec(1)},
			{ms(600), force(Fault), nil, Master, sec(1)},
		}},
		{"a faulty router is not forced", v2(100), []step{
			backup,
			{ms(100), setFault(true), []Action{move(Backup, Fault, ReasonFaultEntered)}, Fault, noTimer},
			{ms(200), force(Master), nil, Fault, noTimer},
		}},
		{"a deferred backup stays backup for another master-down interval, then may take over", v2(100), []step{
			backup,
			{ms(100), advert(ipHigh, 150, sec(1)), nil, Backup, ms(100) + v2Prio100Down},
			{ms(100) + v2Prio100Down, deferTick(), nil, Backup, ms(100) + 2*v2Prio100Down},
			{ms(100) + 2*v2Prio100Down, tick(), []Action{send(100), move(Backup, Master, ReasonMasterDown)}, Master, noDeadlineCheck},
		}},
		{"a master forced up ignores a better master for its master-down interval, then yields", v2(100), []step{
			backup,
			{ms(200), force(Master), []Action{send(100), move(Backup, Master, ReasonSyncGroup)}, Master, ms(1200)},
			{ms(250), advert(ipHigh, 150, sec(1)), nil, Master, ms(1200)},
			{ms(300), advert(ipHigh, 100, sec(1)), nil, Master, ms(1200)},
			{ms(200) + v2Prio100Down, advert(ipHigh, 150, sec(1)), []Action{move(Master, Backup, ReasonHigherPriority)}, Backup, ms(200) + 2*v2Prio100Down},
		}},
		{"a forced master still answers a lower priority and resignations", v2(100), []step{
			backup,
			{ms(200), force(Master), []Action{send(100), move(Backup, Master, ReasonSyncGroup)}, Master, ms(1200)},
			{ms(300), advert(ipLow, 50, sec(1)), []Action{send(100), Reannounce{}}, Master, ms(1300)},
			{ms(400), advert(ipHigh, 0, sec(1)), []Action{send(100)}, Master, ms(1400)},
		}},
		{"a forced master can be forced back down within its settle time", v2(100), []step{
			backup,
			{ms(200), force(Master), []Action{send(100), move(Backup, Master, ReasonSyncGroup)}, Master, ms(1200)},
			{ms(300), force(Backup), []Action{move(Master, Backup, ReasonSyncGroup)}, Backup, ms(300) + v2Prio100Down},
		}},
		{"a master that won on its own yields at once", master100, []step{
			begin,
			{ms(100), advert(ipHigh, 150, sec(1)), []Action{move(Master, Backup, ReasonHigherPriority)}, Backup, ms(100) + v2Prio100Down},
		}},
		{"the settle time ends when the forced master leaves master", v2(100), []step{
			backup,
			{ms(200), force(Master), []Action{send(100), move(Backup, Master, ReasonSyncGroup)}, Master, ms(1200)},
			{ms(300), force(Backup), []Action{move(Master, Backup, ReasonSyncGroup)}, Backup, ms(300) + v2Prio100Down},
			{ms(300) + v2Prio100Down, tick(), []Action{send(100), move(Backup, Master, ReasonMasterDown)}, Master, noDeadlineCheck},
			{ms(400) + v2Prio100Down, advert(ipHigh, 150, sec(1)), []Action{move(Master, Backup, ReasonHigherPriority)}, Backup, noDeadlineCheck},
		}},
		{"defer before the deadline does nothing", v2(100), []step{
			backup,
			{ms(100), deferTick(), nil, Backup, v2Prio100Down},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runSteps(t, tt.cfg, tt.steps) })
	}
	t.Run("defer forgets the master that went silent", func(t *testing.T) {
		m := runSteps(t, v2(100), []step{
			backup,
			{ms(100), advert(ipHigh, 150, sec(1)), nil, Backup, ms(100) + v2Prio100Down},
			{ms(100) + v2Prio100Down, deferTick(), nil, Backup, noDeadlineCheck},
		})
		if a, _ := m.Master(); a.IsValid() {
			t.Errorf("master %v after defer, want unknown", a)
		}
	})
}
