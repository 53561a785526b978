package haproxy

import "path"

// globalLimit reads the global keywords about resources, sockets, check
// spreading and server state (configuration.txt 3.1 and 3.2). It reports
// false for a keyword that is not one of them.
func (b *builder) globalLimit(l line) bool {
	g := &b.global
	kw, neg := l.kw(), false
	if kw == "no" && len(l.words) > 1 {
		kw, neg = l.words[1], true
		l = line{num: l.num, words: l.words[1:]}
	}
	number := func(dst *int, lo, hi int) {
		if len(l.words) != 2 {
			b.errf(l.num, "global: '%s' needs one number", kw)
			return
		}
		n, err := parseInt(l.arg(1), lo, hi)
		if err != nil {
			b.errf(l.num, "global: %s: %v", kw, err)
			return
		}
		*dst = n
	}
	word := func(dst *string, what string) {
		if len(l.words) != 2 {
			b.errf(l.num, "global: '%s' needs %s", kw, what)
			return
		}
		*dst = l.arg(1)
	}
	flag := func(dst *bool, on bool) {
		if len(l.words) != 1 {
			b.errf(l.num, "global: '%s' takes no argument", kw)
			return
		}
		*dst = on
	}
	switch kw {
	case "strict-limits":
		flag(&g.StrictLimits, !neg)
	case "noreuseport":
		flag(&g.NoReusePort, !neg)
	case "ulimit-n":
		number(&g.UlimitN, 1, 1<<30)
	case "fd-hard-limit":
		number(&g.FDHardLimit, 1, 1<<30)
	case "maxpipes":
		number(&g.MaxPipes, 0, 1<<30)
	case "maxconnrate":
		number(&g.MaxConnRate, 0, 1<<30)
	case "maxsessrate":
		number(&g.MaxSessRate, 0, 1<<30)
	case "spread-checks":
		number(&g.SpreadChecks, 0, 50)
	case "server-state-file":
		word(&g.ServerStateFile, "a file name")
	case "server-state-base":
		word(&g.ServerStateBase, "a directory")
	default:
		if neg {
			b.errf(l.num, "global: 'no %s' is not supported: only 'no strict-limits' and 'no noreuseport' are", kw)
			return true
		}
		return false
	}
	return true
}

// noteLine remembers where a global keyword was written.
func (g *Global) noteLine(l line) {
	if g.lines == nil {
		g.lines = map[string]int{}
	}
	kw := l.kw()
	if kw == "no" {
		kw = l.arg(1)
	}
	g.lines[kw] = l.num
}

// joinStatePath puts a relative server state file under base, as
// configuration.txt says of server-state-file and server-state-file-name.
func joinStatePath(base, file string) string {
	if file == "" || path.IsAbs(file) || base == "" {
		return file
	}
	return path.Join(base, file)
}
