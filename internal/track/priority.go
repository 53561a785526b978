package track

// Input is one tracked object's current verdict and its weight.
type Input struct {
	Name   string
	Weight int  // 0 = FAULT while bad
	Good   bool // script succeeded / link up / backend has a server UP
}

// Effective computes the priority an instance advertises from its configured
// priority and what it tracks. fault names the first tracked object that
// forces FAULT ("" when none does).
func Effective(base uint8, inputs []Input) (priority uint8, fault string) {
	p := int(base)
	changed := false
	for _, in := range inputs {
		switch {
		case in.Weight == 0 && !in.Good:
			if fault == "" {
				fault = in.Name
			}
		case in.Weight > 0 && in.Good, in.Weight < 0 && !in.Good:
			p += in.Weight
			changed = true
		}
	}
	if !changed {
		// An address owner (255) keeps its priority when nothing moved it.
		return base, fault
	}
	return uint8(clamp(p, 1, 254)), fault
}

func clamp(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}
