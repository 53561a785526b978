package haproxy

// loadStateKw reads `load-server-state-from-file global|local|none`. halo
// parses it into Backend.LoadServerState; the daemon applies the file.
func (b *builder) loadStateKw(p *proxy, l line) {
	if !b.wantArgs(p, l, 1, 1, "global, local or none") {
		return
	}
	switch s := StateSource(l.arg(1)); s {
	case StateGlobal, StateLocal, StateNone:
		p.loadState, p.loadStateLine = s, l.num
	default:
		b.errf(l.num, "%s: load-server-state-from-file: want global, local or none, got '%s'", p.where(), s)
	}
}

// stateFileNameKw reads `server-state-file-name [use-backend-name | FILE]`.
func (b *builder) stateFileNameKw(p *proxy, l line) {
	switch len(l.words) {
	case 1:
		p.stateFileName = "" // the backend's name
	case 2:
		p.stateFileName = l.arg(1)
		if p.stateFileName == "use-backend-name" {
			p.stateFileName = ""
		}
	default:
		b.wantArgs(p, l, 1, 1, "a file name or use-backend-name")
	}
}

// serverState fills the backend's state file settings in finish.
func (b *builder) serverState(p *proxy, be *Backend) {
	be.LoadServerState = p.loadState
	if be.LoadServerState == "" {
		be.LoadServerState = StateNone // load-server-state-from-file none
	}
	name := p.stateFileName
	if name == "" {
		name = be.Name
	}
	be.StateFileName = joinStatePath(b.global.ServerStateBase, name)
	if be.LoadServerState == StateGlobal && b.global.ServerStateFile == "" {
		b.warnf(p.loadStateLine, "%s: load-server-state-from-file global: no global 'server-state-file' is set, so no state is loaded", p.where())
	}
}
