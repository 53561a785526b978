package keepalived

import (
	"cmp"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/halo-lb/halo/internal/config/diag"
)

// maxIncludeDepth bounds nested includes, on top of the cycle check.
const maxIncludeDepth = 16

// source reads files and expands globs for `include`; tests and the fuzz
// target replace the operating system with an in-memory one.
type source struct {
	readFile func(name string) ([]byte, error)
	glob     func(pattern string) ([]string, error)
}

var osSource = source{readFile: os.ReadFile, glob: filepath.Glob}

// Load reads the keepalived.conf at path, follows its includes, and returns
// the validated configuration. cfg is nil exactly when the diagnostics hold
// an error; warnings come with a usable cfg.
func Load(path string) (*Config, diag.List) { return LoadFrom(path, Files{}) }

// Files is where LoadFrom reads the main file and its includes. A nil field
// uses the file system (os.ReadFile, filepath.Glob). `halo run`, once it
// has dropped privileges, reads through its privileged helper.
type Files struct {
	ReadFile func(name string) ([]byte, error)
	Glob     func(pattern string) ([]string, error)
}

// LoadFrom is Load reading through files.
func LoadFrom(path string, files Files) (*Config, diag.List) {
	src := osSource
	if files.ReadFile != nil {
		src.readFile = files.ReadFile
	}
	if files.Glob != nil {
		src.glob = files.Glob
	}
	data, err := src.readFile(path)
	if err != nil {
		var d diag.List
		d.Errorf(path, 0, "reading keepalived config: %v", unwrapPathError(err))
		return nil, d
	}
	return parseWith(src, path, data)
}

// Parse parses data as the keepalived.conf named file (used in diagnostics
// and to resolve relative includes, which are read from the file system).
func Parse(file string, data []byte) (*Config, diag.List) {
	return parseWith(osSource, file, data)
}

func parseWith(src source, file string, data []byte) (*Config, diag.List) {
	var d diag.List
	inc := &includer{src: src, d: &d, active: map[string]bool{canonical(file): true}}
	nodes := inc.expand(buildTree(file, data, &d), filepath.Dir(file), 0)
	p := &parser{d: &d, cfg: newConfig(file), inst: map[*Instance]*instanceRaw{}}
	p.parseTree(nodes)
	p.validate()
	sortByLine(file, d)
	if d.HasErrors() {
		return nil, d
	}
	return p.cfg, d
}

type includer struct {
	src    source
	d      *diag.List
	active map[string]bool // files on the current include chain
}

// expand replaces every `include GLOB` statement, at any depth, with the
// statements of the files it names. Relative patterns are relative to dir,
// the directory of the including file.
func (inc *includer) expand(nodes []*node, dir string, depth int) []*node {
	out := make([]*node, 0, len(nodes))
	for _, n := range nodes {
		if n.key() != "include" {
			if n.block {
				n.children = inc.expand(n.children, dir, depth)
			}
			out = append(out, n)
			continue
		}
		if n.block || len(n.args) != 2 {
			inc.d.Errorf(n.file, n.line, "include: want exactly one file name or pattern")
			continue
		}
		out = append(out, inc.include(n, dir, depth)...)
	}
	return out
}

func (inc *includer) include(n *node, dir string, depth int) []*node {
	pattern := n.args[1].text
	if !filepath.IsAbs(pattern) {
		pattern = filepath.Join(dir, pattern)
	}
	if depth >= maxIncludeDepth {
		inc.d.Errorf(n.file, n.line, "include %s: includes nested more than %d deep", n.args[1].text, maxIncludeDepth)
		return nil
	}
	var names []string
	if strings.ContainsAny(pattern, "*?[") {
		m, err := inc.src.glob(pattern)
		if err != nil {
			inc.d.Errorf(n.file, n.line, "include %s: bad pattern: %v", n.args[1].text, err)
			return nil
		}
		if len(m) == 0 {
			inc.d.Warnf(n.file, n.line, "include %s matches no file", n.args[1].text)
		}
		names = m // filepath.Glob returns them sorted
	} else {
		names = []string{pattern}
	}
	var out []*node
	for _, name := range names {
		key := canonical(name)
		if inc.active[key] {
			inc.d.Errorf(n.file, n.line, "include %s: %s includes itself (include loop)", n.args[1].text, name)
			continue
		}
		data, err := inc.src.readFile(name)
		if err != nil {
			inc.d.Errorf(n.file, n.line, "include %s: %v", n.args[1].text, unwrapPathError(err))
			continue
		}
		inc.active[key] = true
		out = append(out, inc.expand(buildTree(name, data, inc.d), filepath.Dir(name), depth+1)...)
		delete(inc.active, key)
	}
	return out
}

// sortByLine orders diagnostics by line, the main file first and the
// included ones in the order they were first mentioned, so that `halo
// check` reads top to bottom whichever stage found each problem.
func sortByLine(main string, d diag.List) {
	order := map[string]int{main: 0}
	for _, x := range d {
		if _, ok := order[x.File]; !ok {
			order[x.File] = len(order)
		}
	}
	slices.SortStableFunc(d, func(a, b diag.Diagnostic) int {
		return cmp.Or(cmp.Compare(order[a.File], order[b.File]), cmp.Compare(a.Line, b.Line))
	})
}

func canonical(name string) string {
	if abs, err := filepath.Abs(name); err == nil {
		return abs
	}
	return filepath.Clean(name)
}

// unwrapPathError drops the path from an *fs.PathError, which the
// diagnostic already names.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
