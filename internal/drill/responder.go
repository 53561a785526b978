package drill

import (
	"fmt"
	"net"
	"sync"

	"github.com/halo-lb/halo/internal/netlab"
)

// Responder is a TCP server inside a host that writes the host's name and
// closes: the smallest server a probe can tell apart.
type Responder struct {
	ln   net.Listener
	wg   sync.WaitGroup
	name string
}

// Respond listens on every address of h at port.
func Respond(h *netlab.Host, port int) (*Responder, error) {
	r := &Responder{name: h.Name}
	err := h.Do(func() error {
		ln, err := net.Listen("tcp", fmt.Sprintf(":%d", port))
		r.ln = ln
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("responder on %s:%d: %w", h.Name, port, err)
	}
	r.wg.Add(1)
	go r.serve()
	return r, nil
}

func (r *Responder) serve() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		c.Write([]byte(r.name + "\n"))
		c.Close()
	}
}

// Close stops the responder and waits for its goroutine.
func (r *Responder) Close() {
	r.ln.Close()
	r.wg.Wait()
}
