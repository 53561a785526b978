package track

import "testing"

func TestEffective(t *testing.T) {
	tests := []struct {
		name      string
		base      uint8
		inputs    []Input
		wantPrio  uint8
		wantFault string
	}{
		{"nothing tracked keeps the configured priority", 100, nil, 100, ""},
		{"a positive weight is added while the script succeeds", 100, []Input{{"chk", 2, true}}, 102, ""},
		{"a positive weight is not added while the script fails", 100, []Input{{"chk", 2, false}}, 100, ""},
		{"a negative weight is subtracted while the script fails", 100, []Input{{"chk", -20, false}}, 80, ""},
		{"a negative weight changes nothing while the script succeeds", 100, []Input{{"chk", -20, true}}, 100, ""},
		{"weight zero means fault while bad", 100, []Input{{"eth0", 0, false}}, 100, "eth0"},
		{"weight zero is harmless while good", 100, []Input{{"eth0", 0, true}}, 100, ""},
		{"the result is clamped to 254", 250, []Input{{"a", 10, true}}, 254, ""},
		{"the result is clamped to 1", 10, []Input{{"a", -50, false}}, 1, ""},
		{"the seed's master with haproxy running advertises 102", 100, []Input{{"haproxy_check", 2, true}}, 102, ""},
		{"the seed's backup with haproxy running advertises 100", 98, []Input{{"haproxy_check", 2, true}}, 100, ""},
		{"the first faulting input is named", 100, []Input{{"a", 0, true}, {"b", 0, false}, {"c", 0, false}}, 100, "b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, f := Effective(tt.base, tt.inputs)
			if p != tt.wantPrio || f != tt.wantFault {
				t.Errorf("Effective(%d, %v) = %d, %q; want %d, %q", tt.base, tt.inputs, p, f, tt.wantPrio, tt.wantFault)
			}
		})
	}
}
