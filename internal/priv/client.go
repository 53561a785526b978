package priv

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/halo-lb/halo/internal/track"
)

// filesTimeout bounds one configuration read through the helper.
const filesTimeout = 10 * time.Second

// Client is the serving child's end of the helper socket.
type Client struct {
	conn net.Conn
	wmu  sync.Mutex
	enc  *json.Encoder

	mu      sync.Mutex
	next    uint64
	pending map[uint64]chan response
	err     error // why the helper is gone; set once
}

// ChildClient returns the client of a process started by Helper.RunChild,
// or nil when this process was not (HelperEnv unset).
func ChildClient() (*Client, error) {
	v := os.Getenv(HelperEnv)
	if v == "" {
		return nil, nil
	}
	os.Unsetenv(HelperEnv) // scripts and later children are not the child
	fd, err := strconv.Atoi(v)
	if err != nil {
		return nil, fmt.Errorf("%s=%q: %w", HelperEnv, v, err)
	}
	f := os.NewFile(uintptr(fd), "helper")
	conn, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("privileged helper socket: %w", err)
	}
	return NewClient(conn), nil
}

// NewClient talks to a Helper serving the other end of conn.
func NewClient(conn net.Conn) *Client {
	c := &Client{conn: conn, enc: json.NewEncoder(conn), pending: map[uint64]chan response{}}
	go c.read()
	return c
}

func (c *Client) read() {
	sc := bufio.NewScanner(c.conn)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		var r response
		if json.Unmarshal(sc.Bytes(), &r) != nil {
			continue
		}
		c.mu.Lock()
		ch := c.pending[r.ID]
		delete(c.pending, r.ID)
		c.mu.Unlock()
		if ch != nil {
			ch <- r
		}
	}
	err := sc.Err()
	if err == nil {
		err = errors.New("privileged helper closed its socket")
	}
	c.mu.Lock()
	c.err = err
	for id, ch := range c.pending {
		close(ch)
		delete(c.pending, id)
	}
	c.mu.Unlock()
}

func (c *Client) call(ctx context.Context, req request) (response, error) {
	ch := make(chan response, 1)
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return response{}, c.err
	}
	c.next++
	req.ID = c.next
	c.pending[req.ID] = ch
	c.mu.Unlock()
	c.wmu.Lock()
	err := c.enc.Encode(req)
	c.wmu.Unlock()
	if err != nil {
		return response{}, fmt.Errorf("privileged helper: %w", err)
	}
	select {
	case r, ok := <-ch:
		if !ok {
			return response{}, c.err
		}
		return r, nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.pending, req.ID)
		c.mu.Unlock()
		return response{}, ctx.Err()
	}
}

// Files has the helper read both configuration files now and returns what
// it read, for one load.
func (c *Client) Files() (Files, error) {
	ctx, cancel := context.WithTimeout(context.Background(), filesTimeout)
	defer cancel()
	r, err := c.call(ctx, request{Op: "files"})
	if err != nil {
		return nil, err
	}
	if r.Files == nil {
		return nil, fmt.Errorf("privileged helper: %s", r.Err)
	}
	return r.Files, nil
}

// Exec has the helper run cmd (a track.Exec); ctx's deadline bounds it.
func (c *Client) Exec(ctx context.Context, cmd track.Command) ([]byte, error) {
	req := request{Op: "exec", Command: cmd}
	if dl, ok := ctx.Deadline(); ok {
		req.Timeout = time.Until(dl)
	}
	r, err := c.call(ctx, req)
	if err != nil {
		return nil, err
	}
	if r.Err != "" {
		return r.Output, errors.New(r.Err)
	}
	return r.Output, nil
}
