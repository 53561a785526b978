package priv

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// Files reads configuration files: the two main files, keepalived's
// includes and their patterns.
type Files interface {
	ReadFile(name string) ([]byte, error)
	Glob(pattern string) ([]string, error)
}

// OSFiles reads the file system.
type OSFiles struct{}

func (OSFiles) ReadFile(name string) ([]byte, error)  { return os.ReadFile(name) }
func (OSFiles) Glob(pattern string) ([]string, error) { return filepath.Glob(pattern) }

// Bundle is every file one load read and every pattern it expanded, with
// their errors: the helper records one by loading the configuration
// itself, and the serving process replays it to load exactly that.
// Reading anything else from a Bundle fails, so the helper never reads a
// path the serving process chose.
type Bundle struct {
	Reads map[string]Result `json:"reads"`
	Globs map[string]Result `json:"globs"`
}

// Result is one read or glob: data or names, or the error's text.
type Result struct {
	Data  []byte   `json:"data,omitempty"`
	Names []string `json:"names,omitempty"`
	Err   string   `json:"err,omitempty"`
}

var errNotRecorded = errors.New("not read by the privileged helper")

func (b *Bundle) ReadFile(name string) ([]byte, error) {
	r, ok := b.Reads[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: errNotRecorded}
	}
	if r.Err != "" {
		return nil, &fs.PathError{Op: "open", Path: name, Err: errors.New(r.Err)}
	}
	return r.Data, nil
}

func (b *Bundle) Glob(pattern string) ([]string, error) {
	r, ok := b.Globs[pattern]
	if !ok {
		return nil, errNotRecorded
	}
	if r.Err != "" {
		return nil, errors.New(r.Err)
	}
	return r.Names, nil
}

// recorder reads through Files and keeps what it saw in a Bundle.
type recorder struct {
	from Files
	mu   sync.Mutex
	b    Bundle
}

func newRecorder(from Files) *recorder {
	return &recorder{from: from, b: Bundle{Reads: map[string]Result{}, Globs: map[string]Result{}}}
}

func (r *recorder) ReadFile(name string) ([]byte, error) {
	data, err := r.from.ReadFile(name)
	r.mu.Lock()
	r.b.Reads[name] = Result{Data: data, Err: errText(err)}
	r.mu.Unlock()
	return data, err
}

func (r *recorder) Glob(pattern string) ([]string, error) {
	names, err := r.from.Glob(pattern)
	r.mu.Lock()
	r.b.Globs[pattern] = Result{Names: names, Err: errText(err)}
	r.mu.Unlock()
	return names, err
}

// errText is err's text without the path an *fs.PathError adds, which the
// replay adds back.
func errText(err error) string {
	if err == nil {
		return ""
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
