package balance

// SlowStartScale is the factor by which WeightScale lets a caller multiply
// every weight of a dynamic algorithm, so that a server's weight can ramp in
// steps finer than one configured unit (a weight-1 server starts at 1/16 of
// its share) without changing the shares.
const SlowStartScale = 16

// WeightScale reports how an algorithm takes weights that change at run
// time, which is what `slowstart` ramps (configuration.txt: "when the
// backend uses a dynamic weighted algorithm, the weight grows linearly").
//
// It returns 0 for algorithms on which slowstart leaves the weight alone:
// static ones (static-rr, `hash-type map-based`) and first, which ignores
// weights; the caller passes configured weights unchanged. Otherwise it
// returns the factor by which the caller may multiply every weight of the
// set: SlowStartScale for roundrobin, leastconn, random and `hash-type
// maglev`, whose picks depend only on weight ratios (the Maglev table
// divides the weights by their greatest common divisor), and 1 for
// `hash-type consistent`, whose ring grows with the weights.
func WeightScale(algorithm, hashType string) int {
	switch algorithm {
	case RoundRobin, "", LeastConn, Random:
		return SlowStartScale
	case Source:
		switch hashType {
		case "consistent":
			return 1
		case "maglev":
			return SlowStartScale
		}
	}
	return 0
}
