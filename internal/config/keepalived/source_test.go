package keepalived

import (
	"io/fs"
	"path"
	"sort"
)

// memSource serves include files from a map, so that tests and the fuzz
// target never touch the file system.
func memSource(files map[string]string) source {
	return source{
		readFile: func(name string) ([]byte, error) {
			if s, ok := files[name]; ok {
				return []byte(s), nil
			}
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
		},
		glob: func(pattern string) ([]string, error) {
			if _, err := path.Match(pattern, ""); err != nil {
				return nil, err
			}
			var out []string
			for name := range files {
				if ok, _ := path.Match(pattern, name); ok {
					out = append(out, name)
				}
			}
			sort.Strings(out)
			return out, nil
		},
	}
}
