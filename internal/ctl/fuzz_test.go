package ctl

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"testing"
)

// rw is a session's connection in memory: it reads the input and collects
// the output.
type rw struct {
	in  io.Reader
	out bytes.Buffer
}

func (c *rw) Read(p []byte) (int, error)  { return c.in.Read(p) }
func (c *rw) Write(p []byte) (int, error) { return c.out.Write(p) }

// FuzzSession feeds arbitrary request bytes to a session at admin level: it
// must never panic, and every answer ends with the empty line (or the
// prompt).
func FuzzSession(f *testing.F) {
	for _, s := range []string{
		"show info\n", "show stat;show stat typed\n", "prompt\nhelp\nquit\n",
		"set server routers/router-0 weight 50%\n", "set server a/b addr 1.2.3.4 port 99999\n",
		"show stat masters 4 1\n", "set weight /\n", "get weight routers/\n", "\\\n", ";;;\n",
		"show servers state routers\n", "set server routers/router-0 addr\n", "help set\n",
		"operator;user;operator\n", "clear counters all\n", "show env\x00\n",
	} {
		f.Add(s)
	}
	srv := NewServer(newFakeNode(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	f.Fuzz(func(t *testing.T, in string) {
		c := &rw{in: strings.NewReader(in)}
		srv.ServeConn(c, LevelAdmin)
		out := c.out.String()
		if out != "" && !strings.HasSuffix(out, "\n") && !strings.HasSuffix(out, "> ") {
			t.Fatalf("answer does not end a line: %q", out[max(0, len(out)-80):])
		}
	})
}
