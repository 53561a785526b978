package daemon

import (
	"context"
	"fmt"
	"log/slog"

	"golang.org/x/sync/errgroup"
)

// supervisor runs the long-lived parts of the daemon, each a task with
// Run(ctx) error, under one errgroup: when a part fails, the error is
// logged with the part's name, the others are stopped, and Wait returns it.
// A part that returns nil before the context ends has simply finished.
type supervisor struct {
	g   *errgroup.Group
	ctx context.Context
	log *slog.Logger
}

func newSupervisor(ctx context.Context, log *slog.Logger) *supervisor {
	g, gctx := errgroup.WithContext(ctx)
	return &supervisor{g: g, ctx: gctx, log: log}
}

// Go runs one part.
func (s *supervisor) Go(name string, run func(ctx context.Context) error) {
	s.g.Go(func() error {
		if err := run(s.ctx); err != nil {
			s.log.Error("part failed; stopping halo", "part", name, "err", err)
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	})
}

// Wait returns when every part has returned, with the first error.
func (s *supervisor) Wait() error { return s.g.Wait() }
