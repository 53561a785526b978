package logs

import (
	"context"
	"log/slog"
	"strings"
)

// Handler returns a slog.Handler that writes every record to next (stderr)
// and sends those at info level and above, as "message key=value ...", to
// the global `log` targets: halo's event lines (server UP/DOWN with the
// check's reason, VRRP transitions, reloads, runtime API changes).
func (r *Router) Handler(next slog.Handler) slog.Handler {
	return &handler{next: next, r: r}
}

type handler struct {
	next  slog.Handler
	r     *Router
	attrs string // pre-rendered attributes of With
	group string
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l) || (l >= slog.LevelInfo && h.r.hasGlobal())
}

func (h *handler) Handle(ctx context.Context, rec slog.Record) error {
	var err error
	if h.next.Enabled(ctx, rec.Level) {
		err = h.next.Handle(ctx, rec)
	}
	if rec.Level < slog.LevelInfo || !h.r.hasGlobal() {
		return err
	}
	var b strings.Builder
	b.WriteString(rec.Message)
	b.WriteString(h.attrs)
	rec.Attrs(func(a slog.Attr) bool {
		writeAttr(&b, h.group, a)
		return true
	})
	h.r.Event(syslogLevel(rec.Level), rec.Time, b.String())
	return err
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	var b strings.Builder
	b.WriteString(h.attrs)
	for _, a := range as {
		writeAttr(&b, h.group, a)
	}
	return &handler{next: h.next.WithAttrs(as), r: h.r, attrs: b.String(), group: h.group}
}

func (h *handler) WithGroup(name string) slog.Handler {
	g := name
	if h.group != "" {
		g = h.group + "." + name
	}
	return &handler{next: h.next.WithGroup(name), r: h.r, attrs: h.attrs, group: g}
}

func writeAttr(b *strings.Builder, group string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	key := a.Key
	if group != "" {
		key = group + "." + key
	}
	if a.Value.Kind() == slog.KindGroup {
		for _, sub := range a.Value.Group() {
			writeAttr(b, key, sub)
		}
		return
	}
	b.WriteByte(' ')
	b.WriteString(key)
	b.WriteByte('=')
	v := a.Value.String()
	if v == "" || strings.ContainsAny(v, " \"=") {
		b.WriteString(`"` + strings.ReplaceAll(v, `"`, `\"`) + `"`)
	} else {
		b.WriteString(v)
	}
}

func syslogLevel(l slog.Level) int {
	switch {
	case l >= slog.LevelError:
		return LevelErr
	case l >= slog.LevelWarn:
		return LevelWarning
	case l >= slog.LevelInfo:
		return LevelInfo
	}
	return LevelDebug
}
